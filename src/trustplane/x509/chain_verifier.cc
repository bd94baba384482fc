#include "trustplane/x509/chain_verifier.h"

#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "trustplane/x509/native_handle.h"
#include "trustplane/x509/verify_errors.h"

namespace trustplane::x509 {

struct ChainVerifier::Index {
  // Keys view into the certificates' shared immutable data, which trust_ keeps alive.
  std::unordered_multimap<std::string_view, size_t> anchors_by_subject;
  std::unordered_multimap<std::string_view, size_t> intermediates_by_subject;
  std::unordered_multimap<std::string_view, size_t> allowlisted_by_sha256;
};

namespace {

struct Failure {
  std::string_view error;
  std::string detail;
};
using Check = std::optional<Failure>;

std::string Quoted(const Certificate& c) {
  return "\"" + c.subject() + "\"";
}

// "serverAuth, codeSigning", for details that list extension values.
std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Check CheckKey(const Certificate& c, std::string_view role, const CryptoPolicy& policy) {
  const std::optional<CryptoViolation> v = x509::CheckKey(c, policy);
  if (!v) return std::nullopt;
  const std::string who = std::string(role) + " " + Quoted(c);
  switch (v->kind) {
    case CryptoViolation::Kind::kRsaKeySize:
      return Failure{errors::kInvalidRsaKeySize,
                     who + " has a " + v->actual + "-bit RSA key; allowed sizes: " + v->allowed};
    case CryptoViolation::Kind::kEcCurve:
      return Failure{errors::kUnsupportedEllipticCurve,
                     who + " uses elliptic curve " + v->actual + "; allowed curves: " + v->allowed};
    default:
      return Failure{errors::kUnsupportedKeyAlgorithm,
                     who + " has an unsupported key type (" + v->actual +
                         "); only RSA and ECDSA keys are allowed"};
  }
}

// The digest of c's own signature. EdDSA has none and always passes here: the
// issuer's key is checked instead, and that decides.
Check CheckDigest(const Certificate& c, std::string_view role, const CryptoPolicy& policy) {
  const std::optional<CryptoViolation> v = CheckSignatureDigest(c, policy);
  if (!v) return std::nullopt;
  if (v->actual.empty()) {
    if (c.signature_algorithm() == "ED25519" || c.signature_algorithm() == "ED448") {
      return std::nullopt;
    }
    return Failure{errors::kValidationFailed, std::string(role) + " " + Quoted(c) +
                                                  " uses unsupported signature algorithm " +
                                                  c.signature_algorithm()};
  }
  return Failure{errors::kValidationFailed,
                 std::string(role) + " " + Quoted(c) + " is signed with " + v->actual + " (" +
                     c.signature_algorithm() + "); allowed digests: " + v->allowed};
}

Check CheckValidity(const Certificate& c, std::string_view role, UnixSeconds at) {
  if (at < c.not_before()) {
    return Failure{errors::kValidationFailed,
                   std::string(role) + " " + Quoted(c) + " is not valid until " +
                       FormatRfc3339(c.not_before()) + " (checked at " + FormatRfc3339(at) + ")"};
  }
  if (at > c.not_after()) {
    return Failure{errors::kValidationFailed, std::string(role) + " " + Quoted(c) + " expired at " +
                                                  FormatRfc3339(c.not_after()) + " (checked at " +
                                                  FormatRfc3339(at) + ")"};
  }
  return std::nullopt;
}

bool AllowsClientAuth(const ExtendedKeyUsage& eku) {
  return eku.Has("clientAuth") || eku.Has("anyExtendedKeyUsage");
}

Check CheckLeaf(const Certificate& leaf, const VerifyOptions& opt, UnixSeconds at) {
  constexpr std::string_view kRole = "client certificate";
  if (Check f = CheckKey(leaf, kRole, opt.crypto)) return f;
  if (leaf.basic_constraints().is_ca) {
    return Failure{errors::kValidationFailed,
                   "client certificate " + Quoted(leaf) +
                       " is a CA certificate (basicConstraints CA:TRUE); a client certificate "
                       "must be a leaf"};
  }
  if (leaf.IsSelfIssued() && leaf.VerifySelfSignature()) {
    return Failure{errors::kValidationFailed,
                   "client certificate " + Quoted(leaf) +
                       " is self-signed; it can only be accepted through the allowlist"};
  }
  if (Check f = CheckDigest(leaf, kRole, opt.crypto)) return f;
  if (opt.require_client_auth_eku && !leaf.extended_key_usage().Has("clientAuth")) {
    const ExtendedKeyUsage& eku = leaf.extended_key_usage();
    return Failure{
        errors::kInvalidEku,
        "client certificate " + Quoted(leaf) +
            (eku.present ? " has extendedKeyUsage " + Join(eku.purposes) + " without clientAuth"
                         : " has no extendedKeyUsage extension; clientAuth is required")};
  }
  return CheckValidity(leaf, kRole, at);
}

// Depth-first path building from the leaf towards an anchor, trying every
// candidate issuer (anchors first) and backtracking, within the search limits.
class PathSearch {
 public:
  PathSearch(const TrustMaterial& trust, const ChainVerifier::Index& index,
             const std::vector<Certificate>& presented, const VerifyOptions& opt, UnixSeconds at)
      : trust_(trust), index_(index), presented_(presented), opt_(opt), at_(at) {}

