// Envelope encryption of stored objects (byte layout: docs/encryption.md).
//
// Seal encrypts a payload with a fresh random 256-bit data key (AES-256-GCM,
// 96-bit random nonce) and stores that data key wrapped by the KEK. The
// object path and environment are bound in as GCM associated data, so an
// envelope copied to another path or environment does not open. Rewrap
// replaces only the wrapped data key (a KEK rotation); the payload nonce,
// ciphertext and tag stay byte-for-byte the same.
//
// Errors of Open:
//   kPolicy          the envelope is bound to another path or environment (the
//                    message names which), or its KEK version is retired
//   kInvalidArgument not an envelope, malformed, unsupported format, sealed
//                    under another KEK, or authentication failed (altered)
//   kNotFound        its KEK version does not exist in the provider
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"
#include "trustplane/crypto/kek_provider.h"

namespace trustplane::crypto {

struct EnvelopeContext {
  std::string path;         // object name in the bucket, non-empty
  std::string environment;  // e.g. "prod", non-empty
};

// The clear-text header of an envelope: what it is bound to and which KEK
// version wrapped its data key. Nothing in it is secret.
struct EnvelopeInfo {
  uint8_t format_version = 0;
  std::string provider;
  std::string key_id;
  uint32_t kek_version = 0;
  std::string path;
  std::string environment;
  uint64_t ciphertext_size = 0;
};

inline constexpr uint8_t kEnvelopeFormatVersion = 1;

// True when bytes start with the envelope magic (a cheap test to tell an
// encrypted object from a legacy plaintext one; it does not validate).
bool LooksLikeEnvelope(std::string_view bytes);
// Parses and validates the layout without any key. kInvalidArgument if malformed.
Result<EnvelopeInfo> InspectEnvelope(std::string_view envelope);

Result<std::string> Seal(const KekProvider& kek, std::string_view plaintext,
                         const EnvelopeContext& context);
Result<std::string> Open(const KekProvider& kek, std::string_view envelope,
                         const EnvelopeContext& context);
// Re-wraps the data key under new_version of the same KEK; kPolicy/kNotFound
// when the old or new version is not usable.
Result<std::string> Rewrap(const KekProvider& kek, std::string_view envelope, uint32_t new_version);

}  // namespace trustplane::crypto
