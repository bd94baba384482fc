// Certificate: an immutable, cheaply copyable parsed X.509 certificate.
// Everything a caller needs is decoded once at parse time; the OpenSSL handle
// stays inside x509/ (see native_handle.h) and never crosses a module boundary.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"

struct x509_st;  // OpenSSL's X509

namespace trustplane::x509 {

enum class KeyType { kRsa, kEc, kEd25519, kEd448, kDsa, kOther };
std::string_view KeyTypeName(KeyType t);  // "RSA", "EC", "Ed25519", ...

struct PublicKeyInfo {
  KeyType type = KeyType::kOther;
  int bits = 0;             // modulus size for RSA, field size for EC, 256 for Ed25519
  std::string curve;        // "P-256", "P-384", "P-521", "" when not EC
  std::string description;  // "RSA 2048", "ECDSA P-256", "Ed25519"
};

struct SubjectAltNames {
  std::vector<std::string> dns;
  std::vector<std::string> ip;  // textual: "127.0.0.1", "::1"
  std::vector<std::string> email;
  std::vector<std::string> uri;
};

struct BasicConstraints {
  bool present = false;
  bool critical = false;
  bool is_ca = false;
  std::optional<int> path_len;
};

// keyUsage bits by name, as in RFC 5280 section 4.2.1.3.
struct KeyUsage {
  bool present = false;
  bool digital_signature = false, content_commitment = false, key_encipherment = false,
       data_encipherment = false, key_agreement = false, key_cert_sign = false, crl_sign = false,
       encipher_only = false, decipher_only = false;
  std::vector<std::string> Names() const;  // "digitalSignature", "keyCertSign", ...
};

struct ExtendedKeyUsage {
  bool present = false;
  std::vector<std::string> purposes;  // short names: "clientAuth", "serverAuth", or dotted OIDs
  bool Has(std::string_view purpose) const;
};

class Certificate {
 public:
  // Parses one DER certificate. Trailing bytes are an error.
  static Result<Certificate> FromDer(std::string_view der);
  // Wraps a certificate OpenSSL has already decoded (a TLS peer's, inside a
  // handshake callback) instead of parsing its DER again: the public-key
  // decoding alone was a tenth of the gateway's CPU per new client. Takes a
  // reference; der() is OpenSSL's encoding of it.
  static Result<Certificate> FromOpenSsl(x509_st* cert);

  const std::string& der() const;
  std::string ToPem() const;  // RFC 7468, 64-column lines, trailing newline

  // One-line RFC 2253-ish rendering ("CN=acme root,O=Acme,C=US") and the raw DER.
  const std::string& subject() const;
  const std::string& issuer() const;
  const std::string& subject_der() const;
  const std::string& issuer_der() const;
  std::string common_name() const;  // "" when absent

  const std::string& serial_hex() const;  // lowercase hex of the positive integer, no colons
  std::string serial_decimal() const;
  const std::string& serial_der_content() const;  // DER INTEGER content bytes (may lead with 00)

  UnixSeconds not_before() const;
  UnixSeconds not_after() const;
  bool IsValidAt(UnixSeconds t) const { return t >= not_before() && t <= not_after(); }

  const SubjectAltNames& sans() const;
  std::optional<std::string> spiffe_id() const;  // the single spiffe:// URI SAN, if any

  const PublicKeyInfo& public_key() const;
  const std::string& signature_algorithm()
      const;  // "sha256WithRSAEncryption", "ecdsa-with-SHA256", "ED25519"
  // Digest used by the signature: "SHA256", "SHA1", "MD5", ... "" for Ed25519/Ed448.
  const std::string& signature_digest() const;

  const BasicConstraints& basic_constraints() const;
  const KeyUsage& key_usage() const;
  const ExtendedKeyUsage& extended_key_usage() const;
  const std::string& subject_key_id() const;    // lowercase hex, "" when absent
  const std::string& authority_key_id() const;  // lowercase hex, "" when absent
  int name_constraint_count() const;            // permitted + excluded subtrees

  bool IsSelfIssued() const;  // subject == issuer
  // Verifies this certificate's signature with its own key (self-signed roots).
  bool VerifySelfSignature() const;
  // Verifies this certificate's signature with issuer's public key.
  bool IsSignedBy(const Certificate& issuer) const;

  const std::string& sha256_hex()
      const;  // equals openssl's -fingerprint -sha256, lowercased, no ':'
  const std::string& sha1_hex() const;
  std::string sha256_raw() const;  // 32 raw bytes

  friend bool operator==(const Certificate& a, const Certificate& b) { return a.der() == b.der(); }

  struct Data;  // defined in certificate.cc; shared, immutable

 private:
  explicit Certificate(std::shared_ptr<const Data> d) : d_(std::move(d)) {}
  std::shared_ptr<const Data> d_;
  friend class NativeAccess;
};

}  // namespace trustplane::x509
