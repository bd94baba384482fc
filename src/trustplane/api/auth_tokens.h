// API credentials: who may call the control-plane API, as what role, for
// which tenant. They live in <home>/api-tokens.yaml (mode 0600):
//
//   credentials:
//     - actor: ci-acme            # recorded in the audit log for its changes
//       role: tenant              # viewer | tenant | operator | admin
//       tenant: acme              # required for, and only for, role tenant
//       token_sha256: 9f2c...     # SHA-256 (hex) of a bearer token, or
//     - actor: gw-operator
//       role: operator
//       subject_cn: ops.example   # the CN of a verified mTLS client certificate
//
// Only hashes of bearer tokens are stored; a token is shown once, when made.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"

namespace trustplane::api {

enum class Role { kViewer, kTenant, kOperator, kAdmin };
std::string_view RoleName(Role role);
Result<Role> ParseRole(std::string_view name);

// Tenant names are path segments: 1..63 of [a-z0-9._-], starting alphanumeric.
Status ValidateTenantName(std::string_view tenant);

struct Credential {
  std::string actor;
  Role role = Role::kViewer;
  std::string tenant;
  std::string token_sha256;  // bearer token entries
  std::string subject_cn;    // mTLS entries
  std::string created_at;
};

// The authenticated caller of one request.
struct Principal {
  std::string actor;
  Role role = Role::kViewer;
  std::string tenant;  // set only for Role::kTenant
};

// kInvalidArgument naming the problem: no actor, tenant missing or misplaced,
// not exactly one of token_sha256 / subject_cn, a hash that is not 64 hex.
Status ValidateCredential(const Credential& c);
Result<std::vector<Credential>> ParseCredentials(std::string_view yaml);
std::string RenderCredentials(const std::vector<Credential>& creds);
// A missing file is an empty list.
Result<std::vector<Credential>> LoadCredentialsFile(const std::string& path);
// Written to a temporary file with mode 0600, then renamed over `path`.
Status SaveCredentialsFile(const std::string& path, const std::vector<Credential>& creds);

// A new bearer token: "tpk_" and 64 random hex digits.
std::string NewBearerToken();
std::string BearerTokenHash(std::string_view token);  // SHA-256 hex

// The CN of an RFC 2253 subject line ("CN=ops.example,O=Example"), or "".
std::string SubjectCommonName(std::string_view rfc2253);

// Looks callers up in the credentials file, re-reading it when it changes
// (so tokens made while the server runs work at once). Thread-safe.
class Authenticator {
 public:
  explicit Authenticator(std::string path) : path_(std::move(path)) {}
  // For tests: a fixed list, never re-read.
  explicit Authenticator(std::vector<Credential> fixed) : creds_(std::move(fixed)), fixed_(true) {}

  // kNotFound when no credential matches (the caller answers 401). Every
  // stored hash is compared, in constant time, whatever matches.
  Result<Principal> FromBearerToken(std::string_view token);
  Result<Principal> FromClientSubject(std::string_view rfc2253_subject);

 private:
  Status Refresh();

  const std::string path_;
  std::mutex mu_;
  std::vector<Credential> creds_;
  bool fixed_ = false;
  int64_t loaded_mtime_ns_ = -1;
  uintmax_t loaded_size_ = 0;
};

}  // namespace trustplane::api
