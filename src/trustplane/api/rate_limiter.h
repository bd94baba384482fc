// RateLimiter: a token bucket per key (the API's actor), refilled
// continuously. Time is passed in so tests need no clock.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace trustplane::api {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `rate` requests per second on average, bursts of up to `burst`.
  // rate <= 0: unlimited.
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst < 1 ? 1 : burst) {}

  struct Decision {
    bool allowed = true;
    int retry_after_seconds = 0;  // when refused: until one request is allowed again (>= 1)
  };
  // Takes one token from `key`'s bucket. Thread-safe.
  Decision Take(const std::string& key, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  const double rate_, burst_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace trustplane::api
