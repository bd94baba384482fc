#include "trustplane/trust/onboarding_policy.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>

namespace trustplane::trust {
namespace {

using x509::Certificate;

struct Violation {
  std::string_view rule;
  std::string detail;
};
using Check = std::optional<Violation>;

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// "anchor \"CN=acme root\"": how messages name the certificate they are about.
std::string Who(const Certificate& c, TrustKind kind) {
  const std::string_view role =
      kind == TrustKind::kAllowlisted ? "allowlisted certificate" : TrustKindName(kind);
  return std::string(role) + " " + Quoted(c.subject());
}

std::string DescribeBasicConstraints(const Certificate& c) {
  return c.basic_constraints().present ? "basicConstraints is CA:FALSE"
                                       : "it has no basicConstraints extension";
}

// ---- The checks, in the order Evaluate applies them. ----

Check CheckShape(const Certificate& c, TrustKind kind, bool inferred,
                 const OnboardingPolicy& policy) {
  const bool is_ca = c.basic_constraints().is_ca;
  if (kind == TrustKind::kAllowlisted) {
    if (is_ca) {
      return Violation{rules::kAllowlistedNotLeaf,
                       Who(c, kind) +
                           " is a CA (basicConstraints CA:TRUE); only client (leaf) "
                           "certificates can be allowlisted, add a CA as an anchor "
                           "or intermediate instead"};
    }
    const auto& eku = c.extended_key_usage();
    if (policy.require_client_auth_eku_for_allowlisted && !eku.Has("clientAuth")) {
      return Violation{
          rules::kAllowlistedNoClientAuth,
          Who(c, kind) +
              (eku.present ? " has extendedKeyUsage " + Join(eku.purposes) + " without clientAuth"
                           : " has no extendedKeyUsage extension") +
              "; the load balancer requires clientAuth on client certificates"};
    }
    return std::nullopt;
  }
  const bool anchor = kind == TrustKind::kAnchor;
  if (!is_ca) {
    if (inferred) {
      return Violation{rules::kLeafNotAllowedAsCa,
                       Quoted(c.subject()) + " is a leaf, not a CA (" +
                           DescribeBasicConstraints(c) +
                           "), so it cannot be a trust anchor or intermediate; to allowlist a "
                           "client certificate, pass --as allowlisted"};
    }
    return Violation{anchor ? rules::kAnchorNotCa : rules::kIntermediateNotCa,
                     Who(c, kind) + " is not a CA: " + DescribeBasicConstraints(c) + "; " +
                         (anchor ? "a trust anchor" : "an intermediate") +
                         " needs basicConstraints CA:TRUE"};
  }
  const auto& ku = c.key_usage();
  if (!ku.present || !ku.key_cert_sign) {
    // RFC 5280 4.2.1.3: a CA's keyUsage must assert keyCertSign; the load
    // balancer's documented CA profile has it too.
    return Violation{anchor ? rules::kAnchorNoKeyCertSign : rules::kIntermediateNoKeyCertSign,
                     Who(c, kind) +
                         (ku.present ? " has keyUsage " + Join(ku.Names()) + " without keyCertSign"
                                     : " has no keyUsage extension") +
                         "; a CA needs keyUsage keyCertSign"};
  }
  return std::nullopt;
}

Check CheckPemSize(const Certificate& c, TrustKind kind, const OnboardingPolicy& policy) {
  const size_t size = c.ToPem().size();
  if (size <= policy.max_pem_bytes) return std::nullopt;
  return Violation{rules::kPemTooLarge, Who(c, kind) + " is " + std::to_string(size) +
                                            " bytes as PEM; the limit is " +
                                            std::to_string(policy.max_pem_bytes) + " bytes"};
}

Check CheckKey(const Certificate& c, TrustKind kind, const OnboardingPolicy& policy) {
  const std::optional<x509::CryptoViolation> v = x509::CheckKey(c, policy.crypto);
  if (!v) return std::nullopt;
  switch (v->kind) {
    case x509::CryptoViolation::Kind::kRsaKeySize:
      return Violation{rules::kRsaKeySize,
                       Who(c, kind) + " has an RSA " + v->actual + "-bit key; " +
                           (v->allowed.empty() ? "RSA keys are not allowed"
                                               : "allowed sizes are " + v->allowed)};
    case x509::CryptoViolation::Kind::kEcCurve:
      return Violation{rules::kEcCurve,
                       Who(c, kind) + " has an ECDSA key on curve " + v->actual + "; " +
                           (v->allowed.empty() ? "EC keys are not allowed"
                                               : "allowed curves are " + v->allowed)};
    default:
      return Violation{rules::kKeyAlgorithm, Who(c, kind) + " has a " + v->actual +
                                                 " key; allowed key types are " + v->allowed};
  }
}

Check CheckSignatureDigest(const Certificate& c, TrustKind kind, const OnboardingPolicy& policy) {
  const std::optional<x509::CryptoViolation> v = x509::CheckSignatureDigest(c, policy.crypto);
  if (!v) return std::nullopt;
  if (v->actual.empty()) {
    return Violation{rules::kSignatureDigest,
                     Who(c, kind) + " is signed with " + c.signature_algorithm() +
                         ", which is not allowed; allowed digests are " + v->allowed};
  }
  return Violation{rules::kSignatureDigest, Who(c, kind) + " is signed with " + v->actual + " (" +
                                                c.signature_algorithm() +
                                                "); allowed digests are " + v->allowed};
}

Check CheckNameConstraints(const Certificate& c, TrustKind kind, const OnboardingPolicy& policy) {
  const int n = c.name_constraint_count();
  if (n <= policy.crypto.max_name_constraints) return std::nullopt;
  return Violation{rules::kNameConstraints,
                   Who(c, kind) + " has " + std::to_string(n) + " name constraints; at most " +
                       std::to_string(policy.crypto.max_name_constraints) + " are allowed"};
}

Check CheckValidity(const Certificate& c, TrustKind kind, const OnboardingPolicy& policy,
                    UnixSeconds now) {
  const std::string checked = " (checked at " + FormatRfc3339(now) + ")";
  if (now < c.not_before()) {
    return Violation{rules::kNotYetValid, Who(c, kind) + " is not valid until " +
                                              FormatRfc3339(c.not_before()) + checked};
  }
  // The load balancer accepts expired allowlisted certificates (reference 2.3).
  const bool expiry_applies = kind != TrustKind::kAllowlisted || policy.refuse_expired_allowlisted;
  if (expiry_applies && now > c.not_after()) {
    return Violation{rules::kExpired,
                     Who(c, kind) + " expired at " + FormatRfc3339(c.not_after()) + checked};
  }
  return std::nullopt;
}

Check CheckSelfSignature(const Certificate& c, TrustKind kind) {
  if (kind != TrustKind::kAnchor || !c.IsSelfIssued() || c.VerifySelfSignature()) {
    return std::nullopt;
  }
  return Violation{rules::kSelfSignatureInvalid,
                   Who(c, kind) +
                       " names itself as issuer but its signature does not verify with its own "
                       "key: the certificate is corrupted or tampered with (if another CA of the "
                       "same name issued it, pass --as intermediate)"};
}

// CA certificates an intermediate may chain through: anchors end a path,
// intermediates extend it.
struct IssuerPool {
  std::vector<const Certificate*> anchors;
  std::vector<const Certificate*> intermediates;
};

// Breadth-first search for an anchor over issuer-name matches whose
// signature verifies. Each intermediate is expanded at most once, so the
// search ends on cycles (cross-signed CAs) and costs at most one signature
// check per (certificate, candidate issuer) pair.
Check CheckPathToRoot(const Certificate& c, TrustKind kind, const IssuerPool& pool) {
  if (kind != TrustKind::kIntermediate) return std::nullopt;
  std::set<std::string> expanded = {c.sha256_hex()};
  std::vector<const Certificate*> frontier = {&c};
  bool issuer_name_found = false;  // some CA carries c's issuer name but did not sign c
  while (!frontier.empty()) {
    std::vector<const Certificate*> next;
    for (const Certificate* cert : frontier) {
      for (const Certificate* a : pool.anchors) {
        if (a->subject_der() != cert->issuer_der()) continue;
        if (cert->IsSignedBy(*a)) return std::nullopt;
        if (cert == &c) issuer_name_found = true;
      }
      for (const Certificate* i : pool.intermediates) {
        if (i->subject_der() != cert->issuer_der() || expanded.count(i->sha256_hex())) continue;
        if (cert->IsSignedBy(*i)) {
          expanded.insert(i->sha256_hex());
          next.push_back(i);
        } else if (cert == &c) {
          issuer_name_found = true;
        }
      }
    }
    frontier = std::move(next);
  }
  std::string detail = Who(c, kind) + " does not chain to a trusted root: ";
  if (issuer_name_found) {
    detail += "a CA named " + Quoted(c.issuer()) +
              " is in the bundle or the store, but its key did not sign this certificate";
  } else {
    detail += "its issuer " + Quoted(c.issuer()) +
              (c.authority_key_id().empty() ? "" : " (AKI " + c.authority_key_id() + ")") +
              " is neither in this bundle nor trusted";
  }
  detail += "; submit the root (and any missing intermediates) with it";
  return Violation{rules::kNoPathToRoot, std::move(detail)};
}

// ---- Policy file ----

Status BadValue(std::string_view key, std::string_view what) {
  return Status::InvalidArgument("policy key " + std::string(key) + ": " + std::string(what));
}

std::string Shown(const YAML::Node& n) {
  if (n.IsScalar()) return Quoted(n.Scalar());
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}

Result<bool> ReadBool(std::string_view key, const YAML::Node& n) {
  bool b = false;
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) {
    return BadValue(key, Shown(n) + " is not true or false");
  }
  return b;
}

Result<int64_t> ReadInt(std::string_view key, const YAML::Node& n, int64_t min, int64_t max) {
  if (!n.IsScalar()) return BadValue(key, Shown(n) + " is not a whole number");
  const std::string& s = n.Scalar();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return BadValue(key, Quoted(s) + " is not a whole number");
  }
  if (v < min || v > max) {
    return BadValue(key, s + " is out of range; allowed: " + std::to_string(min) + " to " +
                             std::to_string(max));
  }
  return v;
}

