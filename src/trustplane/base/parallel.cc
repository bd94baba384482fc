#include "trustplane/base/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace trustplane {
namespace {

// Below this many items a thread costs more than it saves.
constexpr size_t kMinItemsPerThread = 32;

}  // namespace

void ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min(cores, n / kMinItemsPerThread);
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace trustplane
