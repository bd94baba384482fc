// Home: the trustplane directory (--home, $TRUSTPLANE_HOME, ~/.trustplane)
// holding config.yaml and, by default, the bucket directory.
#pragma once

#include <memory>
#include <string>

#include "trustplane/audit/audit_log.h"
#include "trustplane/base/status.h"
#include "trustplane/store/object_store.h"
#include "trustplane/trust/onboarding_policy.h"
#include "trustplane/trust/revisions.h"
#include "trustplane/trust/trust_lifecycle.h"
#include "trustplane/trust/trust_store.h"
#include "trustplane/x509/chain_verifier.h"

namespace trustplane::cli {

struct HomeConfig {
  std::string bucket_dir;       // absolute
  std::string trust_config_id;  // default id for `trust export`
  std::string policy_file;      // absolute, or "" for the load balancer's defaults
  std::string kek;              // KEK provider spec (file:/abs/path, pkcs11:...); "" = no encryption
  std::string environment;      // bound into every encrypted object
};

struct InitOptions {
  std::string kek;  // "" = a new key file in the home; else a key file path or pkcs11: URI
  std::string environment = "default";
};

// Resolves --home / $TRUSTPLANE_HOME / ~/.trustplane.
std::string ResolveHomeDir(const std::string& flag);

// Creates the home (config.yaml, bucket/, the KEK); returns false if it already existed.
Result<bool> InitHome(const std::string& dir, const InitOptions& options = {});

// What checking a client certificate needs: the trusted material and the
// verification options of the home's policy.
struct Verification {
  x509::TrustMaterial trust;
  x509::VerifyOptions options;
};

// An opened home with everything commands need, wired together.
class Home {
 public:
  static Result<std::unique_ptr<Home>> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const HomeConfig& config() const { return config_; }
  store::ObjectStore& bucket() { return *bucket_; }
  trust::TrustStore& trust_store() { return *trust_store_; }
  audit::AuditLog& audit_log() { return *audit_; }
  trust::TrustLifecycle& lifecycle() { return *lifecycle_; }
  trust::Revisions& revisions() { return *revisions_; }
  const trust::OnboardingPolicy& policy() const { return policy_; }
  // For verifying at `at` (RFC 3339), or now when it is empty.
  Result<Verification> PrepareVerification(const std::string& at);

 private:
  std::string dir_;
  HomeConfig config_;
  trust::OnboardingPolicy policy_;
  std::unique_ptr<store::ObjectStore> bucket_;
  std::unique_ptr<trust::TrustStore> trust_store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<trust::TrustLifecycle> lifecycle_;
  std::unique_ptr<trust::Revisions> revisions_;
};

}  // namespace trustplane::cli
