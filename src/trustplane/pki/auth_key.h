// cfssl's "standard" auth keys: HMAC-SHA256 over the exact bytes of a sign
// request, keyed with a hex key from the config's auth_keys section.
#pragma once

#include <string>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane::pki {

struct AuthKey {
  std::string type = "standard";  // the only type cfssl implements
  std::string key;                // raw key bytes
};

// The key text of an auth_keys entry, as cfssl reads it: hex, "env:VAR" (the
// variable holds hex) or "file:PATH" (the file holds hex, surrounding
// whitespace ignored). kInvalidArgument for a bad prefix, an unset or empty
// variable, an unreadable file or bad hex.
Result<std::string> ResolveAuthKey(std::string_view text);

// HMAC-SHA256(key, request): the raw 32-byte token cfssl's clients send
// (base64-encoded) with /api/v1/cfssl/authsign.
std::string StandardAuthToken(std::string_view key, std::string_view request);
// Compares in constant time.
bool VerifyStandardAuthToken(std::string_view key, std::string_view request, std::string_view token);

}  // namespace trustplane::pki