Result<std::vector<int>> ReadInts(std::string_view key, const YAML::Node& n, int min, int max) {
  if (!n.IsSequence()) return BadValue(key, Shown(n) + " is not a list (write [a, b] or [])");
  std::vector<int> out;
  for (const auto& item : n) {
    TP_ASSIGN_OR_RETURN(int64_t v, ReadInt(key, item, min, max));
    out.push_back(static_cast<int>(v));
  }
  return out;
}

// A list of names, each mapped to the spelling x509 reports by `canonical`.
Result<std::vector<std::string>> ReadNames(
    std::string_view key, const YAML::Node& n,
    std::optional<std::string> (*canonical)(const std::string&), std::string_view expected) {
  if (!n.IsSequence()) return BadValue(key, Shown(n) + " is not a list (write [a, b] or [])");
  std::vector<std::string> out;
  for (const auto& item : n) {
    std::optional<std::string> name;
    if (item.IsScalar()) name = canonical(item.Scalar());
    if (!name) return BadValue(key, Shown(item) + " is not " + std::string(expected));
    out.push_back(std::move(*name));
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

// The curve name x509 reports for keys on this curve ("P-256", "secp256k1"),
// or nullopt when OpenSSL knows no such named curve.
std::optional<std::string> CanonicalCurve(const std::string& name) {
  int nid = EC_curve_nist2nid(Upper(name).c_str());
  if (nid == NID_undef) nid = OBJ_sn2nid(name.c_str());
  if (nid == NID_undef) return std::nullopt;
  std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> group(EC_GROUP_new_by_curve_name(nid),
                                                            EC_GROUP_free);
  if (!group) return std::nullopt;
  const char* nist = EC_curve_nid2nist(nid);
  return std::string(nist ? nist : OBJ_nid2sn(nid));
}

// The digest name x509 reports ("SHA256"), or nullopt for an unknown digest.
std::optional<std::string> CanonicalDigest(const std::string& name) {
  const EVP_MD* md = EVP_get_digestbyname(name.c_str());
  if (md == nullptr) return std::nullopt;
  return std::string(OBJ_nid2sn(EVP_MD_get_type(md)));
}

template <typename Field, typename T>
Status Assign(Result<T> value, Field& field) {
  if (!value.ok()) return value.status();
  field = static_cast<Field>(std::move(value).value());
  return Status::Ok();
}

using KeyReader = Status (*)(std::string_view key, const YAML::Node&, OnboardingPolicy&);

const std::map<std::string, KeyReader, std::less<>>& KeyReaders() {
  using N = const YAML::Node&;
  using P = OnboardingPolicy&;
  static const std::map<std::string, KeyReader, std::less<>> readers{
      {"rsa_key_sizes", [](std::string_view k, N n,
                           P p) { return Assign(ReadInts(k, n, 512, 16384), p.crypto.rsa_bits); }},
      {"ec_curves",
       [](std::string_view k, N n, P p) {
         return Assign(
             ReadNames(k, n, CanonicalCurve, "a named elliptic curve (e.g. P-256, P-521)"),
             p.crypto.ec_curves);
       }},
      {"allow_ed25519",
       [](std::string_view k, N n, P p) { return Assign(ReadBool(k, n), p.crypto.allow_ed25519); }},
      {"signature_digests",
       [](std::string_view k, N n, P p) {
         return Assign(ReadNames(k, n, CanonicalDigest, "a digest (e.g. SHA256, SHA384, SHA1)"),
                       p.crypto.signature_digests);
       }},
      {"max_pem_bytes", [](std::string_view k, N n,
                           P p) { return Assign(ReadInt(k, n, 1, 1 << 20), p.max_pem_bytes); }},
      {"max_name_constraints",
       [](std::string_view k, N n, P p) {
         return Assign(ReadInt(k, n, 0, std::numeric_limits<int>::max()),
                       p.crypto.max_name_constraints);
       }},
      {"allowlisted_requires_client_auth",
       [](std::string_view k, N n, P p) {
         return Assign(ReadBool(k, n), p.require_client_auth_eku_for_allowlisted);
       }},
      {"allowlisted_refuse_expired",
       [](std::string_view k, N n, P p) {
         return Assign(ReadBool(k, n), p.refuse_expired_allowlisted);
       }},
  };
  return readers;
}

std::string KnownKeys() {
  std::string out;
  for (const auto& [key, reader] : KeyReaders()) out += (out.empty() ? "" : ", ") + key;
  return out;
}

}  // namespace

Result<OnboardingPolicy> OnboardingPolicy::FromYaml(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("policy file is not valid YAML: line " +
                                   std::to_string(e.mark.line + 1) + ", column " +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  OnboardingPolicy policy;
  if (root.IsNull()) return policy;  // an empty file keeps every default
  if (!root.IsMap()) {
    return Status::InvalidArgument("policy file must be a mapping of keys to values (" +
                                   KnownKeys() + "); found " + Shown(root));
  }
  std::set<std::string> seen;
  try {
    for (const auto& kv : root) {
      if (!kv.first.IsScalar()) {
        return Status::InvalidArgument("policy file, line " +
                                       std::to_string(kv.first.Mark().line + 1) +
                                       ": a key must be plain text");
      }
      const std::string& key = kv.first.Scalar();
      auto reader = KeyReaders().find(key);
      if (reader == KeyReaders().end()) {
        return Status::InvalidArgument("unknown policy key " + Quoted(key) +
                                       "; known keys: " + KnownKeys());
      }
      if (!seen.insert(key).second) {
        return Status::InvalidArgument("policy key " + key + " appears twice");
      }
      TP_RETURN_IF_ERROR(reader->second(key, kv.second, policy));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("policy file: " + e.msg);
  }
  if (policy.crypto.rsa_bits.empty() && policy.crypto.ec_curves.empty() &&
      !policy.crypto.allow_ed25519) {
    return Status::InvalidArgument(
        "policy allows no key at all: rsa_key_sizes and ec_curves are empty and allow_ed25519 is "
        "false");
  }
  if (policy.crypto.signature_digests.empty() && !policy.crypto.allow_ed25519) {
    return Status::InvalidArgument(
        "policy key signature_digests: the list is empty, so no RSA or ECDSA signature would be "
        "allowed");
  }
  return policy;
}

std::vector<Verdict> OnboardingPolicy::Evaluate(const std::vector<Certificate>& bundle,
                                                std::optional<TrustKind> as,
                                                const x509::TrustMaterial& existing,
                                                UnixSeconds now) const {
  // Classify everything first: path building needs every kind in the bundle.
  // A leaf is classified like a CA of its shape and refused by CheckShape.
  std::vector<Verdict> verdicts;
  verdicts.reserve(bundle.size());
  for (const auto& c : bundle) {
    const TrustKind kind =
        as.value_or(c.IsSelfIssued() ? TrustKind::kAnchor : TrustKind::kIntermediate);
    verdicts.push_back(Verdict{c, kind, false, "", ""});
  }

  IssuerPool pool;
  for (const auto& a : existing.anchors) pool.anchors.push_back(&a);
  for (const auto& i : existing.intermediates) pool.intermediates.push_back(&i);
  for (const auto& v : verdicts) {
    if (!v.cert.basic_constraints().is_ca) continue;  // a leaf issues nothing
    if (v.kind == TrustKind::kAnchor) pool.anchors.push_back(&v.cert);
    if (v.kind == TrustKind::kIntermediate) pool.intermediates.push_back(&v.cert);
  }

  for (auto& v : verdicts) {
    const Certificate& c = v.cert;
    Check violation = CheckShape(c, v.kind, !as.has_value(), *this);
    if (!violation) violation = CheckPemSize(c, v.kind, *this);
    if (!violation) violation = CheckKey(c, v.kind, *this);
    if (!violation) violation = CheckSignatureDigest(c, v.kind, *this);
    if (!violation) violation = CheckNameConstraints(c, v.kind, *this);
    if (!violation) violation = CheckValidity(c, v.kind, *this, now);
    if (!violation) violation = CheckSelfSignature(c, v.kind);
    if (!violation) violation = CheckPathToRoot(c, v.kind, pool);
    if (violation) {
      v.rule = std::string(violation->rule);
      v.message = "rule " + v.rule + ": " + violation->detail;
    } else {
      v.accepted = true;
    }
  }
  return verdicts;
}

}  // namespace trustplane::trust
