// Signer: issues certificates from CSRs with a CA certificate, its key and
// cfssl signing profiles — cfssl's local signer, on OpenSSL's fast paths.
//
// Per certificate it copies the CSR's SubjectPublicKeyInfo as is (no key
// re-encoding), adds extensions each profile encoded once, draws a 20-byte
// serial, lints, and signs with a digest fetched once. Everything a
// certificate record needs comes back with the DER, so callers need not
// parse the certificate again.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/hosts.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/pki/signing_config.h"
#include "trustplane/pki/subject.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::pki {

// What cfssl's sign request may change.
struct SignOptions {
  std::string profile;  // "" = signing.default
  // Replaces the CSR's SANs (cfssl's "hosts" / -hostname), classified as
  // ClassifyHosts says.
  std::optional<std::vector<std::string>> hosts;
  // cfssl's "subject": its non-empty fields replace the CSR's, the CSR's
  // CN, C, ST, L, O, OU and serialNumber fill the rest; other CSR subject
  // attributes are dropped, as cfssl does.
  std::optional<Subject> subject;
  // Big-endian serial bytes, for profiles with ClientProvidesSerialNumbers
  // (which then require one); otherwise the signer draws one.
  std::optional<std::string> serial;
  UnixSeconds now = 0;  // 0: the current time
};

struct SignedCertificate {
  std::string der;
  std::string serial;  // big-endian magnitude
  UnixSeconds not_before = 0, not_after = 0;
  // True when NotAfter was cut back to the issuer's NotAfter.
  bool not_after_clamped = false;
  std::string subject_key_id, authority_key_id;  // lowercase hex; AKI "" when self-signed
  std::string common_name;
  SubjectAltNameSet sans;

  std::string ToPem() const;
  std::string serial_hex() const;
  std::string serial_decimal() const;  // cfssl's certdb form
};

// Immutable and cheap to copy; Sign may run on many threads at once.
class Signer {
 public:
  // kPolicy "lint issuer-not-ca" / "lint issuer-without-keycertsign" for a CA
  // certificate that cannot issue; kInvalidArgument when ca_key does not
  // belong to ca ("the CA key does not belong to the CA certificate ...").
  // chain: the certificates above ca (its issuer first), as a CA file holds
  // them after the CA; the nameConstraints of those that do chain up from ca
  // bound what is issued too. A certificate that does not issue the one
  // before it ends the chain there.
  static Result<Signer> Create(const x509::Certificate& ca, const PrivateKey& ca_key,
                               SigningConfig config, const std::vector<x509::Certificate>& chain = {});

  // kNotFound for an unknown profile; kPolicy for the lint (see lint.h), a
  // name the profile's name_whitelist does not match as a whole, a CSR asking
  // for CA:TRUE under a profile that is not a CA profile, a remote profile,
  // or a serial a profile does not let the client choose; kInvalidArgument
  // for bad overrides. NotAfter is kept within the CA certificate's.
  Result<SignedCertificate> Sign(const Csr& csr, const SignOptions& options = {}) const;

  const x509::Certificate& ca_certificate() const;
  const SigningConfig& config() const;

  struct State;

 private:
  explicit Signer(std::shared_ptr<const State> s) : state_(std::move(s)) {}
  std::shared_ptr<const State> state_;
};

// cfssl's `gencert -initca`: a certificate for the CSR's key signed by that
// same key (which `key` must hold), issuer = subject, no authority key id,
// with `profile` (usually SigningProfile::ForCa). Linted like Sign.
Result<SignedCertificate> SelfSign(const Csr& csr, const PrivateKey& key,
                                   const SigningProfile& profile, UnixSeconds now = 0);

}  // namespace trustplane::pki
