// CryptoPolicy: which keys and signature digests a certificate may use, and
// the checks against it shared by the chain verifier and onboarding (each maps
// a CryptoViolation to its own error vocabulary and message).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trustplane/x509/certificate.h"

namespace trustplane::x509 {

struct CryptoPolicy {
  // Defaults are exactly what the load balancer accepts.
  std::vector<int> rsa_bits = {2048, 3072, 4096};
  // Names as PublicKeyInfo::curve and Certificate::signature_digest report them.
  std::vector<std::string> ec_curves = {"P-256", "P-384"};
  bool allow_ed25519 = false;
  // Digests accepted in signatures; anything else fails validation.
  std::vector<std::string> signature_digests = {"SHA256", "SHA384", "SHA512"};
  int max_name_constraints = 10;
};

struct CryptoViolation {
  enum class Kind { kRsaKeySize, kEcCurve, kKeyAlgorithm, kSignatureDigest };
  Kind kind;
  // The offending value: the RSA size ("1024"), the curve, the key's
  // description, or the digest (empty for an algorithm without a separate
  // digest, such as EdDSA; Certificate::signature_algorithm names it).
  std::string actual;
  // What the policy allows, comma-separated ("2048, 3072"; for kKeyAlgorithm
  // "RSA, ECDSA, Ed25519"); empty when it allows none of that kind.
  std::string allowed;
};

// The certificate's public key against rsa_bits, ec_curves and allow_ed25519.
std::optional<CryptoViolation> CheckKey(const Certificate& cert, const CryptoPolicy& policy);

// The digest of the certificate's own signature against signature_digests; an
// Ed25519 signature passes when allow_ed25519.
std::optional<CryptoViolation> CheckSignatureDigest(const Certificate& cert,
                                                    const CryptoPolicy& policy);

}  // namespace trustplane::x509
