// ReplayGuard: opt-in replay protection for authenticated requests, which
// cfssl's "standard" auth lacks (a captured {token, request} works forever).
//
// The timestamp must be inside the HMAC-covered request (the outer
// `timestamp` field of cfssl's envelope is not authenticated, so an attacker
// could refresh it). A request is accepted when its timestamp is within
// `window` seconds of now and its token has not been seen while it could
// still be accepted; tokens are remembered until their timestamp leaves the
// window. Two identical requests in one second need a distinguishing field
// (for example a "nonce") inside the request, since the token is the MAC of
// the request bytes.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"

namespace trustplane::api {

class ReplayGuard {
 public:
  explicit ReplayGuard(int64_t window_seconds) : window_(window_seconds) {}

  // kPolicy: "replay protection is on: the authenticated request needs a
  // \"timestamp\" ...", "... outside the window ...", or "replayed request".
  // Thread-safe.
  Status Check(std::optional<int64_t> timestamp, const std::string& token, UnixSeconds now);

  size_t remembered() const;

 private:
  const int64_t window_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, UnixSeconds> seen_;  // token -> forget after
  UnixSeconds next_prune_ = 0;
};

}  // namespace trustplane::api
