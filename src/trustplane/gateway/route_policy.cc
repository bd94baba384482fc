#include "trustplane/gateway/route_policy.h"

#include <arpa/inet.h>

#include <algorithm>

#include "trustplane/gateway/client_cert_variables.h"

namespace trustplane::gateway {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// '*' matches any run of characters, '?' exactly one. Greedy with one
// backtrack point: linear in practice, never exponential.
bool Glob(std::string_view pattern, std::string_view text, bool fold_case) {
  auto same = [&](char a, char b) { return fold_case ? Lower(a) == Lower(b) : a == b; };
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// DNS names match label by label so a wildcard never spans a dot.
bool DnsGlob(std::string_view pattern, std::string_view name) {
  while (true) {
    size_t pd = pattern.find('.'), nd = name.find('.');
    if (!Glob(pattern.substr(0, pd), name.substr(0, nd), /*fold_case=*/true)) return false;
    if (pd == std::string_view::npos || nd == std::string_view::npos) {
      return pd == std::string_view::npos && nd == std::string_view::npos;
    }
    pattern.remove_prefix(pd + 1);
    name.remove_prefix(nd + 1);
  }
}

std::string CanonicalIp(const std::string& text) {
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET, text.c_str(), buf) == 1 && inet_ntop(AF_INET, buf, out, sizeof out)) {
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1 && inet_ntop(AF_INET6, buf, out, sizeof out)) {
    return out;
  }
  return "";
}

enum class SanType { kDns, kUri, kEmail, kIp };

struct SanMatcher {
  SanType type;
  std::string pattern;
  bool Matches(const x509::SubjectAltNames& sans) const {
    auto any = [&](const std::vector<std::string>& names, auto match) {
      return std::any_of(names.begin(), names.end(), match);
    };
    switch (type) {
      case SanType::kDns:
        return any(sans.dns, [&](const std::string& n) { return DnsGlob(pattern, n); });
      case SanType::kUri:
        return any(sans.uri, [&](const std::string& n) { return Glob(pattern, n, false); });
      case SanType::kEmail:
        return any(sans.email, [&](const std::string& n) { return Glob(pattern, n, false); });
      case SanType::kIp:
        return any(sans.ip, [&](const std::string& n) { return n == pattern; });
    }
    return false;
  }
};

struct SpiffeMatcher {
  std::string id;  // exact ID, or the prefix ending in '/' for "/*" patterns
  bool prefix = false;
  bool Matches(std::string_view spiffe_id) const {
    return prefix ? spiffe_id.size() > id.size() && spiffe_id.substr(0, id.size()) == id
                  : spiffe_id == id;
  }
};

struct CompiledRoute {
  size_t index = 0;
  bool any_tenant = false;
  std::vector<std::string> tenants;
  std::vector<std::string> cn;
  std::vector<SanMatcher> san;
  std::vector<SpiffeMatcher> spiffe;
  bool HasIdentityRule() const { return !cn.empty() || !san.empty() || !spiffe.empty(); }
};

Status FieldError(const std::string& field, const std::string& message) {
  return Status::InvalidArgument(field + ": " + message);
}

Status CheckPrefix(const std::string& field, const std::string& prefix) {
  if (prefix.empty() || prefix[0] != '/') return FieldError(field, "must start with '/'");
  for (char c : prefix) {
    if (c == '?' || c == '#' || c == '%' || c == '\\' || static_cast<unsigned char>(c) <= 0x20 ||
        c == 0x7f) {
      return FieldError(field, "must be a plain path without '?', '#', '%', '\\' or spaces");
    }
  }
  if (prefix.find("//") != std::string::npos || prefix.find("/./") != std::string::npos ||
      prefix.find("/../") != std::string::npos || prefix.ends_with("/.") ||
      prefix.ends_with("/..")) {
    return FieldError(field, "must not contain empty, '.' or '..' segments");
  }
  return Status::Ok();
}

