// Pre-issuance lint: refuses, before anything is signed, a certificate that
// would break RFC 5280 basics or this CA's rules. Every refusal is kPolicy
// and names its rule: "lint <rule>: <what is wrong>".
//
// Rules (LintIssuance):
//   empty-subject-no-san     neither a subject nor a SAN (4.1.2.6)
//   no-key-usage             the profile grants no usage at all
//   ca-without-keycertsign   CA:TRUE without keyCertSign (4.2.1.3, 4.2.1.9)
//   leaf-with-keycertsign    keyCertSign without CA:TRUE (4.2.1.9)
//   serial-number            zero, or longer than 20 octets (4.1.2.2)
//   weak-subject-key         RSA under 2048 bits, an EC curve other than
//                            P-256/P-384/P-521, or DSA and other algorithms
//   issuer-expired           the issuing CA's certificate has expired
//   validity-past-issuer     NotAfter later than the issuer's NotAfter
//   validity-empty           NotAfter not after NotBefore
//   issuer-pathlen           a CA below an issuer with pathlen 0, or a
//                            pathlen not below the issuer's (4.2.1.9)
//   san-dns-syntax, san-email-syntax, san-uri-syntax   malformed SANs (4.2.1.6)
//   name-constraints-on-leaf   nameConstraints on a certificate that is not
//                            a CA (4.2.1.10: only CA certificates carry them)
//   name-constraints-violated  a SAN, or a leaf's subject CN that looks like
//                            a DNS name, outside the nameConstraints of the
//                            issuer or of a CA above it (4.2.1.10: they bind
//                            the whole path below them)
// Rules on the issuer itself (LintIssuer):
//   issuer-not-ca            the issuing certificate is not CA:TRUE
//   issuer-without-keycertsign  its keyUsage lacks keyCertSign
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/hosts.h"
#include "trustplane/pki/key_usage.h"
#include "trustplane/pki/name_constraints.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::pki {

struct IssuerFacts {
  std::string subject;
  UnixSeconds not_after = 0;
  std::optional<int> path_len;
  std::optional<NameConstraints> name_constraints;  // the DNS, IP, email and URI ones
  // (subject, nameConstraints) of each CA above the issuer that has them.
  std::vector<std::pair<std::string, NameConstraints>> ancestor_name_constraints;
};

// Everything the lint looks at in a certificate about to be signed.
struct IssuancePlan {
  bool subject_empty = false;
  std::string common_name;
  SubjectAltNameSet sans;
  bool has_name_constraints = false;  // the certificate would carry nameConstraints
  bool is_ca = false;
  std::optional<int> path_len;
  Usages usages;
  UnixSeconds not_before = 0, not_after = 0;
  std::string serial;  // big-endian magnitude
  x509::PublicKeyInfo subject_key;
  std::optional<IssuerFacts> issuer;  // absent when self-signed
  UnixSeconds now = 0;
};

Status LintIssuance(const IssuancePlan& plan);
Status LintIssuer(const x509::Certificate& issuer);

}  // namespace trustplane::pki