  VerifyResult Run(const Certificate& leaf) {
    path_.push_back(&leaf);
    VerifyResult r;
    if (Extend()) {
      r.ok = true;
      for (const Certificate* c : path_) r.chain.push_back(*c);
      return r;
    }
    for (const auto* f : {&abort_, &issuer_failure_, &depth_failure_, &signature_failure_}) {
      if (f->has_value()) {
        r.error = (*f)->error;
        r.detail = (*f)->detail;
        return r;
      }
    }
    // Extend() records no_issuer_ whenever it fails without any other reason.
    r.error = no_issuer_->error;
    r.detail = no_issuer_->detail;
    return r;
  }

 private:
  struct Candidate {
    const Certificate* cert;
    bool anchor;
  };

  std::vector<Candidate> CandidatesFor(const Certificate& c) const {
    std::vector<Candidate> out;
    auto add = [&](const Certificate& cand, bool anchor) {
      for (const Candidate& seen : out) {
        if (seen.cert->der() == cand.der()) return;
      }
      out.push_back({&cand, anchor});
    };
    auto range = index_.anchors_by_subject.equal_range(c.issuer_der());
    for (auto it = range.first; it != range.second; ++it) add(trust_.anchors[it->second], true);
    for (const Certificate& p : presented_) {
      if (p.subject_der() == c.issuer_der()) add(p, false);
    }
    range = index_.intermediates_by_subject.equal_range(c.issuer_der());
    for (auto it = range.first; it != range.second; ++it) {
      add(trust_.intermediates[it->second], false);
    }
    return out;
  }

  // True when more intermediates than allowed share one subject and key.
  Check CheckSameSubjectKey(const std::vector<Candidate>& cands) const {
    for (size_t i = 0; i < cands.size(); ++i) {
      if (cands[i].anchor) continue;
      const std::string& spki = NativeAccess::SpkiDer(*cands[i].cert);
      int same = 0;
      for (const Candidate& o : cands) {
        if (!o.anchor && NativeAccess::SpkiDer(*o.cert) == spki) ++same;
      }
      if (same > opt_.max_same_subject_spki) {
        return Failure{errors::kPkiTooLarge,
                       std::to_string(same) + " intermediate certificates share subject " +
                           Quoted(*cands[i].cert) + " and one public key (limit " +
                           std::to_string(opt_.max_same_subject_spki) + ")"};
      }
    }
    return std::nullopt;
  }

  bool InPath(const Certificate& cand) const {
    return std::any_of(path_.begin(), path_.end(), [&](const Certificate* p) {
      return p->subject_der() == cand.subject_der() &&
             NativeAccess::SpkiDer(*p) == NativeAccess::SpkiDer(cand);
    });
  }

