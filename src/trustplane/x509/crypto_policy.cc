#include "trustplane/x509/crypto_policy.h"

#include <algorithm>

namespace trustplane::x509 {
namespace {

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string Join(const std::vector<int>& v) {
  std::string out;
  for (int i : v) out += (out.empty() ? "" : ", ") + std::to_string(i);
  return out;
}

}  // namespace

std::optional<CryptoViolation> CheckKey(const Certificate& cert, const CryptoPolicy& policy) {
  using Kind = CryptoViolation::Kind;
  const PublicKeyInfo& k = cert.public_key();
  switch (k.type) {
    case KeyType::kRsa:
      if (Contains(policy.rsa_bits, k.bits)) return std::nullopt;
      return CryptoViolation{Kind::kRsaKeySize, std::to_string(k.bits), Join(policy.rsa_bits)};
    case KeyType::kEc:
      if (Contains(policy.ec_curves, k.curve)) return std::nullopt;
      return CryptoViolation{Kind::kEcCurve, k.curve, Join(policy.ec_curves)};
    case KeyType::kEd25519:
      if (policy.allow_ed25519) return std::nullopt;
      break;
    default:
      break;
  }
  std::vector<std::string> allowed;
  if (!policy.rsa_bits.empty()) allowed.push_back("RSA");
  if (!policy.ec_curves.empty()) allowed.push_back("ECDSA");
  if (policy.allow_ed25519) allowed.push_back("Ed25519");
  return CryptoViolation{Kind::kKeyAlgorithm, k.description, Join(allowed)};
}

std::optional<CryptoViolation> CheckSignatureDigest(const Certificate& cert,
                                                    const CryptoPolicy& policy) {
  const std::string& digest = cert.signature_digest();
  if (digest.empty()) {
    // EdDSA signs without a separate digest; its key type is the policy.
    if (cert.signature_algorithm() == "ED25519" && policy.allow_ed25519) return std::nullopt;
  } else if (Contains(policy.signature_digests, digest)) {
    return std::nullopt;
  }
  return CryptoViolation{CryptoViolation::Kind::kSignatureDigest, digest,
                         Join(policy.signature_digests)};
}

}  // namespace trustplane::x509
