// Where trust state lives in the bucket (docs/formats.md, "Bucket layout").
#pragma once

#include <string>
#include <string_view>

#include "trustplane/base/status.h"
#include "trustplane/trust/trust_config.h"

namespace trustplane::trust {

// "trusted-ca-fingerprints/sha256/", "intermediate-cas/sha256/", "allowlisted-certificates/sha256/"
std::string_view KindPrefix(TrustKind kind);
std::string CertificateObjectName(TrustKind kind, std::string_view sha256_hex);

struct ParsedObjectName {
  TrustKind kind;
  std::string sha256_hex;
};
// Reverses CertificateObjectName; kInvalidArgument for any other name.
Result<ParsedObjectName> ParseCertificateObjectName(std::string_view name);

// Checks a user-supplied fingerprint: 64 hex digits, ':' separators allowed; returns lowercase.
Result<std::string> NormalizeSha256Fingerprint(std::string_view text);

inline constexpr std::string_view kIntentPrefix = "intents/";
inline constexpr TrustKind kAllKinds[] = {TrustKind::kAnchor, TrustKind::kIntermediate,
                                          TrustKind::kAllowlisted};

}  // namespace trustplane::trust
