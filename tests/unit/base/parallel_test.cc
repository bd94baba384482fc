#include "trustplane/base/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace trustplane {
namespace {

TEST(ParallelFor, CallsEveryIndexExactlyOnce) {
  for (size_t n : {0u, 1u, 31u, 1000u}) {
    std::vector<std::atomic<int>> calls(n);
    ParallelFor(n, [&](size_t i) { calls[i].fetch_add(1); });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(calls[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

}  // namespace
}  // namespace trustplane
