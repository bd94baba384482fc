#include "trustplane/trust/bucket_layout.h"

#include <cctype>

namespace trustplane::trust {

std::string_view KindPrefix(TrustKind kind) {
  switch (kind) {
    case TrustKind::kAnchor: return "trusted-ca-fingerprints/sha256/";
    case TrustKind::kIntermediate: return "intermediate-cas/sha256/";
    case TrustKind::kAllowlisted: return "allowlisted-certificates/sha256/";
  }
  return "";
}

std::string CertificateObjectName(TrustKind kind, std::string_view sha256_hex) {
  return std::string(KindPrefix(kind)) + std::string(sha256_hex);
}

Result<ParsedObjectName> ParseCertificateObjectName(std::string_view name) {
  for (TrustKind kind : kAllKinds) {
    std::string_view prefix = KindPrefix(kind);
    if (name.substr(0, prefix.size()) != prefix) continue;
    auto fp = NormalizeSha256Fingerprint(name.substr(prefix.size()));
    if (!fp.ok() || *fp != name.substr(prefix.size())) break;
    return ParsedObjectName{kind, *fp};
  }
  return Status::InvalidArgument("'" + std::string(name) + "' is not a trusted-certificate object name");
}

Result<std::string> NormalizeSha256Fingerprint(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("'" + std::string(text) +
                                     "' is not a SHA-256 fingerprint (64 hex digits)");
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (out.size() != 64) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a SHA-256 fingerprint: has " +
                                   std::to_string(out.size()) + " hex digits, needs 64");
  }
  return out;
}

}  // namespace trustplane::trust
