// CrashingObjectStore: forwards to a real store and ends the process
// (_exit, like kill -9: no destructors, no flushing) at a chosen mutating
// call, before or after it reaches the store. Used in forked children to put
// a crash at every step of a change, deterministically.
#pragma once

#include <unistd.h>

#include <type_traits>

#include "trustplane/store/object_store.h"

namespace trustplane::testing {

class CrashingObjectStore final : public store::ObjectStore {
 public:
  enum class When { kBefore, kAfter };
  CrashingObjectStore(store::ObjectStore& inner, int crash_at_call, When when)
      : inner_(inner), crash_at_(crash_at_call), when_(when) {}

  Result<store::Object> Get(std::string_view name) const override { return inner_.Get(name); }
  Result<store::ObjectInfo> Stat(std::string_view name) const override { return inner_.Stat(name); }
  Result<store::ListPage> List(std::string_view prefix, std::string_view token,
                               size_t max) const override {
    return inner_.List(prefix, token, max);
  }
  Result<store::ObjectInfo> PutIfAbsent(const store::NewObject& o) override {
    return Mutate([&] { return inner_.PutIfAbsent(o); });
  }
  Result<store::ObjectInfo> PutIfGeneration(const store::NewObject& o, int64_t gen) override {
    return Mutate([&] { return inner_.PutIfGeneration(o, gen); });
  }
  Status RemoveIfGeneration(std::string_view name, int64_t gen) override {
    return Mutate([&] { return inner_.RemoveIfGeneration(name, gen); });
  }
  std::vector<Result<store::ObjectInfo>> PutAllIfAbsent(
      std::span<const store::NewObject> objects) override {
    return Mutate([&] { return inner_.PutAllIfAbsent(objects); });
  }

  int calls() const { return calls_; }

 private:
  template <typename F>
  std::invoke_result_t<F> Mutate(F&& f) {
    ++calls_;
    if (calls_ == crash_at_ && when_ == When::kBefore) _exit(0);
    auto r = f();
    if (calls_ == crash_at_ && when_ == When::kAfter) _exit(0);
    return r;
  }

  store::ObjectStore& inner_;
  int crash_at_;
  When when_;
  int calls_ = 0;
};

}  // namespace trustplane::testing
