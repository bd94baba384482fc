// AES-256 key wrap with padding (RFC 5649) in software, via OpenSSL. The
// PKCS#11 provider asks the token for the same mechanism
// (CKM_AES_KEY_WRAP_PAD), so both providers produce identical wrapped bytes
// for the same KEK.
#pragma once

#include <string>
#include <string_view>

#include "trustplane/base/status.h"
#include "trustplane/crypto/secret_key.h"

namespace trustplane::crypto {

inline constexpr size_t kKekSize = 32;  // AES-256

Result<std::string> AesKeyWrapPad(const SecretKey& kek, const SecretKey& key);
// kInvalidArgument when the integrity check fails (wrong KEK or altered bytes).
Result<SecretKey> AesKeyUnwrapPad(const SecretKey& kek, std::string_view wrapped);

}  // namespace trustplane::crypto