  // Checks every certificate below `ca` in the path against its name constraints.
  Check CheckNameConstraints(const Certificate& ca, std::string_view role) const {
    if (ca.name_constraint_count() == 0) return std::nullopt;
    OpenSslPtr<NAME_CONSTRAINTS, NAME_CONSTRAINTS_free> nc(static_cast<NAME_CONSTRAINTS*>(
        X509_get_ext_d2i(NativeAccess::Handle(ca), NID_name_constraints, nullptr, nullptr)));
    for (size_t i = 0; nc && i < path_.size(); ++i) {
      // RFC 5280 4.2.1.10: constraints do not apply to self-issued intermediates.
      if (i > 0 && path_[i]->IsSelfIssued()) continue;
      if (NAME_CONSTRAINTS_check(NativeAccess::Handle(*path_[i]), nc.get()) != X509_V_OK) {
        return Failure{errors::kValidationFailed,
                       (i == 0 ? "client certificate " : "intermediate ") + Quoted(*path_[i]) +
                           " violates the name constraints of " + std::string(role) + " " +
                           Quoted(ca)};
      }
    }
    return std::nullopt;
  }

  Check CheckIssuer(const Certificate& ca, bool anchor) const {
    const std::string_view role = anchor ? "trust anchor" : "intermediate";
    const std::string who = std::string(role) + " " + Quoted(ca);
    if (Check f = CheckKey(ca, role, opt_.crypto)) return f;
    if (!ca.basic_constraints().is_ca) {
      return Failure{errors::kValidationFailed, who + " is not a CA (no basicConstraints CA:TRUE)"};
    }
    if (ca.key_usage().present && !ca.key_usage().key_cert_sign) {
      return Failure{errors::kValidationFailed, who + " has keyUsage without keyCertSign"};
    }
    if (const std::optional<int>& max = ca.basic_constraints().path_len) {
      // RFC 5280 6.1.4 (l): self-issued intermediates do not count.
      const auto below = std::count_if(path_.begin() + 1, path_.end(),
                                       [](const Certificate* c) { return !c->IsSelfIssued(); });
      if (below > *max) {
        return Failure{errors::kValidationFailed, who + " has pathlen " + std::to_string(*max) +
                                                      " but " + std::to_string(below) +
                                                      " intermediate(s) below it"};
      }
    }
    if (ca.name_constraint_count() > opt_.crypto.max_name_constraints) {
      return Failure{errors::kMaxNameConstraintsExceeded,
                     who + " has " + std::to_string(ca.name_constraint_count()) +
                         " name constraints (limit " +
                         std::to_string(opt_.crypto.max_name_constraints) + ")"};
    }
    const ExtendedKeyUsage& eku = ca.extended_key_usage();
    if (opt_.require_client_auth_eku && eku.present && !AllowsClientAuth(eku)) {
      return Failure{errors::kInvalidEku, who + " restricts extendedKeyUsage to " +
                                              Join(eku.purposes) + " without clientAuth"};
    }
    if (!anchor) {
      if (Check f = CheckDigest(ca, role, opt_.crypto)) return f;
    }
    if (Check f = CheckValidity(ca, role, at_)) return f;
    return CheckNameConstraints(ca, role);
  }

