#include "trustplane/api/replay_guard.h"

namespace trustplane::api {

Status ReplayGuard::Check(std::optional<int64_t> timestamp, const std::string& token, UnixSeconds now) {
  if (!timestamp) {
    return Status::Policy(
        "replay protection is on: the authenticated request needs a \"timestamp\" (unix seconds) "
        "inside the signed request");
  }
  const int64_t skew = *timestamp > now ? *timestamp - now : now - *timestamp;
  if (skew > window_) {
    return Status::Policy("request timestamp " + std::to_string(*timestamp) + " is outside the window of " +
                          std::to_string(window_) + "s around the server time " + std::to_string(now));
  }
  std::lock_guard lock(mu_);
  if (now >= next_prune_) {
    for (auto it = seen_.begin(); it != seen_.end();) {
      it = it->second < now ? seen_.erase(it) : std::next(it);
    }
    next_prune_ = now + 1;
  }
  // Remember the token for as long as its timestamp could still be accepted.
  auto [it, inserted] = seen_.emplace(token, *timestamp + window_);
  if (!inserted) return Status::Policy("replayed request: this token was already used");
  return Status::Ok();
}

size_t ReplayGuard::remembered() const {
  std::lock_guard lock(mu_);
  return seen_.size();
}

}  // namespace trustplane::api
