// ObjectStore: the narrow bucket interface that holds all trust state.
//
// It models the part of Google Cloud Storage that trustplane relies on: flat
// object names with '/' as a conventional separator, whole-object reads and
// writes, a generation number per object that changes on every write, small
// string metadata, and conditional writes (generation preconditions). The
// filesystem backend (the default) and a GCS backend implement it with the
// same guarantees:
//   * Every write is atomic: a reader sees the old object or the new one,
//     never a mix, also after a crash (kill -9) at any point.
//   * Conditional writes are linearizable across threads and processes: of
//     two racing put_if_absent calls on one name exactly one succeeds.
//   * Generations are positive and strictly increase for a given name, also
//     across delete and re-create.
// All methods are thread-safe. Errors:
//   kNotFound        the object does not exist (get, stat, put_if_generation,
//                    remove_if_generation)
//   kConflict        a precondition failed (object exists, generation differs)
//   kInvalidArgument a bad object name (empty, "..", leading '/', control chars)
//   kInternal        an I/O error; the message names the path and errno text
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"

namespace trustplane::store {

using Metadata = std::map<std::string, std::string>;

struct ObjectInfo {
  std::string name;
  int64_t generation = 0;  // > 0 for an existing object
  uint64_t size = 0;       // payload bytes
  int64_t updated_unix_nanos = 0;
  Metadata metadata;
};

struct Object {
  ObjectInfo info;
  std::string data;
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // sorted by name, ascending
  std::string next_page_token;      // empty when this was the last page
};

struct NewObject {
  std::string name;
  std::string data;
  Metadata metadata;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual Result<Object> Get(std::string_view name) const = 0;
  virtual Result<ObjectInfo> Stat(std::string_view name) const = 0;
  // Objects whose names start with prefix, at most max_results per page,
  // starting after the position encoded in page_token ("" for the first page).
  virtual Result<ListPage> List(std::string_view prefix, std::string_view page_token = {},
                                size_t max_results = 1000) const = 0;

  // Creates the object only if no object of that name exists (GCS
  // ifGenerationMatch=0). kConflict when it exists.
  virtual Result<ObjectInfo> PutIfAbsent(const NewObject& object) = 0;
  // Replaces the object only if its current generation is expected_generation.
  virtual Result<ObjectInfo> PutIfGeneration(const NewObject& object,
                                             int64_t expected_generation) = 0;
  // Deletes the object only if its current generation is expected_generation.
  virtual Status RemoveIfGeneration(std::string_view name, int64_t expected_generation) = 0;

  // PutIfAbsent for many objects, one result per object in the same order.
  // Each object is created atomically on its own (there is no multi-object
  // transaction); a backend may batch the durable sync so that a large
  // onboarding pays for it once. The default calls PutIfAbsent in a loop.
  virtual std::vector<Result<ObjectInfo>> PutAllIfAbsent(std::span<const NewObject> objects);

  // Lists every object under prefix, following pages.
  Result<std::vector<ObjectInfo>> ListAll(std::string_view prefix) const;
};

// Checks the object-name rules shared by all backends.
Status ValidateObjectName(std::string_view name);

}  // namespace trustplane::store
