// ControlApi: the control plane's JSON REST API under /api/v1/ (docs/api.md,
// docs/openapi.yaml). Tenants onboard and remove their own CAs and
// allowlisted certificates and read their own audit trail; operators see
// every tenant, export and publish the trust config and roll it back.
//
//   GET    /api/v1/health                                   no authentication
//   GET    /api/v1/whoami
//   POST   /api/v1/tenants/{tenant}/certificates            PEM/DER/PKCS#7 body, or JSON {pem, as}
//   GET    /api/v1/tenants/{tenant}/certificates[/{sha256}]
//   DELETE /api/v1/tenants/{tenant}/certificates/{sha256}   ?reason= or JSON {reason}
//   GET    /api/v1/tenants/{tenant}/audit
//   GET    /api/v1/certificates[/{sha256}]                  ?tenant= &kind=
//   GET    /api/v1/trust-config                             ?format=yaml|json
//   POST   /api/v1/trust-config/publish
//   GET    /api/v1/trust-config/history
//   POST   /api/v1/trust-config/rollback                    JSON {revision, reason}
//   GET    /api/v1/audit                                    ?from=
//
// Callers authenticate with a bearer token or a verified mTLS client
// certificate (auth_tokens.h). A tenant never sees another tenant's objects:
// another tenant's path is 403 tenant_forbidden, another tenant's certificate
// 404 not_found, and shared certificates show only the caller's own claim.
// Errors are {"error": {"code", "message"}} with the stable codes of
// docs/api.md.
#pragma once

#include <memory>
#include <string>

#include "trustplane/api/auth_tokens.h"
#include "trustplane/audit/audit_log.h"
#include "trustplane/base/status.h"
#include "trustplane/net/http_server.h"
#include "trustplane/trust/revisions.h"
#include "trustplane/trust/trust_lifecycle.h"
#include "trustplane/trust/trust_store.h"

namespace trustplane::api {

struct ControlApiOptions {
  // All must outlive the API. Mutating calls are serialized by the API;
  // reads run concurrently with each other.
  trust::TrustStore* store = nullptr;
  trust::TrustLifecycle* lifecycle = nullptr;
  trust::Revisions* revisions = nullptr;
  audit::AuditLog* audit = nullptr;
  Authenticator* auth = nullptr;
  std::string trust_config_id;
  // Per actor (and per client address before authentication); <= 0: off.
  double rate_per_second = 10;
  double rate_burst = 30;
};

class ControlApi {
 public:
  // kInvalidArgument when a required pointer is missing or the id is invalid.
  static Result<std::unique_ptr<ControlApi>> Create(ControlApiOptions options);
  ~ControlApi();

  // Thread-safe; never throws.
  net::HttpResponse Handle(const net::HttpRequest& request);
  // The API's error body for what the HTTP server refuses itself (413, 431, 400).
  static net::HttpResponse ServerError(int status, const std::string& message);

  struct State;

 private:
  explicit ControlApi(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace trustplane::api
