// TrustLoadReporter: makes a gateway that serves a trustplane home's trust
// set report in. Each time the gateway starts enforcing a new trust set, it
// appends a `gateway.trust_loaded` event to the home's audit log naming the
// gateway, the trust-set generation, the trust-config revision that set
// renders to and the audit head read before loading (covers_seq), so `audit
// log` can say when each change reached each gateway.
#pragma once

#include <cstdint>
#include <string>

#include "trustplane/audit/audit_log.h"
#include "trustplane/gateway/trust_snapshot.h"

namespace trustplane::gateway {

// The trust-config revision `content` renders to under `trust_config_id`:
// equal to the revision `trust publish` gives the same trusted set.
std::string RenderedRevision(const TrustSetContent& content, const std::string& trust_config_id);

class TrustLoadReporter : public TrustLoadObserver {
 public:
  // `audit` must outlive the reporter.
  TrustLoadReporter(audit::AuditLog& audit, std::string gateway_name, std::string trust_config_id);

  void BeforeLoad() override;
  // A failed append is logged on stderr and does not stop the gateway: the
  // gateway's job is to serve; the audit log then shows the change as not
  // (yet) loaded, which errs on the safe side.
  void Loaded(const TrustSnapshot& snapshot) override;

 private:
  audit::AuditLog& audit_;
  std::string gateway_name_;
  std::string trust_config_id_;
  uint64_t head_before_load_ = 0;
  bool head_known_ = false;
};

}  // namespace trustplane::gateway
