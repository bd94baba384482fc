// ClientCertVariables: the Google load balancer's mTLS custom header
// variables (client_cert_present, client_cert_error, ...) for one connection,
// with the load balancer's exact encodings and size limits (reference:
// gcp-mtls-trust-config-and-headers.md, sections 4 and 5).
//
// Computed once per connection from the handshake outcome, then read by every
// request on it; values no header template uses are skipped (see `needed`).
#pragma once

#include <array>
#include <bitset>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/x509/certificate.h"

namespace trustplane::gateway {

enum class CertVariable {
  kPresent,
  kChainVerified,
  kError,
  kSha256Fingerprint,
  kSerialNumber,
  kSpiffeId,
  kUriSans,
  kDnsnameSans,
  kValidNotBefore,
  kValidNotAfter,
  kIssuerDn,
  kSubjectDn,
  kLeaf,
  kChain,
};
inline constexpr size_t kCertVariableCount = 14;
using CertVariableSet = std::bitset<kCertVariableCount>;

// "client_cert_present", ... ; and back (nullopt for an unknown name).
std::string_view CertVariableName(CertVariable v);
std::optional<CertVariable> CertVariableFromName(std::string_view name);

// What the TLS handshake established. Proof of possession has already
// succeeded (a failure there ends the handshake before any header exists).
struct HandshakeOutcome {
  std::optional<x509::Certificate> leaf;     // nullopt: the client sent no certificate
  std::vector<x509::Certificate> presented;  // the rest of the client's chain, as sent
  bool chain_verified = false;               // ChainVerifier said ok (chain or allowlist)
  // The verifier's client_cert_* reason when not verified; ignored when
  // verified, and replaced by client_cert_not_provided when there is no leaf.
  std::string error;
};

// True for a well-formed SPIFFE ID (spiffe://trust-domain/path, SPIFFE ID
// spec section 2): lowercase trust domain, no empty, "." or ".." segments,
// no query, fragment, port or userinfo.
bool IsValidSpiffeId(std::string_view id);

// Immutable after Compute, so requests on the connection read it freely.
class ClientCertVariables {
 public:
  // needed: the variables some header reads; the others stay "". The error
  // always accounts for every size limit, needed or not, as the load
  // balancer's does.
  static ClientCertVariables Compute(const HandshakeOutcome& outcome,
                                     CertVariableSet needed = CertVariableSet().set());

  const std::string& Get(CertVariable v) const { return values_[static_cast<size_t>(v)]; }

 private:
  std::array<std::string, kCertVariableCount> values_;
};

}  // namespace trustplane::gateway