Result<SanMatcher> CompileSan(const std::string& field, const std::string& entry) {
  SanMatcher m{SanType::kDns, entry};
  size_t colon = entry.find(':');
  std::string_view kind =
      colon == std::string::npos ? "" : std::string_view(entry).substr(0, colon);
  if (kind == "dns" || kind == "uri" || kind == "email" || kind == "ip") {
    m.pattern = entry.substr(colon + 1);
    m.type = kind == "dns"     ? SanType::kDns
             : kind == "uri"   ? SanType::kUri
             : kind == "email" ? SanType::kEmail
                               : SanType::kIp;
  } else if (colon != std::string::npos) {
    // A bare pattern is a DNS name, which never holds ':'; this is a typo'd type.
    return FieldError(
        field, "unknown SAN type '" + std::string(kind) + "'; use dns:, uri:, email: or ip:");
  }
  if (m.pattern.empty()) return FieldError(field, "empty SAN pattern");
  if (m.type == SanType::kIp) {
    std::string ip = CanonicalIp(m.pattern);
    if (ip.empty()) return FieldError(field, "'" + m.pattern + "' is not an IP address");
    m.pattern = ip;
  }
  return m;
}

Result<SpiffeMatcher> CompileSpiffe(const std::string& field, const std::string& entry) {
  SpiffeMatcher m{entry, false};
  std::string id = entry;
  if (entry.ends_with("/*")) {
    id = entry.substr(0, entry.size() - 2);
    m.id = id + "/";
    m.prefix = true;
  }
  if (!IsValidSpiffeId(id)) {
    return FieldError(field, "'" + entry +
                                 "' is not a SPIFFE ID (spiffe://trust-domain/path) or such an "
                                 "ID followed by /*");
  }
  return m;
}

Result<CompiledRoute> CompileRoute(size_t i, const Route& r) {
  const std::string at = "routes[" + std::to_string(i) + "]";
  TP_RETURN_IF_ERROR(CheckPrefix(at + ".prefix", r.prefix));
  CompiledRoute c;
  c.index = i;
  const AllowRule& a = r.allow;
  if (r.allow_unverified) {
    if (!a.tenants.empty() || !a.cn.empty() || !a.san.empty() || !a.spiffe.empty()) {
      return FieldError(at + ".allow",
                        "must be empty when allow_unverified is set: the gateway does no "
                        "authorization for that route");
    }
    return c;
  }
  if (a.tenants.empty()) {
    return FieldError(at + ".allow.tenants",
                      "required: list the tenants whose CAs may vouch for this route, or \"*\"");
  }
  for (size_t j = 0; j < a.tenants.size(); ++j) {
    if (a.tenants[j].empty()) {
      return FieldError(at + ".allow.tenants[" + std::to_string(j) + "]", "empty tenant name");
    }
    if (a.tenants[j] == "*") c.any_tenant = true;
  }
  c.tenants = a.tenants;
  for (size_t j = 0; j < a.cn.size(); ++j) {
    if (a.cn[j].empty()) {
      return FieldError(at + ".allow.cn[" + std::to_string(j) + "]", "empty CN pattern");
    }
  }
  c.cn = a.cn;
  for (size_t j = 0; j < a.san.size(); ++j) {
    TP_ASSIGN_OR_RETURN(SanMatcher m,
                        CompileSan(at + ".allow.san[" + std::to_string(j) + "]", a.san[j]));
    c.san.push_back(std::move(m));
  }
  for (size_t j = 0; j < a.spiffe.size(); ++j) {
    TP_ASSIGN_OR_RETURN(
        SpiffeMatcher m,
        CompileSpiffe(at + ".allow.spiffe[" + std::to_string(j) + "]", a.spiffe[j]));
    c.spiffe.push_back(std::move(m));
  }
  return c;
}

// A request path a prefix match can trust: every backend normalizes it to
// itself. Anything else is refused rather than normalized here, so the
// gateway and the backend never disagree on which route a request is for.
bool IsPlainPath(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    // An empty segment is allowed only as the trailing slash.
    if (segment.empty() && end != path.size()) return false;
    std::string decoded;
    for (size_t k = 0; k < segment.size(); ++k) {
      char ch = segment[k];
      if (ch == '\\' || static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return false;
      if (ch == '%') {
        std::string_view hex = segment.substr(k + 1, 2);
        if (hex.size() != 2) return false;
        std::string lower{Lower(hex[0]), Lower(hex[1])};
        if (lower == "2f" || lower == "5c") return false;  // encoded separators
        if (lower == "2e") {
          decoded += '.';
          k += 2;
          continue;
        }
      }
      decoded += ch;
    }
    if (decoded == "." || decoded == "..") return false;
    start = end + 1;
  }
  return true;
}

