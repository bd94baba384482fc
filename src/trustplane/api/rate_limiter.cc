#include "trustplane/api/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace trustplane::api {

RateLimiter::Decision RateLimiter::Take(const std::string& key, Clock::time_point now) {
  if (rate_ <= 0) return {};
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh && now > b.updated) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.updated = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return {};
  }
  const double wait = (1 - b.tokens) / rate_;
  return {false, std::max(1, static_cast<int>(std::ceil(wait)))};
}

}  // namespace trustplane::api
