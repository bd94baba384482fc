// Test PKI: builds certificates and keys in memory with OpenSSL 3 so tests
// describe exactly the certificate they need (CA flags, EKU, SANs, validity,
// key type, digest, ...). Keys come from a per-kind pool because key
// generation dominates test time; set CertSpec::fresh_key for a distinct key.
// Failures throw std::runtime_error (gtest reports it as a test failure).
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trustplane/x509/certificate.h"

namespace trustplane::testing {

enum class KeyKind { kEcP256, kEcP384, kEcP521, kRsa1024, kRsa2048, kRsa3072, kRsa4096, kEd25519 };

struct CertSpec {
  std::string cn = "test";  // subject CN; org below is O=
  std::string org;
  bool is_ca = false;             // basicConstraints CA:TRUE (critical)
  bool basic_constraints = true;  // false: omit the extension entirely
  std::optional<int> path_len;
  std::optional<bool>
      key_cert_sign;             // default: is_ca. keyUsage is written when is_ca or key_usage_leaf
  bool key_usage_leaf = true;    // leaf: digitalSignature keyUsage
  std::vector<std::string> eku;  // "clientAuth", "serverAuth", "codeSigning", "OCSPSigning"...
  std::vector<std::string> dns, ip, email, uri;
  int64_t not_before = 0;         // absolute unix seconds; 0 => now - 3600
  int64_t not_after = 0;          // absolute unix seconds; 0 => now + 365 days
  std::string digest = "SHA256";  // "SHA1", "SHA384", "MD5" ... (ignored for Ed25519)
  KeyKind key = KeyKind::kEcP256;
  int name_constraints = 0;           // adds this many permitted DNS subtrees
  std::string serial_hex;             // "" => 16 random bytes, positive
  bool skid_akid = true;              // write SKI (and AKI when issued by another cert)
  bool fresh_key = false;             // true: generate a new key instead of a pooled one
  std::shared_ptr<EVP_PKEY> use_key;  // certify this key (re-issue, cross-sign); overrides `key`
};

struct Issued {
  x509::Certificate cert;
  std::string cert_pem;
  std::string key_pem;  // PKCS#8 PEM, unencrypted
  std::shared_ptr<EVP_PKEY> key;
};

// A key of `kind`: the next one from the process-wide pool (a few per kind,
// handed out in rotation), or a newly generated one when fresh.
std::shared_ptr<EVP_PKEY> TestKey(KeyKind kind, bool fresh = false);

Issued MakeSelfSigned(const CertSpec& spec);
Issued MakeIssued(const CertSpec& spec, const Issued& issuer);

// Common shapes.
Issued MakeRootCa(const std::string& cn, KeyKind key = KeyKind::kEcP256);
Issued MakeIntermediateCa(const std::string& cn, const Issued& root,
                          KeyKind key = KeyKind::kEcP256);
// clientAuth EKU, digitalSignature keyUsage, CA:FALSE.
Issued MakeClientLeaf(const std::string& cn, const Issued& issuer, KeyKind key = KeyKind::kEcP256);
// A local test server's: serverAuth EKU, SANs IP 127.0.0.1 and DNS localhost.
Issued MakeLocalServerLeaf(const std::string& cn, const Issued& issuer);

std::string DerOf(const Issued& issued);  // raw DER
// The certificates' PEM blocks concatenated in order.
std::string PemOf(const std::vector<Issued>& certs);
// Certs-only PKCS#7 SignedData (.p7b), as `openssl crl2pkcs7 -nocrl` writes it.
std::string Pkcs7Of(const std::vector<Issued>& certs, bool pem);

}  // namespace trustplane::testing
