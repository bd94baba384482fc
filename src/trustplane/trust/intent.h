// Intent: a write-ahead record of one mutation of the trusted set.
//
// The bucket has no multi-object transactions, so a change is written as:
// intent object -> certificate objects -> audit event -> intent removed.
// A process killed in between leaves the intent behind; Recover() later
// finds which effects happened and appends the missing audit event, so the
// audit trail never misses a change that reached the store.
#pragma once

#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/trust/trust_config.h"

namespace trustplane::trust {

struct IntentItem {
  enum class Op { kCreate, kClaim, kUnclaim, kDelete };
  Op op = Op::kCreate;
  TrustKind kind = TrustKind::kAnchor;
  std::string sha256;
};

struct Intent {
  std::string request_id;
  std::string action;  // the audit action it will record, e.g. "trust.add"
  std::string actor, tenant, reason;
  UnixSeconds created = 0;
  std::string host;
  int pid = 0;
  std::vector<IntentItem> items;

  std::string ObjectName() const;
  std::string Serialize() const;
  static Result<Intent> Parse(std::string_view bytes);
  // True when the process that wrote it cannot still be working on it.
  bool IsAbandoned(UnixSeconds now) const;
};

// Fills request_id, created, host and pid for a new intent by this process.
Intent NewIntent(std::string action, std::string actor, std::string tenant, std::string reason);

}  // namespace trustplane::trust
