#include "trustplane/gateway/metrics.h"

#include <cstdio>

namespace trustplane::gateway {
namespace {

// Label values are ours (status details, reasons), but escape anyway.
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

void GatewayMetrics::CountHandshake(bool ok, const std::string& reason, bool resumed) {
  std::lock_guard lock(mu_);
  ++handshakes_[{ok ? "ok" : "failed", reason}];
  if (resumed) ++resumed_;
}

void GatewayMetrics::CountRequest(int status, const std::string& status_details,
                                  int64_t latency_us) {
  const double seconds = static_cast<double>(latency_us) / 1e6;
  std::lock_guard lock(mu_);
  const auto found = requests_.find(std::pair<int, std::string_view>(status, status_details));
  if (found != requests_.end()) {
    ++found->second;
  } else {
    requests_.emplace(std::pair<int, std::string>(status, status_details), 1);
  }
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) ++latency_buckets_[i];
  }
  ++latency_count_;
  latency_sum_seconds_ += seconds;
}

std::string GatewayMetrics::Render(const Gauges& g) const {
  std::string out;
  std::lock_guard lock(mu_);
  out +=
      "# HELP trustplane_gateway_handshakes_total TLS handshakes by result and reason.\n"
      "# TYPE trustplane_gateway_handshakes_total counter\n";
  for (const auto& [key, n] : handshakes_) {
    out += "trustplane_gateway_handshakes_total{result=\"" + key.first + "\",reason=\"" +
           Label(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP trustplane_gateway_resumed_handshakes_total Handshakes that resumed a session.\n"
      "# TYPE trustplane_gateway_resumed_handshakes_total counter\n"
      "trustplane_gateway_resumed_handshakes_total " +
      std::to_string(resumed_) + "\n";
  out +=
      "# HELP trustplane_gateway_requests_total Requests by status code and statusDetails.\n"
      "# TYPE trustplane_gateway_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += "trustplane_gateway_requests_total{code=\"" + std::to_string(key.first) +
           "\",status_details=\"" + Label(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP trustplane_gateway_request_duration_seconds Time from request header to response "
      "written.\n# TYPE trustplane_gateway_request_duration_seconds histogram\n";
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    out += "trustplane_gateway_request_duration_seconds_bucket{le=\"" + Number(kLatencyBuckets[i]) +
           "\"} " + std::to_string(latency_buckets_[i]) + "\n";
  }
  out += "trustplane_gateway_request_duration_seconds_bucket{le=\"+Inf\"} " +
         std::to_string(latency_count_) + "\n";
  out += "trustplane_gateway_request_duration_seconds_sum " + Number(latency_sum_seconds_) + "\n";
  out +=
      "trustplane_gateway_request_duration_seconds_count " + std::to_string(latency_count_) + "\n";
  out +=
      "# HELP trustplane_gateway_trust_generation Generation of the trust set in force.\n"
      "# TYPE trustplane_gateway_trust_generation gauge\n"
      "trustplane_gateway_trust_generation " +
      std::to_string(g.trust_generation) + "\n";
  out +=
      "# HELP trustplane_gateway_verified_chain_cache_total Verified-chain cache lookups.\n"
      "# TYPE trustplane_gateway_verified_chain_cache_total counter\n"
      "trustplane_gateway_verified_chain_cache_total{result=\"hit\"} " +
      std::to_string(g.cache_hits) + "\n" +
      "trustplane_gateway_verified_chain_cache_total{result=\"miss\"} " +
      std::to_string(g.cache_misses) + "\n";
  out +=
      "# HELP trustplane_gateway_open_connections Client connections open now.\n"
      "# TYPE trustplane_gateway_open_connections gauge\n"
      "trustplane_gateway_open_connections " +
      std::to_string(g.open_connections) + "\n";
  out +=
      "# HELP trustplane_gateway_tls_sessions TLS sessions kept for resumption.\n"
      "# TYPE trustplane_gateway_tls_sessions gauge\n"
      "trustplane_gateway_tls_sessions " +
      std::to_string(g.tls_sessions) + "\n";
  return out;
}

}  // namespace trustplane::gateway
