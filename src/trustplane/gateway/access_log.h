// AccessLog: one JSON object per line for every request and every failed
// handshake, with the load balancer's statusDetails (a client_cert_* reason,
// a route deny reason, or what went wrong with the backend). Thread-safe.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

namespace trustplane::gateway {

struct AccessRecord {
  std::string remote_ip;
  std::string method, path;  // empty for a failed handshake
  int status = 0;            // 0: no HTTP response (as the load balancer logs it)
  std::string status_details;
  std::string detail;  // a human explanation (verifier detail, I/O error)
  std::string route, backend;
  std::string client_cert_sha256;  // lowercase hex, "" without a certificate
  bool chain_verified = false;
  bool resumed = false;
  int64_t latency_us = 0;
  uint64_t trust_generation = 0;
};

class AccessLog {
 public:
  // out: not owned; nullptr disables logging.
  explicit AccessLog(std::FILE* out) : out_(out) {}
  // False when logging is off: callers skip filling what only the log reads.
  bool enabled() const { return out_ != nullptr; }
  void Write(const AccessRecord& r);

 private:
  std::FILE* out_;
  std::mutex mu_;
};

}  // namespace trustplane::gateway
