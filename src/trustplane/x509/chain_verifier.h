// ChainVerifier: path building and verification of a client certificate
// against a trust set, with the Google load balancer's semantics and failure
// reasons (reference: gcp-mtls-trust-config-and-headers.md, sections 2, 3, 5).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/time.h"
#include "trustplane/x509/certificate.h"
#include "trustplane/x509/crypto_policy.h"

namespace trustplane::x509 {

struct TrustMaterial {
  std::vector<Certificate> anchors;
  std::vector<Certificate> intermediates;
  std::vector<Certificate> allowlisted;
};

struct VerifyOptions {
  UnixSeconds at = 0;  // 0 means now
  bool require_client_auth_eku = true;
  int max_depth = 10;                     // including leaf and root
  int max_intermediate_evaluations = 100;
  int max_presented_intermediates = 10;
  int max_same_subject_spki = 10;
  CryptoPolicy crypto;
};

struct VerifyResult {
  bool ok = false;
  bool via_allowlist = false;
  // On failure: the load balancer's statusDetails value, e.g.
  // "client_cert_validation_failed", "client_cert_chain_invalid_eku".
  std::string error;
  // On failure: a specific human explanation ("leaf expired at 2026-01-01T00:00:00Z",
  // "no trusted issuer for CN=x,O=y (AKI 12ab...)").
  std::string detail;
  std::vector<Certificate> chain;  // leaf first, anchor last, on success
};

class ChainVerifier {
 public:
  explicit ChainVerifier(TrustMaterial trust);
  // leaf: the client's certificate; presented: intermediates it sent.
  // Safe to call from many threads at once.
  VerifyResult Verify(const Certificate& leaf, const std::vector<Certificate>& presented,
                      const VerifyOptions& options) const;
  const TrustMaterial& trust() const { return trust_; }

  struct Index;  // lookup tables over trust_, built once in the constructor

 private:
  TrustMaterial trust_;
  std::shared_ptr<const Index> index_;
};

}  // namespace trustplane::x509
