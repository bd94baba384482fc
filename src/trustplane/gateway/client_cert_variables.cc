#include "trustplane/gateway/client_cert_variables.h"

#include "trustplane/base/encoding.h"
#include "trustplane/base/time.h"
#include "trustplane/x509/verify_errors.h"

namespace trustplane::gateway {
namespace {

// Indexed by CertVariable.
constexpr std::array<std::string_view, kCertVariableCount> kNames = {
    "client_cert_present",
    "client_cert_chain_verified",
    "client_cert_error",
    "client_cert_sha256_fingerprint",
    "client_cert_serial_number",
    "client_cert_spiffe_id",
    "client_cert_uri_sans",
    "client_cert_dnsname_sans",
    "client_cert_valid_not_before",
    "client_cert_valid_not_after",
    "client_cert_issuer_dn",
    "client_cert_subject_dn",
    "client_cert_leaf",
    "client_cert_chain",
};

// Size limits of section 4. Each applies to what the load balancer's
// documentation measures: the serial's own bytes, the leaf and chain before
// base64, and the header value for the rest.
constexpr size_t kMaxSerialBytes = 50;
constexpr size_t kMaxSpiffeIdBytes = 2048;
constexpr size_t kMaxSansBytes = 512;
constexpr size_t kMaxDnBytes = 512;
constexpr size_t kMaxLeafDerBytes = size_t{16} * 1024;
constexpr size_t kMaxChainDerBytes = size_t{16} * 1024;

constexpr size_t Base64Length(size_t n) {
  return (n + 2) / 3 * 4;
}

// Comma-separated padded base64 of each item; the length is known without
// encoding so unused lists cost nothing beyond the size check.
size_t Base64ListLength(const std::vector<std::string_view>& items) {
  size_t n = items.empty() ? 0 : items.size() - 1;
  for (auto item : items) n += Base64Length(item.size());
  return n;
}

std::string Base64List(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto item : items) {
    if (!out.empty()) out += ',';
    out += Base64Encode(item);
  }
  return out;
}

// RFC 9440 section 2.1: a structured-field byte sequence, ":" base64 ":".
std::string Rfc9440(std::string_view der) {
  return ":" + Base64Encode(der) + ":";
}

bool IsSpiffeTrustDomainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool IsSpiffePathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

class Builder {
 public:
  Builder(std::array<std::string, kCertVariableCount>& values, CertVariableSet needed)
      : values_(values), needed_(needed) {}

  bool Needed(CertVariable v) const { return needed_.test(static_cast<size_t>(v)); }

  void Set(CertVariable v, std::string value) {
    if (Needed(v)) values_[static_cast<size_t>(v)] = std::move(value);
  }

  // An over-limit value is left empty and its error string joins the error.
  bool WithinLimit(CertVariable v, size_t size, size_t limit) {
    if (size <= limit) return true;
    std::string_view name = kNames[static_cast<size_t>(v)];
    // The leaf and chain limits are spelled with "validated_" in section 4.
    if (v == CertVariable::kLeaf) name = "client_cert_validated_leaf";
    if (v == CertVariable::kChain) name = "client_cert_validated_chain";
    AddError(std::string(name) + "_exceeded_size_limit");
    return false;
  }

  // Multiple errors are joined with ',' (the separator is undocumented; a
  // comma keeps the value a list that backends can split).
  void AddError(std::string_view error) {
    std::string& e = values_[static_cast<size_t>(CertVariable::kError)];
    if (!e.empty()) e += ',';
    e += error;
  }

