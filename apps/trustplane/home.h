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

namespace trustplane::cli {

struct HomeConfig {
  std::string bucket_dir;       // absolute
  std::string trust_config_id;  // default id for `trust export`
  std::string policy_file;      // absolute, or "" for the load balancer's defaults
};

// Resolves --home / $TRUSTPLANE_HOME / ~/.trustplane.
std::string ResolveHomeDir(const std::string& flag);

// Creates the home (config.yaml, bucket/); returns false if it already existed.
Result<bool> InitHome(const std::string& dir);

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
