// TrustLifecycle: every change of the trusted set (add, claim, remove, gc,
// import), each validated first, written through an Intent and recorded in
// the audit log with the actor who made it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trustplane/audit/audit_log.h"
#include "trustplane/base/status.h"
#include "trustplane/trust/intent.h"
#include "trustplane/trust/onboarding_policy.h"
#include "trustplane/trust/trust_store.h"

namespace trustplane::trust {

struct Submission {
  x509::Certificate cert;
  std::optional<TrustKind> as;  // unset: classify automatically
  std::string source;           // e.g. the file it came from, for messages
};

struct AddRequest {
  std::vector<Submission> certificates;
  std::string tenant;  // "" = operator, trusted for every tenant
  std::string actor;
  UnixSeconds now = 0;  // 0 = current time
  bool validate_only = false;  // evaluate the policy and report, write nothing
};

enum class Outcome { kAdded, kAlreadyTrusted, kRejected, kNotAdded };
std::string_view OutcomeName(Outcome o);  // "added", "already-trusted", "rejected", "not-added"

struct CertificateOutcome {
  x509::Certificate cert;
  TrustKind kind = TrustKind::kAnchor;
  Outcome outcome = Outcome::kAdded;
  std::string message;  // rule violation, or "claimed for tenant acme", or "already trusted as anchor"
  std::string source;
};

struct AddResult {
  std::vector<CertificateOutcome> certificates;  // in submission order, duplicates folded
  bool rejected = false;  // nothing was written because some certificate was refused
  std::string request_id;
};

struct RemoveRequest {
  std::string sha256;
  std::string tenant;  // set: drop this tenant's claim only
  std::string reason;
  std::string actor;
};

struct RemoveResult {
  TrustRecord record;
  bool removed = false;  // false: only the tenant's claim was dropped
  std::vector<std::string> remaining_tenants;
};

struct GcResult {
  std::vector<TrustRecord> expired;  // removed, or would be with dry_run
};

class TrustLifecycle {
 public:
  TrustLifecycle(TrustStore& store, audit::AuditLog& audit, OnboardingPolicy policy);

  // Validates everything before writing anything: a refused certificate
  // makes the whole request write nothing but a "rejected" audit event.
  Result<AddResult> Add(const AddRequest& request);
  Result<RemoveResult> Remove(const RemoveRequest& request);
  Result<GcResult> CollectExpired(const std::string& actor, bool dry_run, UnixSeconds now = 0);
  // Completes the audit of mutations whose process died before recording
  // them; returns how many intents were settled.
  Result<int> Recover();
  // Intents still pending (for audit verify).
  Result<std::vector<Intent>> PendingIntents() const;

 private:
  Status Begin(const Intent& intent);
  Status Finish(const Intent& intent);
  Result<audit::AuditEvent> RecordEvent(const Intent& intent, std::string action,
                                        std::vector<std::string> fingerprints, std::string result,
                                        std::string reason);
  Status ClaimFor(const std::string& sha256, const std::string& tenant);
  Status SettleIntent(const Intent& intent, int64_t generation);

  TrustStore& store_;
  audit::AuditLog& audit_;
  OnboardingPolicy policy_;
};

}  // namespace trustplane::trust
