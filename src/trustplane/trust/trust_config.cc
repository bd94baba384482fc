#include "trustplane/trust/trust_config.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace trustplane::trust {
namespace {

constexpr std::string_view kIdRule = "[a-z0-9-]{1,63}";
constexpr size_t kMaxIdLength = 63;

void CanonicalizeList(std::vector<x509::Certificate>& certs) {
  auto by_fingerprint = [](const x509::Certificate& a, const x509::Certificate& b) {
    return a.sha256_hex() < b.sha256_hex();
  };
  auto same_fingerprint = [](const x509::Certificate& a, const x509::Certificate& b) {
    return a.sha256_hex() == b.sha256_hex();
  };
  std::sort(certs.begin(), certs.end(), by_fingerprint);
  certs.erase(std::unique(certs.begin(), certs.end(), same_fingerprint), certs.end());
}

// Shows an id in a message: quoted, non-printable and non-ASCII bytes escaped,
// overlong ids cut.
std::string QuoteId(std::string_view id) {
  constexpr size_t kShown = 100;
  std::string out = "\"";
  for (unsigned char c : id.substr(0, kShown)) {
    if (c < 0x20 || c >= 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += id.size() > kShown ? "\"..." : "\"";
  return out;
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

// (kind, fingerprint) -> certificate, over all three lists.
using EntryMap = std::map<std::pair<TrustKind, std::string>, const x509::Certificate*>;

EntryMap Entries(const TrustConfig& c) {
  EntryMap out;
  auto add = [&out](TrustKind kind, const std::vector<x509::Certificate>& certs) {
    for (const auto& cert : certs) out.emplace(std::make_pair(kind, cert.sha256_hex()), &cert);
  };
  add(TrustKind::kAnchor, c.anchors);
  add(TrustKind::kIntermediate, c.intermediates);
  add(TrustKind::kAllowlisted, c.allowlisted);
  return out;
}

// Splits the entries of `side` missing from `other` into "only here" and
// "here under another kind".
void SplitMissing(const EntryMap& side, const EntryMap& other,
                  std::vector<TrustConfigDiff::Entry>& only,
                  std::vector<TrustConfigDiff::Entry>& kind_changed) {
  std::set<std::string> other_missing;  // fingerprints in `other` under a kind `side` lacks
  for (const auto& [key, cert] : other) {
    if (!side.contains(key)) other_missing.insert(key.second);
  }
  for (const auto& [key, cert] : side) {
    if (other.contains(key)) continue;
    auto& target = other_missing.contains(key.second) ? kind_changed : only;
    target.push_back({key.first, *cert});
  }
}

}  // namespace

std::string_view TrustKindName(TrustKind kind) {
  switch (kind) {
    case TrustKind::kAnchor:
      return "anchor";
    case TrustKind::kIntermediate:
      return "intermediate";
    case TrustKind::kAllowlisted:
      return "allowlisted";
  }
  return "unknown";
}

Result<TrustKind> ParseTrustKind(std::string_view name) {
  for (TrustKind kind : {TrustKind::kAnchor, TrustKind::kIntermediate, TrustKind::kAllowlisted}) {
    if (name == TrustKindName(kind)) return kind;
  }
  return Status::InvalidArgument("unknown trust kind " + QuoteId(name) +
                                 "; expected anchor, intermediate or allowlisted");
}

void TrustConfig::Canonicalize() {
  CanonicalizeList(anchors);
  CanonicalizeList(intermediates);
  CanonicalizeList(allowlisted);
}

size_t TrustConfig::size() const {
  return anchors.size() + intermediates.size() + allowlisted.size();
}

Status ValidateTrustConfigId(std::string_view id) {
  const std::string rule =
      "; it must match " + std::string(kIdRule) + " (1 to 63 lowercase letters, digits or hyphens)";
  if (id.empty()) return Status::InvalidArgument("trust config id is empty" + rule);
  if (id.size() > kMaxIdLength) {
    return Status::InvalidArgument("trust config id " + QuoteId(id) + " is " +
                                   std::to_string(id.size()) + " characters long, " +
                                   std::to_string(id.size() - kMaxIdLength) +
                                   " over the maximum of " + std::to_string(kMaxIdLength) + rule);
  }
  auto bad = std::find_if_not(id.begin(), id.end(), IsIdChar);
  if (bad != id.end()) {
    return Status::InvalidArgument("trust config id " + QuoteId(id) + " has " +
                                   QuoteId(std::string_view(&*bad, 1)) + " at position " +
                                   std::to_string(bad - id.begin() + 1) + rule);
  }
  return Status::Ok();
}

bool TrustConfigDiff::empty() const {
  return only_in_left.empty() && only_in_right.empty() && kind_changed_left.empty() &&
         kind_changed_right.empty();
}

TrustConfigDiff Diff(const TrustConfig& left, const TrustConfig& right) {
  const EntryMap l = Entries(left), r = Entries(right);
  TrustConfigDiff diff;
  SplitMissing(l, r, diff.only_in_left, diff.kind_changed_left);
  SplitMissing(r, l, diff.only_in_right, diff.kind_changed_right);
  return diff;
}

}  // namespace trustplane::trust
