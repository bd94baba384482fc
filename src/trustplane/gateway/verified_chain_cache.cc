#include "trustplane/gateway/verified_chain_cache.h"

#include "trustplane/base/digest.h"

namespace trustplane::gateway {
std::string ChainKey(const std::vector<std::string>& ders) {
  std::string all;
  for (const auto& d : ders) {
    const uint32_t n = static_cast<uint32_t>(d.size());
    for (int shift = 24; shift >= 0; shift -= 8)
      all.push_back(static_cast<char>((n >> shift) & 0xff));
    all += d;
  }
  return Sha256(all);
}

std::shared_ptr<const VerifiedChain> VerifiedChainCache::Find(const std::string& key,
                                                              uint64_t generation,
                                                              UnixSeconds now) {
  std::shared_ptr<const VerifiedChain> found;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.generation == generation) found = it->second.chain;
  }
  if (found && (now < found->valid_from || now > found->valid_until)) found.reset();
  (found ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return found;
}

void VerifiedChainCache::Insert(const std::string& key, uint64_t generation,
                                std::shared_ptr<const VerifiedChain> entry) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mu_);
  if (entries_.size() >= capacity_) entries_.clear();
  Entry& slot = entries_[key];
  // A handshake still on an older snapshot must not evict the newer entry.
  if (slot.chain && slot.generation > generation) return;
  slot = Entry{generation, std::move(entry)};
}

}  // namespace trustplane::gateway
