// CheckLimits: Certificate Manager's documented trust-config limits.
#include <string>
#include <vector>

#include "trustplane/trust/trust_config.h"

namespace trustplane::trust {
namespace {

std::string CountExceeded(size_t limit, std::string_view what, size_t has) {
  return "trust config exceeds Certificate Manager's limit of " + std::to_string(limit) + " " +
         std::string(what) + ": has " + std::to_string(has) + " (" + std::to_string(has - limit) +
         " over)";
}

void CheckPemSizes(std::string_view label, const std::vector<x509::Certificate>& certs,
                   size_t max_bytes, std::vector<std::string>& violations) {
  for (const auto& cert : certs) {
    const size_t bytes = cert.ToPem().size();
    if (bytes <= max_bytes) continue;
    const std::string& subject = cert.subject();
    violations.push_back(
        std::string(label) + " " + cert.sha256_hex() + " (" +
        (subject.empty() ? "empty subject" : subject) + ") is " + std::to_string(bytes) +
        " bytes as PEM; Certificate Manager accepts at most " + std::to_string(max_bytes) + " (" +
        std::to_string(bytes - max_bytes) + " over)");
  }
}

}  // namespace

Status CheckLimits(const TrustConfig& config, const TrustConfigLimits& limits) {
  std::vector<std::string> violations;
  const size_t in_store = config.anchors.size() + config.intermediates.size();
  if (in_store > limits.max_anchors_plus_intermediates) {
    violations.push_back(CountExceeded(limits.max_anchors_plus_intermediates,
                                       "trust anchors and intermediate CAs per trust store",
                                       in_store));
  }
  if (config.intermediates.size() > limits.max_intermediates) {
    violations.push_back(CountExceeded(limits.max_intermediates, "intermediate CAs per trust store",
                                       config.intermediates.size()));
  }
  if (config.allowlisted.size() > limits.max_allowlisted) {
    violations.push_back(CountExceeded(limits.max_allowlisted, "allowlisted certificates",
                                       config.allowlisted.size()));
  }
  CheckPemSizes("trust anchor certificate", config.anchors, limits.max_pem_bytes, violations);
  CheckPemSizes("intermediate CA certificate", config.intermediates, limits.max_pem_bytes,
                violations);
  CheckPemSizes("allowlisted certificate", config.allowlisted, limits.max_pem_bytes, violations);
  if (violations.empty()) return Status::Ok();
  std::string message;
  for (const auto& v : violations) {
    if (!message.empty()) message += "; ";
    message += v;
  }
  return Status::Policy(std::move(message));
}

}  // namespace trustplane::trust