bool PrefixMatches(std::string_view prefix, std::string_view path) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || prefix.back() == '/' || path[prefix.size()] == '/';
}

bool TenantAllowed(const CompiledRoute& c, const std::vector<std::string>& tenants) {
  if (c.any_tenant) return true;
  for (const auto& t : tenants) {
    if (std::find(c.tenants.begin(), c.tenants.end(), t) != c.tenants.end()) return true;
  }
  return false;
}

bool IdentityAllowed(const CompiledRoute& c, const x509::Certificate& leaf) {
  if (!c.HasIdentityRule()) return true;
  if (!c.cn.empty()) {
    std::string cn = leaf.common_name();
    for (const auto& p : c.cn) {
      if (!cn.empty() && Glob(p, cn, /*fold_case=*/false)) return true;
    }
  }
  for (const auto& m : c.san) {
    if (m.Matches(leaf.sans())) return true;
  }
  if (!c.spiffe.empty()) {
    std::optional<std::string> id = leaf.spiffe_id();
    if (id && IsValidSpiffeId(*id)) {
      for (const auto& m : c.spiffe) {
        if (m.Matches(*id)) return true;
      }
    }
  }
  return false;
}

}  // namespace

struct RoutePolicy::Compiled {
  std::vector<Route> routes;
  std::vector<CompiledRoute> by_length;  // longest prefix first
};

Result<RoutePolicy> RoutePolicy::Create(std::vector<Route> routes) {
  auto c = std::make_shared<Compiled>();
  for (size_t i = 0; i < routes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (routes[j].prefix == routes[i].prefix) {
        return FieldError("routes[" + std::to_string(i) + "].prefix",
                          "'" + routes[i].prefix + "' is already the prefix of routes[" +
                              std::to_string(j) + "]");
      }
    }
    TP_ASSIGN_OR_RETURN(CompiledRoute compiled, CompileRoute(i, routes[i]));
    c->by_length.push_back(std::move(compiled));
  }
  c->routes = std::move(routes);
  std::stable_sort(c->by_length.begin(), c->by_length.end(),
                   [&](const CompiledRoute& a, const CompiledRoute& b) {
                     return c->routes[a.index].prefix.size() > c->routes[b.index].prefix.size();
                   });
  RoutePolicy policy;
  policy.c_ = std::move(c);
  return policy;
}

const std::vector<Route>& RoutePolicy::routes() const {
  static const std::vector<Route> kNone;
  return c_ ? c_->routes : kNone;
}

RouteDecision RoutePolicy::Authorize(std::string_view path, const ClientIdentity& client) const {
  RouteDecision d;
  if (!c_) {  // default-constructed: no routes
    d.deny_reason = deny::kNoRoute;
    return d;
  }
  path = path.substr(0, path.find_first_of("?#"));
  if (!IsPlainPath(path)) {
    d.deny_reason = deny::kInvalidPath;
    return d;
  }
  const CompiledRoute* selected = nullptr;
  for (const auto& r : c_->by_length) {
    if (PrefixMatches(c_->routes[r.index].prefix, path)) {
      selected = &r;
      break;
    }
  }
  if (selected == nullptr) {
    d.deny_reason = deny::kNoRoute;
    return d;
  }
  d.route = &c_->routes[selected->index];
  if (!d.route->allow_unverified) {
    if (client.leaf == nullptr) {
      d.deny_reason = deny::kNoClientCert;
      return d;
    }
    if (!client.chain_verified) {
      d.deny_reason = deny::kNotVerified;
      return d;
    }
    if (!TenantAllowed(*selected, client.tenants)) {
      d.deny_reason = deny::kTenant;
      return d;
    }
    if (!IdentityAllowed(*selected, *client.leaf)) {
      d.deny_reason = deny::kIdentity;
      return d;
    }
  }
  d.allowed = true;
  return d;
}

}  // namespace trustplane::gateway
