// ParallelFor: spread independent, CPU-bound work (certificate parsing,
// signature checks) over the machine's cores.
#pragma once

#include <cstddef>
#include <functional>

namespace trustplane {

// Calls fn(i) for every i in [0, n), from up to hardware_concurrency threads
// (the caller's included); returns when all calls have returned. fn must be
// safe to call concurrently for different i. Small n runs inline.
void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

}  // namespace trustplane
