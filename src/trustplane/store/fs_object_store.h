// FsObjectStore: the default ObjectStore, a bucket in a local directory.
// Safe across processes on one host (POSIX link/rename atomicity plus
// per-object advisory locks); survives kill -9 at any point without a torn or
// half-visible object. Durability: each write is fsynced before it becomes
// visible; PutAllIfAbsent pays for one filesystem sync per batch.
#pragma once

#include <memory>
#include <string>

#include "trustplane/store/object_store.h"

namespace trustplane::store {

class FsObjectStore final : public ObjectStore {
 public:
  // Opens (creating if needed) the bucket rooted at dir.
  static Result<std::unique_ptr<FsObjectStore>> Open(const std::string& dir);

  Result<Object> Get(std::string_view name) const override;
  Result<ObjectInfo> Stat(std::string_view name) const override;
  Result<ListPage> List(std::string_view prefix, std::string_view page_token,
                        size_t max_results) const override;
  Result<ObjectInfo> PutIfAbsent(const NewObject& object) override;
  Result<ObjectInfo> PutIfGeneration(const NewObject& object, int64_t expected_generation) override;
  Status RemoveIfGeneration(std::string_view name, int64_t expected_generation) override;
  std::vector<Result<ObjectInfo>> PutAllIfAbsent(std::span<const NewObject> objects) override;

  const std::string& root() const { return root_; }

 private:
  explicit FsObjectStore(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

}  // namespace trustplane::store
