// OnboardingPolicy: what a tenant's bundle must satisfy before anything is
// written to the trust store. The defaults are exactly what Google's load
// balancer accepts (reference: gcp-mtls-trust-config-and-headers.md, sections
// 2.1 and 2.2); a policy file widens or narrows them for other gateways.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/trust/trust_config.h"
#include "trustplane/x509/certificate.h"
#include "trustplane/x509/chain_verifier.h"
#include "trustplane/x509/crypto_policy.h"

namespace trustplane::trust {

// Stable rule ids, reported in Verdict::rule. Checks run in this order and
// the first one violated is reported.
namespace rules {
// Classification and shape, by kind.
// A non-CA submitted without `as` (allowlisting must be asked for).
inline constexpr std::string_view kLeafNotAllowedAsCa = "leaf-not-allowed-as-ca";
// An anchor or intermediate without basicConstraints CA:TRUE.
inline constexpr std::string_view kAnchorNotCa = "anchor-not-ca";
inline constexpr std::string_view kIntermediateNotCa = "intermediate-not-ca";
// An anchor or intermediate whose keyUsage is absent or lacks keyCertSign (RFC 5280 4.2.1.3).
inline constexpr std::string_view kAnchorNoKeyCertSign = "anchor-no-keycertsign";
inline constexpr std::string_view kIntermediateNoKeyCertSign = "intermediate-no-keycertsign";
// An allowlisted certificate that is a CA, or whose EKU lacks clientAuth.
inline constexpr std::string_view kAllowlistedNotLeaf = "allowlisted-not-leaf";
inline constexpr std::string_view kAllowlistedNoClientAuth = "allowlisted-no-client-auth";
// Size and cryptography, every kind.
inline constexpr std::string_view kPemTooLarge = "pem-too-large";  // PEM over max_pem_bytes
inline constexpr std::string_view kRsaKeySize = "rsa-key-size";    // RSA size not in rsa_bits
inline constexpr std::string_view kEcCurve = "ec-curve";           // curve not in ec_curves
// A key that is neither RSA, EC nor (when allowed) Ed25519.
inline constexpr std::string_view kKeyAlgorithm = "key-algorithm";
inline constexpr std::string_view kSignatureDigest = "signature-digest";  // digest not allowed
inline constexpr std::string_view kNameConstraints = "name-constraints";  // too many subtrees
// Validity at the evaluation time; expiry of allowlisted certificates only
// with refuse_expired_allowlisted.
inline constexpr std::string_view kNotYetValid = "not-yet-valid";
inline constexpr std::string_view kExpired = "expired";
// A self-issued anchor whose signature does not verify with its own key.
inline constexpr std::string_view kSelfSignatureInvalid = "self-signature-invalid";
// An intermediate that chains to no anchor of the bundle or the store.
inline constexpr std::string_view kNoPathToRoot = "no-path-to-root";
}  // namespace rules

// The policy's decision on one certificate.
struct Verdict {
  x509::Certificate cert;
  // What it was evaluated as. A leaf submitted without `as` (rejected) gets
  // the CA kind its shape suggests: anchor when self-issued, else intermediate.
  TrustKind kind;
  bool accepted = false;
  std::string rule;  // one of rules::k*, empty when accepted
  // When rejected, names the rule, the certificate and the values involved:
  // "rule rsa-key-size: anchor \"CN=x\" has an RSA 1024-bit key; allowed sizes
  // are 2048, 3072, 4096".
  std::string message;
};

struct OnboardingPolicy {
  // Keys, digests and name constraints; the defaults are exactly what
  // Google's load balancer accepts.
  x509::CryptoPolicy crypto;
  size_t max_pem_bytes = 5000;
  bool require_client_auth_eku_for_allowlisted = true;
  // The load balancer accepts expired allowlisted certificates, so by default
  // onboarding does too; set this to refuse them.
  bool refuse_expired_allowlisted = false;

  // Parses a policy file (YAML mapping); keys absent keep their defaults:
  //   rsa_key_sizes: [2048, 3072, 4096]      ec_curves: [P-256, P-384]
  //   allow_ed25519: false                   signature_digests: [SHA256, SHA384, SHA512]
  //   max_pem_bytes: 5000                    max_name_constraints: 10
  //   allowlisted_requires_client_auth: true allowlisted_refuse_expired: false
  // Curve and digest names are normalized ("prime256v1" -> "P-256", "sha-256"
  // -> "SHA256"). kInvalidArgument naming the key and value for malformed
  // YAML, an unknown or repeated key, a value of the wrong type or out of
  // range, an unknown curve or digest, or a policy that allows no key at all.
  static Result<OnboardingPolicy> FromYaml(std::string_view text);

  // The key, digest and name-constraint rules, for the chain verifier.
  const x509::CryptoPolicy& ToCryptoPolicy() const { return crypto; }

  // One verdict per certificate of `bundle`, in input order. Without `as`, a
  // self-issued CA is an anchor, any other CA an intermediate, and a leaf is
  // refused (allowlisting must be asked for); with `as`, every certificate is
  // evaluated as that kind. An intermediate must chain (issuer name and
  // signature) to an anchor of the bundle or of `existing`, possibly through
  // CA certificates of the bundle or `existing.intermediates`. Verdicts are
  // independent: a certificate whose issuer in the bundle is rejected may
  // still be accepted itself. Pure: reads nothing but its arguments.
  std::vector<Verdict> Evaluate(const std::vector<x509::Certificate>& bundle,
                                std::optional<TrustKind> as, const x509::TrustMaterial& existing,
                                UnixSeconds now) const;
};

}  // namespace trustplane::trust
