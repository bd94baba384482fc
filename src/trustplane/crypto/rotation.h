// Re-wrapping stored envelopes under a new KEK version (`keys rotate`).
//
// The progress of a rotation lives in the objects themselves: each envelope
// header names the KEK version that wraps its data key. So the run needs no
// checkpoint: an object already under the target version is skipped, and a
// run that crashed midway is finished by running it again with the same
// target. Each object is replaced with a generation precondition, so a
// concurrent writer is never overwritten; on a conflict the object is read
// again and retried.
//
// Storage is reached only through callbacks, which keeps crypto independent
// of the store module (the caller adapts ObjectStore::Get/PutIfGeneration).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/crypto/kek_provider.h"

namespace trustplane::crypto {

struct StoredEnvelope {
  std::string data;
  int64_t generation = 0;
};

struct RotationCallbacks {
  // The object's bytes and generation; kNotFound when it no longer exists.
  std::function<Result<StoredEnvelope>(const std::string& name)> read;
  // Replaces the object only if its generation is still expected_generation;
  // kConflict when it changed, kNotFound when it was deleted.
  std::function<Status(const std::string& name, const std::string& data,
                       int64_t expected_generation)>
      write;
};

struct RotationReport {
  size_t rewrapped = 0;        // written under the target version by this run
  size_t already_current = 0;  // were under the target version already
  size_t vanished = 0;         // deleted while the run was going
  size_t not_encrypted = 0;    // plaintext objects (not envelopes), left alone
};

// Re-wraps every named envelope under target_version of kek. Stops at the
// first error, which names the object; completed objects stay completed.
Result<RotationReport> RewrapObjects(const KekProvider& kek, uint32_t target_version,
                                     const std::vector<std::string>& names,
                                     const RotationCallbacks& io);

}  // namespace trustplane::crypto