  bool Extend() {
    const Certificate& c = *path_.back();
    const std::vector<Candidate> cands = CandidatesFor(c);
    if (Check f = CheckSameSubjectKey(cands)) {
      abort_ = std::move(f);
      return false;
    }
    bool any = false;
    for (const Candidate& cand : cands) {
      const Certificate& ca = *cand.cert;
      // A key identifier mismatch means a different key under the same name.
      if (!c.authority_key_id().empty() && !ca.subject_key_id().empty() &&
          c.authority_key_id() != ca.subject_key_id()) {
        continue;
      }
      if (InPath(ca)) continue;
      any = true;
      const size_t length =
          path_.size() + (cand.anchor ? 1 : 2);  // an intermediate needs an anchor
      if (length > static_cast<size_t>(opt_.max_depth)) {
        if (!depth_failure_) {
          depth_failure_ = Failure{errors::kSearchLimitExceeded,
                                   "the path through " + Quoted(ca) + " would be longer than " +
                                       std::to_string(opt_.max_depth) +
                                       " certificates (leaf and root included)"};
        }
        continue;
      }
      // Anchors end the search and are bounded by the trust config; intermediates
      // can be chained by an attacker, so they are what the limit counts.
      if (!cand.anchor && ++evaluations_ > opt_.max_intermediate_evaluations) {
        abort_ = Failure{errors::kSearchLimitExceeded,
                         "gave up after evaluating " +
                             std::to_string(opt_.max_intermediate_evaluations) +
                             " candidate intermediates without finding a valid path"};
        return false;
      }
      if (!c.IsSignedBy(ca)) {
        if (!signature_failure_) {
          signature_failure_ = Failure{
              errors::kValidationFailed,
              "the signature of " + Quoted(c) + " does not verify with the key of " + Quoted(ca)};
        }
        continue;
      }
      if (Check f = CheckIssuer(ca, cand.anchor)) {
        if (!issuer_failure_) issuer_failure_ = std::move(f);
        continue;
      }
      path_.push_back(&ca);
      if (cand.anchor || Extend()) return true;
      path_.pop_back();
      if (abort_) return false;
    }
    if (!any && (!no_issuer_ || path_.size() > no_issuer_depth_)) {
      no_issuer_depth_ = path_.size();
      no_issuer_ = Failure{errors::kValidationFailed,
                           "no trusted issuer for " + c.subject() + " (AKI " +
                               (c.authority_key_id().empty() ? "none" : c.authority_key_id()) +
                               ", issuer " + c.issuer() + ")"};
    }
    return false;
  }

  const TrustMaterial& trust_;
  const ChainVerifier::Index& index_;
  const std::vector<Certificate>& presented_;
  const VerifyOptions& opt_;
  const UnixSeconds at_;

  std::vector<const Certificate*> path_;  // leaf first
  int evaluations_ = 0;                   // intermediate candidates tried so far
  // Failures by rank: the first that is set explains the result best.
  std::optional<Failure> abort_;              // a search limit or PKI limit stopped everything
  std::optional<Failure> issuer_failure_;     // a genuine issuer failed a check
  std::optional<Failure> depth_failure_;      // paths existed but were too long
  std::optional<Failure> signature_failure_;  // same name, wrong key
  std::optional<Failure> no_issuer_;          // deepest certificate without any issuer
  size_t no_issuer_depth_ = 0;
};

}  // namespace

ChainVerifier::ChainVerifier(TrustMaterial trust) : trust_(std::move(trust)) {
  auto index = std::make_shared<Index>();
  for (size_t i = 0; i < trust_.anchors.size(); ++i) {
    index->anchors_by_subject.emplace(trust_.anchors[i].subject_der(), i);
  }
  for (size_t i = 0; i < trust_.intermediates.size(); ++i) {
    index->intermediates_by_subject.emplace(trust_.intermediates[i].subject_der(), i);
  }
  for (size_t i = 0; i < trust_.allowlisted.size(); ++i) {
    index->allowlisted_by_sha256.emplace(trust_.allowlisted[i].sha256_hex(), i);
  }
  index_ = std::move(index);
}

VerifyResult ChainVerifier::Verify(const Certificate& leaf,
                                   const std::vector<Certificate>& presented,
                                   const VerifyOptions& options) const {
  VerifyResult r;
  if (presented.size() > static_cast<size_t>(options.max_presented_intermediates)) {
    r.error = errors::kChainExceededLimit;
    r.detail = "the client sent " + std::to_string(presented.size()) +
               " intermediate certificates (limit " +
               std::to_string(options.max_presented_intermediates) + ")";
    return r;
  }
  // The allowlist matches the exact certificate and skips every other check,
  // expiry included; proof of possession is the TLS layer's job.
  auto range = index_->allowlisted_by_sha256.equal_range(leaf.sha256_hex());
  for (auto it = range.first; it != range.second; ++it) {
    if (trust_.allowlisted[it->second].der() == leaf.der()) {
      r.ok = r.via_allowlist = true;
      r.chain.push_back(leaf);
      return r;
    }
  }
  const UnixSeconds at = options.at != 0 ? options.at : NowUnix();
  if (Check f = CheckLeaf(leaf, options, at)) {
    r.error = f->error;
    r.detail = std::move(f->detail);
    return r;
  }
  return PathSearch(trust_, *index_, presented, options, at).Run(leaf);
}

}  // namespace trustplane::x509
