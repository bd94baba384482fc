// IssueCertificate: builds, lints and signs one X.509 certificate.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/certificate_request.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/pki/signing_profile.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::pki {

struct Issuer {
  x509::Certificate certificate;
  PrivateKey key;
};

struct IssueRequest {
  const CertificateRequest* subject = nullptr;  // CN, names, hosts
  // When set, the subject name as DER (from a CSR), used instead of CN/names.
  std::string subject_name_der;
  EVP_PKEY* public_key = nullptr;               // the subject's key
  SigningProfile profile;
  // Unset: self-signed with self_key (a new root).
  std::optional<Issuer> issuer;
  const PrivateKey* self_key = nullptr;
  UnixSeconds now = 0;  // 0 = current time
};

// Refuses, naming the rule, what RFC 5280 forbids before signing anything:
// an empty subject without SANs, a CA without keyCertSign, a leaf with
// keyCertSign, an issuer that is not a CA. NotAfter never passes the issuer's.
// Serial numbers: 20 random bytes with the top bit cleared (positive, <= 20 octets).
Result<x509::Certificate> IssueCertificate(const IssueRequest& request);

// A PKCS#10 request read from PEM whose signature verifies.
struct SignedCsr {
  std::string subject_name_der;
  std::vector<std::string> hosts;  // its SANs, in cfssl's "hosts" form
  std::shared_ptr<EVP_PKEY> public_key;
};
Result<SignedCsr> ReadCsrPem(std::string_view pem);

// A PKCS#10 request for `subject`, signed with key (what `cfssljson -bare` writes as NAME.csr).
Result<std::string> CreateCsrPem(const CertificateRequest& subject, const PrivateKey& key);

}  // namespace trustplane::pki
