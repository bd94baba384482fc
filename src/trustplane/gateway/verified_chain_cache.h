// VerifiedChainCache: chains that passed verification, keyed by the bytes the
// client presented and the trust-set generation they were checked against,
// so a returning client's signatures are not verified again on every full
// handshake. An entry is used only inside the validity window of every
// certificate in its chain (allowlist entries have none: the load balancer
// accepts them expired), and a new generation never sees an old entry.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "trustplane/base/time.h"
#include "trustplane/x509/certificate.h"
#include "trustplane/x509/chain_verifier.h"

namespace trustplane::gateway {

struct VerifiedChain {
  x509::Certificate leaf;
  std::vector<x509::Certificate> presented;  // as sent, after the leaf
  x509::VerifyResult result;                 // ok
  std::vector<std::string> tenants;          // who vouched
  UnixSeconds valid_from = 0, valid_until = 0;
};

// SHA-256 over the DER certificates as presented (each length-prefixed, so
// two different splits of the same bytes differ).
std::string ChainKey(const std::vector<std::string>& ders);

class VerifiedChainCache {
 public:
  // capacity: entries kept; when full the cache starts over (cheap, and a
  // flood of distinct chains cannot grow it).
  explicit VerifiedChainCache(size_t capacity = 10000) : capacity_(capacity) {}

  std::shared_ptr<const VerifiedChain> Find(const std::string& key, uint64_t generation,
                                            UnixSeconds now);
  void Insert(const std::string& key, uint64_t generation,
              std::shared_ptr<const VerifiedChain> entry);

  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    uint64_t generation = 0;
    std::shared_ptr<const VerifiedChain> chain;
  };
  size_t capacity_;
  std::mutex mu_;
  // By chain key; one generation per chain (the newest inserted): an entry
  // of another generation is a miss, and verifying under the new generation
  // replaces it. No key string is built per lookup.
  std::unordered_map<std::string, Entry> entries_;
  std::atomic<uint64_t> hits_{0}, misses_{0};
};

}  // namespace trustplane::gateway
