// SigningProfile: what an issued certificate may do and how long it lives —
// one entry of cfssl's config ("signing.default" or "signing.profiles.NAME").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/time.h"
#include "trustplane/pki/certificate_request.h"
#include "trustplane/pki/key_usage.h"
#include "trustplane/pki/name_constraints.h"

namespace trustplane::pki {

// "ca_constraint". The path length follows cfssl (Go): max_path_len N > 0
// limits to N; 0 with max_path_len_zero limits to 0; otherwise no limit.
struct CaConstraint {
  bool is_ca = false;
  int max_path_len = 0;
  bool max_path_len_zero = false;
  std::optional<int> PathLen() const;
};

// "CSRWhitelist": which of the CSR's fields the certificate takes. Without
// one, all of them (subject and every SAN kind).
struct CsrWhitelist {
  bool subject = false, dns_names = false, ip_addresses = false, email_addresses = false,
       uris = false;
};

// "policies": certificatePolicies entries with optional id-qt-cps (URI) and
// id-qt-unotice (explicit text) qualifiers.
struct CertificatePolicy {
  std::string oid;
  std::vector<std::string> cps_uris;
  std::vector<std::string> user_notices;
};

struct SigningProfile {
  std::vector<std::string> usage_names;  // as configured
  Usages usages;                         // what they mean
  int64_t expiry_seconds = 0;
  int64_t backdate_seconds = 0;  // 0: cfssl's default of 5 minutes
  std::optional<UnixSeconds> not_before, not_after;
  std::vector<std::string> issuer_urls;  // AIA caIssuers
  std::string ocsp_url;                  // AIA OCSP
  std::string crl_url;                   // CRL distribution point
  bool ocsp_no_check = false;            // id-pkix-ocsp-nocheck, for OCSP responder certificates
  CaConstraint ca_constraint;
  std::vector<CertificatePolicy> policies;
  // trustplane's own (cfssl has none): nameConstraints for the CA
  // certificates this profile issues; the lint refuses them on a leaf profile.
  std::optional<NameConstraints> name_constraints;
  // Regular expression (ECMAScript syntax, which covers the RE2 patterns
  // cfssl configs use) that the CN and every DNS, email and URI SAN must
  // match. Unlike cfssl, it must match the WHOLE name: "example\.com" does
  // not admit "example.com.evil.net".
  std::string name_whitelist;
  std::shared_ptr<const std::regex> name_whitelist_regex;  // compiled; null when none
  std::optional<CsrWhitelist> csr_whitelist;
  bool client_provides_serial_numbers = false;
  std::vector<std::string> allowed_extensions;  // dotted OIDs a sign request may add
  std::string auth_key, prev_auth_key;          // names in the config's auth_keys
  // Set for "remote"/"auth_remote" profiles, which a remote CA signs.
  std::string remote;

  // cfssl's built-in default: 1 year; signing, key encipherment, server auth, client auth.
  static SigningProfile Default();
  // cfssl's policy for a new CA (`gencert -initca`): "cert sign", "crl sign",
  // CA:TRUE, with the CSR JSON's "ca" expiry, backdate, path length and
  // name constraints.
  static SigningProfile ForCa(const CaSettings& ca);

  struct Validity {
    UnixSeconds not_before = 0, not_after = 0;
  };
  // As cfssl computes it: NotBefore is not_before if set, else now rounded to
  // the minute minus backdate; NotAfter is not_after if set, else NotBefore +
  // expiry. (The signer then keeps NotAfter within the issuer's.)
  Validity ValidityAt(UnixSeconds now) const;

  // True when there is no whitelist or it matches all of name.
  bool NameAllowed(std::string_view name) const;
};

}  // namespace trustplane::pki
