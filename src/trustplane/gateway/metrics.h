// GatewayMetrics: counters for the admin listener's /metrics, in the
// Prometheus text format (version 0.0.4). Handshakes are counted by result
// and reason (the client_cert_* value the access log carries), requests by
// status code and statusDetails; request latency is a histogram. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace trustplane::gateway {

class GatewayMetrics {
 public:
  // reason: "" for a completed handshake, else its statusDetails.
  void CountHandshake(bool ok, const std::string& reason, bool resumed);
  void CountRequest(int status, const std::string& status_details, int64_t latency_us);

  // Values read at scrape time from elsewhere.
  struct Gauges {
    uint64_t trust_generation = 0;
    uint64_t cache_hits = 0, cache_misses = 0;
    uint64_t open_connections = 0;
    uint64_t tls_sessions = 0;
  };
  std::string Render(const Gauges& gauges) const;

  static constexpr std::array<double, 10> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                             0.025,  0.05,  0.1,    0.5,   2.5};

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> handshakes_;  // (result, reason)
  // (code, details); looked up without building a key string per request.
  struct RequestKeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      if (a.first != b.first) return a.first < b.first;
      return std::string_view(a.second) < std::string_view(b.second);
    }
  };
  std::map<std::pair<int, std::string>, uint64_t, RequestKeyLess> requests_;
  uint64_t resumed_ = 0;
  std::array<uint64_t, kLatencyBuckets.size()> latency_buckets_{};
  uint64_t latency_count_ = 0;
  double latency_sum_seconds_ = 0;
};

}  // namespace trustplane::gateway