 private:
  std::array<std::string, kCertVariableCount>& values_;
  CertVariableSet needed_;
};

void ComputeVerified(const x509::Certificate& leaf, const std::vector<x509::Certificate>& presented,
                     Builder& b) {
  using V = CertVariable;
  const std::string& serial = leaf.serial_der_content();
  if (b.WithinLimit(V::kSerialNumber, serial.size(), kMaxSerialBytes)) {
    b.Set(V::kSerialNumber, HexEncodeColons(serial));
  }

  // The URI SAN that is the SPIFFE ID goes to its own variable only; an
  // invalid one is not a SPIFFE ID and stays among the URI SANs.
  std::optional<std::string> spiffe = leaf.spiffe_id();
  bool spiffe_taken = false;
  if (spiffe) {
    if (!b.WithinLimit(V::kSpiffeId, spiffe->size(), kMaxSpiffeIdBytes)) {
      spiffe_taken = true;
    } else if (IsValidSpiffeId(*spiffe)) {
      spiffe_taken = true;
      b.Set(V::kSpiffeId, *spiffe);
    }
  }
  std::vector<std::string_view> uris;
  for (const auto& uri : leaf.sans().uri) {
    if (!(spiffe_taken && uri == *spiffe)) uris.push_back(uri);
  }
  if (b.WithinLimit(V::kUriSans, Base64ListLength(uris), kMaxSansBytes) && b.Needed(V::kUriSans)) {
    b.Set(V::kUriSans, Base64List(uris));
  }
  std::vector<std::string_view> dns(leaf.sans().dns.begin(), leaf.sans().dns.end());
  if (b.WithinLimit(V::kDnsnameSans, Base64ListLength(dns), kMaxSansBytes) &&
      b.Needed(V::kDnsnameSans)) {
    b.Set(V::kDnsnameSans, Base64List(dns));
  }

  if (b.Needed(V::kValidNotBefore))
    b.Set(V::kValidNotBefore, FormatRfc3339Offset(leaf.not_before()));
  if (b.Needed(V::kValidNotAfter)) b.Set(V::kValidNotAfter, FormatRfc3339Offset(leaf.not_after()));

  if (b.WithinLimit(V::kIssuerDn, Base64Length(leaf.issuer_der().size()), kMaxDnBytes) &&
      b.Needed(V::kIssuerDn)) {
    b.Set(V::kIssuerDn, Base64Encode(leaf.issuer_der()));
  }
  if (b.WithinLimit(V::kSubjectDn, Base64Length(leaf.subject_der().size()), kMaxDnBytes) &&
      b.Needed(V::kSubjectDn)) {
    b.Set(V::kSubjectDn, Base64Encode(leaf.subject_der()));
  }

  if (b.WithinLimit(V::kLeaf, leaf.der().size(), kMaxLeafDerBytes) && b.Needed(V::kLeaf)) {
    b.Set(V::kLeaf, Rfc9440(leaf.der()));
  }
  // RFC 9440's Client-Cert-Chain: the certificates the client sent after its
  // leaf, in TLS order, serialized as an RFC 8941 list (", " between items).
  size_t chain_der = leaf.der().size();
  for (const auto& c : presented) chain_der += c.der().size();
  if (b.WithinLimit(V::kChain, chain_der, kMaxChainDerBytes) && b.Needed(V::kChain)) {
    std::string chain;
    for (const auto& c : presented) {
      if (!chain.empty()) chain += ", ";
      chain += Rfc9440(c.der());
    }
    b.Set(V::kChain, std::move(chain));
  }
}

}  // namespace

std::string_view CertVariableName(CertVariable v) {
  return kNames[static_cast<size_t>(v)];
}

std::optional<CertVariable> CertVariableFromName(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<CertVariable>(i);
  }
  return std::nullopt;
}

bool IsValidSpiffeId(std::string_view id) {
  constexpr std::string_view kScheme = "spiffe://";
  if (id.substr(0, kScheme.size()) != kScheme) return false;
  std::string_view rest = id.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view domain = rest.substr(0, slash);
  if (domain.empty()) return false;
  for (char c : domain) {
    if (!IsSpiffeTrustDomainChar(c)) return false;
  }
  if (slash == std::string_view::npos) return true;
  std::string_view path = rest.substr(slash);  // "/seg/seg"
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    size_t next = path.find('/');
    std::string_view segment = path.substr(0, next);
    if (segment.empty() || segment == "." || segment == "..") return false;
    for (char c : segment) {
      if (!IsSpiffePathChar(c)) return false;
    }
    path = next == std::string_view::npos ? std::string_view() : path.substr(next);
  }
  return true;
}

ClientCertVariables ClientCertVariables::Compute(const HandshakeOutcome& outcome,
                                                 CertVariableSet needed) {
  using V = CertVariable;
  ClientCertVariables vars;
  // The error is always computed: other variables' limits feed into it.
  Builder b(vars.values_, needed.set(static_cast<size_t>(V::kError)));
  b.Set(V::kPresent, outcome.leaf ? "true" : "false");
  b.Set(V::kChainVerified, outcome.leaf && outcome.chain_verified ? "true" : "false");
  if (!outcome.leaf) {
    b.AddError(x509::errors::kNotProvided);
    return vars;
  }
  // Observed load balancer behaviour (reference section 4): a certificate
  // that failed validation yields only its fingerprint, never details a
  // backend might mistake for a vetted identity.
  b.Set(V::kSha256Fingerprint, Base64EncodeUnpadded(outcome.leaf->sha256_raw()));
  if (!outcome.chain_verified) {
    b.AddError(outcome.error.empty() ? x509::errors::kValidationFailed
                                     : std::string_view(outcome.error));
    return vars;
  }
  ComputeVerified(*outcome.leaf, outcome.presented, b);
  return vars;
}

}  // namespace trustplane::gateway
