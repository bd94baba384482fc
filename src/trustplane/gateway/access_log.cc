#include "trustplane/gateway/access_log.h"

#include <nlohmann/json.hpp>

#include "trustplane/base/time.h"

namespace trustplane::gateway {

void AccessLog::Write(const AccessRecord& r) {
  if (out_ == nullptr) return;
  nlohmann::json j = {
      {"time", FormatRfc3339(NowUnix())},
      {"remoteIp", r.remote_ip},
      {"status", r.status},
      {"statusDetails", r.status_details},
      {"trustGeneration", r.trust_generation},
      {"chainVerified", r.chain_verified},
      {"resumed", r.resumed},
      {"latencyUs", r.latency_us},
  };
  if (!r.method.empty()) {
    j["method"] = r.method;
    j["path"] = r.path;
  }
  if (!r.route.empty()) j["route"] = r.route;
  if (!r.backend.empty()) j["backend"] = r.backend;
  if (!r.client_cert_sha256.empty()) j["clientCertSha256"] = r.client_cert_sha256;
  if (!r.detail.empty()) j["detail"] = r.detail;
  // Replace, not throw, on bytes that are not UTF-8 (a client's path).
  const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace trustplane::gateway
