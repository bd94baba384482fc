// Csr: a PKCS#10 certificate signing request whose signature has been
// verified, with the facts the signer needs decoded once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"
#include "trustplane/pki/certificate_request.h"
#include "trustplane/pki/hosts.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::pki {

// Immutable, cheap to copy, safe to read from many threads.
class Csr {
 public:
  // A "CERTIFICATE REQUEST" (or "NEW CERTIFICATE REQUEST") PEM block.
  // kInvalidArgument: "not a PEM certificate signing request", a malformed
  // request, or a signature that does not verify with the request's own key.
  static Result<Csr> FromPem(std::string_view pem);
  // Takes a fast path for the common key types (no eager key decode, see
  // csr.cc); any request it does not accept goes the straightforward way,
  // so results and errors are those of FromDerStraightforward.
  static Result<Csr> FromDer(std::string_view der);
  // d2i_X509_REQ + X509_REQ_verify; what FromDer must agree with (tests).
  static Result<Csr> FromDerStraightforward(std::string_view der);
  // The request cfssl makes from CSR JSON: its subject; its hosts as SANs;
  // with a "ca" block, a critical basicConstraints CA:TRUE (pathlen as
  // CaSettings says). Signed with key, digest as cfssl picks it.
  static Result<Csr> Generate(const CertificateRequest& request, const PrivateKey& key);

  const std::string& der() const;
  std::string ToPem() const;

  const std::string& subject() const;  // "CN=svc,O=Acme" (RFC 2253 order); "" when empty
  const std::string& common_name() const;
  bool subject_empty() const;
  // Its subjectAltName entries (DNS, IP, email, URI).
  const SubjectAltNameSet& sans() const;
  // True when the subjectAltName holds kinds the signer does not copy
  // (directoryName, otherName, ...), which cfssl drops too.
  bool has_other_sans() const;
  const x509::PublicKeyInfo& public_key() const;
  // basicConstraints CA:TRUE in the request's extensions.
  bool requests_ca() const;

  struct Data;

 private:
  explicit Csr(std::shared_ptr<const Data> d) : d_(std::move(d)) {}
  static Result<Csr> Decode(std::shared_ptr<Data> d);
  std::shared_ptr<const Data> d_;
  friend class NativeCsr;
};

}  // namespace trustplane::pki
