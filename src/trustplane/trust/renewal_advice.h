// RenewalAdvice: what the platform must do when a client renews its
// certificate (seed 000). Nothing, while the new certificate chains to a
// trusted CA and keeps its CN; onboard the new issuing CA (keeping the old
// one during the overlap) when the issuer changed to an untrusted one;
// update CN-based authorization rules when the CN changed.
#pragma once

#include <string>
#include <vector>

#include "trustplane/x509/certificate.h"
#include "trustplane/x509/chain_verifier.h"

namespace trustplane::trust {

struct RenewalInput {
  x509::Certificate old_cert;
  std::vector<x509::Certificate> old_chain;  // what the client sent with it, may be empty
  x509::Certificate new_cert;
  std::vector<x509::Certificate> new_chain;
};

struct RenewalAdvice {
  bool action_required = false;
  bool new_trusted = false;         // the new certificate verifies against the trust store now
  std::string new_error;            // load-balancer reason when it does not
  std::string new_error_detail;
  bool issuer_changed = false;      // issuer name or authority key id differs
  bool cn_changed = false;
  std::string old_cn, new_cn;
  bool sans_changed = false;
  // What to do, in order; empty when nothing.
  std::vector<std::string> actions;
  // Notes that need no action (e.g. the new issuer is already trusted).
  std::vector<std::string> notes;
};

RenewalAdvice AdviseRenewal(const RenewalInput& input, const x509::ChainVerifier& verifier,
                            const x509::VerifyOptions& options);

}  // namespace trustplane::trust
