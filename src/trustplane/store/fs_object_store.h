// FsObjectStore: the default ObjectStore, a bucket in a local directory.
// Safe across processes on one host (POSIX link/rename atomicity plus
// advisory flock()s on the object's directory); survives kill -9 at any point
// without a torn or half-visible object. Durability: each write is fsynced
// before it becomes visible; PutAllIfAbsent pays for one filesystem sync per
// large batch. The layout and file format are described in fs_object_store.cc
// and object_file.h.
#pragma once

#include <memory>
#include <string>

#include "trustplane/store/object_store.h"
#include "trustplane/store/unique_fd.h"

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
  FsObjectStore(std::string root, UniqueFd objects_dir, UniqueFd staging_dir,
                std::string staging_path);
  std::string ObjectsPath(std::string_view relative) const;

  std::string root_;
  UniqueFd objects_dir_;      // <root>/objects, the base of every object path
  UniqueFd staging_dir_;      // <root>/.staging/<id>, flock()ed while this store is open
  std::string staging_path_;  // for error messages
};

}  // namespace trustplane::store
