// KEK rotation for a trust store's encrypted payloads (certificates and
// trust-config revisions): `trustplane keys rotate|list|retire`.
#pragma once

#include <cstdint>
#include <map>

#include "trustplane/base/status.h"
#include "trustplane/crypto/rotation.h"
#include "trustplane/trust/trust_store.h"

namespace trustplane::trust {

struct KeyRotationResult {
  uint32_t target_version = 0;
  // True when an earlier rotation was interrupted and this run finished it
  // instead of starting another.
  bool resumed = false;
  crypto::RotationReport report;
};

// Re-wraps every payload's data key under a new KEK version (payloads are
// not re-encrypted). A rotation cut short (a crash, SIGKILL) leaves objects
// under older versions than the current one; the next run finishes that
// rotation rather than adding yet another version. kInvalidArgument when the
// store is not encrypted.
Result<KeyRotationResult> RotateKeys(const TrustStore& store);

// How many stored payloads each KEK version wraps.
Result<std::map<uint32_t, size_t>> KeyVersionsInUse(const TrustStore& store);

// Retires a version once no payload uses it; kConflict naming how many still
// do (run `keys rotate` first).
Status RetireKeyVersion(const TrustStore& store, uint32_t version);

}  // namespace trustplane::trust
