// Revisions: publishing the rendered trust config into the bucket, its
// history, and rollback to an earlier revision.
//
//   trust-configs/<id>.yaml                       the published revision
//   trust-configs/history/<id>/<revision>.yaml    every revision ever published
//   trust-configs/claims/<id>/<revision>.json     which tenants claimed each
//                                                 certificate when it was first published
//
// A revision is the SHA-256 of the rendered bytes, so the same trusted set
// always has the same revision. Publishing writes the history object first,
// then swaps the current object with a generation precondition: two
// publishers never lose each other's update silently. The publish audit event
// records how far the audit log it covers goes (`covers_seq`), which is when
// every earlier change took effect.
#pragma once

#include <string>
#include <vector>

#include "trustplane/audit/audit_log.h"
#include "trustplane/base/status.h"
#include "trustplane/trust/trust_lifecycle.h"
#include "trustplane/trust/trust_store.h"

namespace trustplane::trust {

std::string CurrentTrustConfigObject(std::string_view id);
std::string TrustConfigHistoryObject(std::string_view id, std::string_view revision);
// The trust config format has no tenants; a rollback restores the claims from here.
std::string TrustConfigClaimsObject(std::string_view id, std::string_view revision);

struct PublishResult {
  std::string revision;
  std::string previous_revision;  // "" when nothing was published before
  bool changed = false;           // false: the store already matched the published revision
  uint64_t covers_seq = 0;
};

struct RevisionInfo {
  std::string revision;
  std::string published_at, published_by;
  bool current = false;
};

struct RollbackResult {
  std::vector<std::string> re_added, removed;  // fingerprints
  PublishResult publish;
};

class Revisions {
 public:
  Revisions(TrustStore& store, TrustLifecycle& lifecycle, audit::AuditLog& audit)
      : store_(store), lifecycle_(lifecycle), audit_(audit) {}

  // Renders the store, checks Certificate Manager's limits and publishes.
  Result<PublishResult> Publish(const std::string& id, const std::string& actor);
  // Newest first.
  Result<std::vector<RevisionInfo>> History(const std::string& id) const;
  // The published bytes of one revision (kNotFound when unknown).
  Result<std::string> Read(const std::string& id, const std::string& revision) const;
  // Makes the trusted set equal to the revision's (re-adding through the
  // onboarding policy, for the tenants that claimed each certificate when the
  // revision was published; removing what it lacks), then publishes it; the
  // result is byte-identical to the revision. Certificates present in both
  // keep their current claims. Re-running it completes an interrupted one.
  Result<RollbackResult> Rollback(const std::string& id, const std::string& revision,
                                  const std::string& actor, const std::string& reason);

 private:
  TrustStore& store_;
  TrustLifecycle& lifecycle_;
  audit::AuditLog& audit_;
};

}  // namespace trustplane::trust
