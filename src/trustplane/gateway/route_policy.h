// RoutePolicy: which route a request path selects and whether the client's
// verified certificate may use it. Matching rules are compiled once; a
// decision per request is a few string comparisons.
//
// Rules, in order (the first failure decides):
//  - the path must be plain: no dot segments, empty segments or encoded
//    separators, so a backend that normalizes cannot reach another route's
//    prefix ("invalid_path");
//  - the longest matching prefix wins, on segment boundaries ("/api" matches
//    "/api" and "/api/x", never "/apiary"); no fallback to a shorter prefix
//    when that route denies ("no_route" when none matches);
//  - unless the route sets allow_unverified, the chain must be verified
//    ("no_client_cert", "client_cert_not_verified");
//  - one of the tenants that vouched for the chain must be listed; "*" lists
//    every tenant. Tenants are required, so a CA trusted for tenant B never
//    vouches for a tenant-A route by omission ("tenant_not_allowed");
//  - when any of cn / san / spiffe is set, the leaf must match one entry of
//    any of them; a client is identified by any one of its names
//    ("identity_not_allowed").
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::gateway {

struct AllowRule {
  std::vector<std::string> tenants;  // "*" = any tenant, including operator-owned CAs
  std::vector<std::string> cn;       // globs: '*' any run, '?' one character
  // "[dns:|uri:|email:|ip:]pattern"; bare = dns. DNS globs match label by
  // label, case-insensitively ("*.svc.example.com"); uri/email are globs; ip exact.
  std::vector<std::string> san;
  // Exact SPIFFE IDs, or "spiffe://td/path/*" for every ID below that path.
  std::vector<std::string> spiffe;
};

struct Route {
  std::string prefix;   // "/", "/api"
  std::string backend;  // validated by the config loader
  AllowRule allow;
  // The gateway does no authorization: for ALLOW_INVALID_OR_MISSING_CLIENT_CERT
  // backends that decide from the client_cert_* headers themselves.
  bool allow_unverified = false;
};

// The client as the handshake left it.
struct ClientIdentity {
  bool chain_verified = false;
  const x509::Certificate* leaf = nullptr;  // null: no certificate
  // Tenants whose anchor or allowlist entry admitted the chain; empty for a
  // CA an operator added for everyone (it matches only "*").
  std::vector<std::string> tenants;
};

struct RouteDecision {
  bool allowed = false;
  const Route* route = nullptr;  // the selected route (also when denied); null for no route
  std::string_view deny_reason;  // "" when allowed; stable, for logs and metrics
};

namespace deny {
inline constexpr std::string_view kInvalidPath = "invalid_path";
inline constexpr std::string_view kNoRoute = "no_route";
inline constexpr std::string_view kNoClientCert = "no_client_cert";
inline constexpr std::string_view kNotVerified = "client_cert_not_verified";
inline constexpr std::string_view kTenant = "tenant_not_allowed";
inline constexpr std::string_view kIdentity = "identity_not_allowed";
}  // namespace deny

// Immutable once created; Authorize may run on many threads at once, and
// copies share the compiled rules (a reload swaps in a new policy).
class RoutePolicy {
 public:
  // kInvalidArgument naming the field ("routes[1].allow.spiffe[0]: ...") for a
  // bad prefix, duplicate prefix, missing tenants or malformed pattern.
  static Result<RoutePolicy> Create(std::vector<Route> routes);

  // path: the request target's path; a query or fragment is ignored.
  RouteDecision Authorize(std::string_view path, const ClientIdentity& client) const;

  const std::vector<Route>& routes() const;

  struct Compiled;  // defined in route_policy.cc; immutable, shared

 private:
  std::shared_ptr<const Compiled> c_;
};

}  // namespace trustplane::gateway
