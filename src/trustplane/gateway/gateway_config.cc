#include "trustplane/gateway/gateway_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <tuple>

#include "trustplane/base/time.h"

namespace trustplane::gateway {
namespace {

// The load balancer's custom-header limits (reference section 4).
constexpr size_t kMaxHeaders = 16;
constexpr size_t kMaxHeaderBytes = size_t{8} * 1024;

Status FieldError(const std::string& path, const std::string& message) {
  return Status::InvalidArgument(path + ": " + message);
}

std::string Child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A YAML mapping's entries by key, checked for duplicates and unknown keys.
using Fields = std::map<std::string, YAML::Node, std::less<>>;

Result<Fields> ReadMap(const YAML::Node& node, const std::string& path,
                       std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) return FieldError(path.empty() ? "config" : path, "must be a mapping");
  Fields fields;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return FieldError(path, "keys must be plain text");
    const std::string& key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string known;
      for (auto a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
      return FieldError(Child(path, key), "unknown field; expected one of " + known);
    }
    if (!fields.emplace(key, kv.second).second) {
      return FieldError(Child(path, key), "appears twice");
    }
  }
  return fields;
}

const YAML::Node* Find(const Fields& f, std::string_view key) {
  auto it = f.find(key);
  return it == f.end() || it->second.IsNull() ? nullptr : &it->second;
}

Result<std::string> Scalar(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) return FieldError(path, "must be a single value");
  return node.Scalar();
}

Result<std::string> RequiredString(const Fields& f, std::string_view key, const std::string& path) {
  const YAML::Node* n = Find(f, key);
  if (n == nullptr) return FieldError(Child(path, key), "required");
  TP_ASSIGN_OR_RETURN(std::string s, Scalar(*n, Child(path, key)));
  if (s.empty()) return FieldError(Child(path, key), "must not be empty");
  return s;
}

Result<std::vector<std::string>> StringList(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) return FieldError(path, "must be a list");
  std::vector<std::string> out;
  for (size_t i = 0; i < node.size(); ++i) {
    TP_ASSIGN_OR_RETURN(std::string s, Scalar(node[i], Index(path, i)));
    out.push_back(std::move(s));
  }
  return out;
}

Result<bool> Bool(const YAML::Node& node, const std::string& path) {
  TP_ASSIGN_OR_RETURN(std::string s, Scalar(node, path));
  if (s == "true") return true;
  if (s == "false") return false;
  return FieldError(path, "must be true or false, not '" + s + "'");
}

Result<int64_t> PositiveInteger(const YAML::Node& node, const std::string& path, int64_t max) {
  TP_ASSIGN_OR_RETURN(std::string s, Scalar(node, path));
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0 || v > max) {
    return FieldError(
        path, "must be a whole number from 1 to " + std::to_string(max) + ", not '" + s + "'");
  }
  return v;
}

Result<int64_t> Duration(const YAML::Node& node, const std::string& path) {
  TP_ASSIGN_OR_RETURN(std::string s, Scalar(node, path));
  Result<int64_t> d = ParseDurationSeconds(s);
  if (!d.ok() || *d <= 0) {
    return FieldError(path, "must be a positive duration like 10s, 5m or 1h, not '" + s + "'");
  }
  return *d;
}

std::string Resolve(std::string_view base_dir, const std::string& file) {
  // URLs (a gs:// trust home) are not file paths and stay as written.
  if (file.empty() || file[0] == '/' || base_dir.empty() || file.find("://") != std::string::npos) {
    return file;
  }
  std::string out(base_dir);
  if (out.back() != '/') out += '/';
  return out + file;
}

// RFC 9110 token characters, the only ones a header name may hold.
bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The load balancer's header-name rules (custom headers page): a token, not
// hop-by-hop, not Host, not reserved by Google; and not Content-Length, which
// would break the request's framing.
Status CheckHeaderName(const std::string& path, const std::string& name) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
    return FieldError(path, "'" + name + "' is not a valid HTTP header name");
  }
  const std::string lower = LowerAscii(name);
  for (std::string_view reserved :
       {"host", "authority", "x-user-ip", "cdn-loop", "keep-alive", "transfer-encoding", "te",
        "connection", "trailer", "upgrade", "content-length"}) {
    if (lower == reserved) return FieldError(path, "'" + name + "' may not be set by a rule");
  }
  for (std::string_view prefix : {"x-google", "x-goog-", "x-gfe", "x-amz-"}) {
    if (lower.starts_with(prefix)) {
      return FieldError(path, "names starting with '" + std::string(prefix) + "' are reserved");
    }
  }
  return Status::Ok();
}

Result<std::vector<HeaderRule>> ParseHeaders(const YAML::Node& node) {
  const std::string path = "headers";
  if (!node.IsMap()) return FieldError(path, "must be a mapping of header name to value");
  std::vector<HeaderRule> rules;
  std::vector<std::string> lowered;
  size_t total = 0;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return FieldError(path, "header names must be plain text");
    const std::string& name = kv.first.Scalar();
    const std::string at = Child(path, name);
    TP_RETURN_IF_ERROR(CheckHeaderName(at, name));
    std::string lower = LowerAscii(name);
    if (std::find(lowered.begin(), lowered.end(), lower) != lowered.end()) {
      return FieldError(at, "appears twice (header names are case-insensitive)");
    }
    lowered.push_back(lower);
    std::string value;
    if (kv.second.IsMap()) {
      return FieldError(at, "quote the value: YAML reads an unquoted {...} as a mapping");
    }
    if (!kv.second.IsNull()) {
      TP_ASSIGN_OR_RETURN(value, Scalar(kv.second, at));
    }
    Result<HeaderTemplate> t = HeaderTemplate::Compile(value);
    if (!t.ok()) return FieldError(at, t.status().message());
    total += name.size() + value.size();
    rules.push_back(HeaderRule{name, std::move(t).value()});
  }
  if (rules.size() > kMaxHeaders) {
    return FieldError(path, std::to_string(rules.size()) + " headers; at most " +
                                std::to_string(kMaxHeaders) + " as on the load balancer");
  }
  if (total > kMaxHeaderBytes) {
    return FieldError(path, "names and values total " + std::to_string(total) + " bytes; at most " +
                                std::to_string(kMaxHeaderBytes) + " as on the load balancer");
  }
  return rules;
}

Result<AllowRule> ParseAllow(const YAML::Node& node, const std::string& path) {
  TP_ASSIGN_OR_RETURN(Fields f, ReadMap(node, path, {"tenants", "cn", "san", "spiffe"}));
  AllowRule allow;
  std::pair<std::string_view, std::vector<std::string>*> lists[] = {{"tenants", &allow.tenants},
                                                                    {"cn", &allow.cn},
                                                                    {"san", &allow.san},
                                                                    {"spiffe", &allow.spiffe}};
  for (auto& [key, out] : lists) {
    if (const YAML::Node* n = Find(f, key)) {
      TP_ASSIGN_OR_RETURN(*out, StringList(*n, Child(path, key)));
    }
  }
  return allow;
}

Status ParseRoutes(const YAML::Node& node, GatewayConfig& config) {
  const std::string path = "routes";
  if (!node.IsSequence() || node.size() == 0) {
    return FieldError(path, "must be a non-empty list of routes");
  }
  std::vector<Route> routes;
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string at = Index(path, i);
    TP_ASSIGN_OR_RETURN(Fields f,
                        ReadMap(node[i], at, {"prefix", "backend", "allow", "allow_unverified"}));
    Route r;
    TP_ASSIGN_OR_RETURN(r.prefix, RequiredString(f, "prefix", at));
    TP_ASSIGN_OR_RETURN(r.backend, RequiredString(f, "backend", at));
    Result<BackendUrl> backend = ParseBackendUrl(r.backend);
    if (!backend.ok()) return FieldError(Child(at, "backend"), backend.status().message());
    config.backends.push_back(std::move(backend).value());
    if (const YAML::Node* n = Find(f, "allow")) {
      TP_ASSIGN_OR_RETURN(r.allow, ParseAllow(*n, Child(at, "allow")));
    }
    if (const YAML::Node* n = Find(f, "allow_unverified")) {
      TP_ASSIGN_OR_RETURN(r.allow_unverified, Bool(*n, Child(at, "allow_unverified")));
    }
    routes.push_back(std::move(r));
  }
  TP_ASSIGN_OR_RETURN(config.routes, RoutePolicy::Create(std::move(routes)));
  return Status::Ok();
}

Status ParseTls(const YAML::Node& node, std::string_view base_dir, TlsSettings& tls) {
  TP_ASSIGN_OR_RETURN(
      Fields f, ReadMap(node, "tls", {"cert", "key", "min_version", "ciphers", "ciphersuites"}));
  TP_ASSIGN_OR_RETURN(std::string cert, RequiredString(f, "cert", "tls"));
  TP_ASSIGN_OR_RETURN(std::string key, RequiredString(f, "key", "tls"));
  tls.cert = Resolve(base_dir, cert);
  tls.key = Resolve(base_dir, key);
  if (const YAML::Node* n = Find(f, "min_version")) {
    TP_ASSIGN_OR_RETURN(tls.min_version, Scalar(*n, "tls.min_version"));
    if (tls.min_version != "TLS1.2" && tls.min_version != "TLS1.3") {
      return FieldError("tls.min_version",
                        "must be TLS1.2 or TLS1.3, not '" + tls.min_version + "'");
    }
  }
  if (const YAML::Node* n = Find(f, "ciphers")) {
    TP_ASSIGN_OR_RETURN(tls.ciphers, Scalar(*n, "tls.ciphers"));
  }
  if (const YAML::Node* n = Find(f, "ciphersuites")) {
    TP_ASSIGN_OR_RETURN(tls.ciphersuites, Scalar(*n, "tls.ciphersuites"));
  }
  return Status::Ok();
}

Status ParseTrust(const YAML::Node& node, std::string_view base_dir, TrustSource& trust) {
  TP_ASSIGN_OR_RETURN(Fields f, ReadMap(node, "trust", {"home", "trust_config"}));
  const YAML::Node* home = Find(f, "home");
  const YAML::Node* file = Find(f, "trust_config");
  if ((home == nullptr) == (file == nullptr)) {
    return FieldError("trust", "set exactly one of home or trust_config");
  }
  trust.kind = home ? TrustSource::Kind::kHome : TrustSource::Kind::kTrustConfig;
  TP_ASSIGN_OR_RETURN(std::string p, RequiredString(f, home ? "home" : "trust_config", "trust"));
  trust.path = Resolve(base_dir, p);
  return Status::Ok();
}

Status ParseLimits(const YAML::Node& node, Limits& limits) {
  TP_ASSIGN_OR_RETURN(Fields f, ReadMap(node, "limits",
                                        {"max_request_header_bytes", "max_request_body_bytes",
                                         "max_header_count"}));
  std::tuple<std::string_view, int64_t*, int64_t> fields[] = {
      {"max_request_header_bytes", &limits.max_request_header_bytes, int64_t{1} << 24},
      {"max_request_body_bytes", &limits.max_request_body_bytes, int64_t{1} << 40},
      {"max_header_count", &limits.max_header_count, 10000}};
  for (auto& [key, out, max] : fields) {
    if (const YAML::Node* n = Find(f, key)) {
      TP_ASSIGN_OR_RETURN(*out, PositiveInteger(*n, Child("limits", key), max));
    }
  }
  return Status::Ok();
}

Status ParseTimeouts(const YAML::Node& node, Timeouts& t) {
  TP_ASSIGN_OR_RETURN(
      Fields f, ReadMap(node, "timeouts", {"handshake", "header", "idle", "backend", "shutdown"}));
  std::pair<std::string_view, int64_t*> fields[] = {{"handshake", &t.handshake},
                                                    {"header", &t.header},
                                                    {"idle", &t.idle},
                                                    {"backend", &t.backend},
                                                    {"shutdown", &t.shutdown}};
  for (auto& [key, out] : fields) {
    if (const YAML::Node* n = Find(f, key)) {
      TP_ASSIGN_OR_RETURN(*out, Duration(*n, Child("timeouts", key)));
    }
  }
  return Status::Ok();
}

// A CRL or OCSP URL: http or https, as a backend URL is written.
Status CheckFetchUrl(const std::string& path, const std::string& url) {
  Result<BackendUrl> parsed = ParseBackendUrl(url);
  if (!parsed.ok()) return FieldError(path, parsed.status().message());
  return Status::Ok();
}

bool IsUrl(const std::string& s) {
  return s.find("://") != std::string::npos;
}

Status ParseOcsp(const YAML::Node& node, RevocationSettings& r) {
  const std::string path = "revocation.ocsp";
  TP_ASSIGN_OR_RETURN(Fields f, ReadMap(node, path, {"enabled", "timeout", "responder"}));
  // `ocsp: {}` or `ocsp: {timeout: 1s}` means on; `enabled: false` turns it off.
  r.ocsp = true;
  if (const YAML::Node* n = Find(f, "enabled")) {
    TP_ASSIGN_OR_RETURN(r.ocsp, Bool(*n, Child(path, "enabled")));
  }
  if (const YAML::Node* n = Find(f, "timeout")) {
    TP_ASSIGN_OR_RETURN(r.ocsp_timeout_seconds, Duration(*n, Child(path, "timeout")));
    if (r.ocsp_timeout_seconds > 60) {
      return FieldError(Child(path, "timeout"),
                        "at most 60s: the exchange runs inside a client's handshake");
    }
  }
  if (const YAML::Node* n = Find(f, "responder")) {
    TP_ASSIGN_OR_RETURN(r.ocsp_responder, Scalar(*n, Child(path, "responder")));
    TP_RETURN_IF_ERROR(CheckFetchUrl(Child(path, "responder"), r.ocsp_responder));
  }
  return Status::Ok();
}

Status ParseRevocation(const YAML::Node& node, std::string_view base_dir, RevocationSettings& r) {
  const std::string path = "revocation";
  TP_ASSIGN_OR_RETURN(Fields f, ReadMap(node, path, {"mode", "crls", "ocsp", "refresh"}));
  if (const YAML::Node* n = Find(f, "mode")) {
    TP_ASSIGN_OR_RETURN(std::string mode, Scalar(*n, Child(path, "mode")));
    if (mode == "soft_fail") {
      r.mode = RevocationMode::kSoftFail;
    } else if (mode == "hard_fail") {
      r.mode = RevocationMode::kHardFail;
    } else {
      return FieldError(Child(path, "mode"), "must be soft_fail or hard_fail, not '" + mode + "'");
    }
  }
  if (const YAML::Node* n = Find(f, "crls")) {
    TP_ASSIGN_OR_RETURN(std::vector<std::string> crls, StringList(*n, Child(path, "crls")));
    for (size_t i = 0; i < crls.size(); ++i) {
      const std::string at = Index(Child(path, "crls"), i);
      if (crls[i].empty()) return FieldError(at, "must not be empty");
      if (IsUrl(crls[i])) {
        TP_RETURN_IF_ERROR(CheckFetchUrl(at, crls[i]));
        r.crls.push_back(crls[i]);
      } else {
        r.crls.push_back(Resolve(base_dir, crls[i]));
      }
    }
  }
  if (const YAML::Node* n = Find(f, "ocsp")) TP_RETURN_IF_ERROR(ParseOcsp(*n, r));
  if (const YAML::Node* n = Find(f, "refresh")) {
    TP_ASSIGN_OR_RETURN(r.refresh_seconds, Duration(*n, Child(path, "refresh")));
  }
  if (!r.enabled()) {
    return FieldError(path, "names no source: give crls, or ocsp: {enabled: true}");
  }
  return Status::Ok();
}

Result<HostPort> ParseListen(const Fields& f, std::string_view key) {
  TP_ASSIGN_OR_RETURN(std::string text, RequiredString(f, key, ""));
  Result<HostPort> hp = ParseHostPort(text);
  if (!hp.ok()) return FieldError(std::string(key), hp.status().message());
  return hp;
}

}  // namespace

std::string_view RevocationModeName(RevocationMode mode) {
  return mode == RevocationMode::kSoftFail ? "soft_fail" : "hard_fail";
}

std::string_view ClientValidationName(ClientValidation mode) {
  return mode == ClientValidation::kRejectInvalid ? "REJECT_INVALID"
                                                  : "ALLOW_INVALID_OR_MISSING_CLIENT_CERT";
}

Result<HostPort> ParseHostPort(std::string_view text) {
  HostPort hp;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("'" + std::string(text) + "' is not [IPv6]:port");
    }
    hp.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Status::InvalidArgument("'" + std::string(text) +
                                     "' is not host:port (write IPv6 addresses as [::1]:port)");
    }
    hp.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (hp.host.empty()) {
    return Status::InvalidArgument("'" + std::string(text) + "' has no host");
  }
  for (char c : hp.host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return Status::InvalidArgument("'" + hp.host + "' is not a host name or address");
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return Status::InvalidArgument("'" + std::string(port) + "' is not a port number (0-65535)");
  }
  hp.port = static_cast<uint16_t>(value);
  return hp;
}

Result<BackendUrl> ParseBackendUrl(std::string_view url) {
  BackendUrl b;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Status::InvalidArgument("'" + std::string(url) + "' is not a URL like http://host:port");
  }
  b.scheme = LowerAscii(url.substr(0, sep));
  if (b.scheme != "http" && b.scheme != "https") {
    return Status::InvalidArgument("scheme '" + b.scheme + "' is not http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Status::InvalidArgument("a backend URL has no query or fragment");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("a backend URL carries no user or password");
  }
  std::string default_port = b.scheme == "https" ? "443" : "80";
  bool has_port =
      !authority.empty() && (authority[0] == '[' ? authority.find("]:") != std::string_view::npos
                                                 : authority.find(':') != std::string_view::npos);
  std::string hostport = std::string(authority) + (has_port ? "" : ":" + default_port);
  TP_ASSIGN_OR_RETURN(b.address, ParseHostPort(hostport));
  if (b.address.port == 0) return Status::InvalidArgument("backend port 0 is not a port to dial");
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    b.base_path = std::string(path);
  }
  return b;
}

CertVariableSet GatewayConfig::header_variables() const {
  CertVariableSet set;
  for (const auto& h : headers) set |= h.value.variables();
  return set;
}

Result<GatewayConfig> ParseGatewayConfig(std::string_view yaml, std::string_view base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null() ? "" : "line " + std::to_string(e.mark.line + 1) + ": ";
    return Status::InvalidArgument("gateway config is not valid YAML: " + where + e.msg);
  }
  if (root.IsNull()) return Status::InvalidArgument("gateway config is empty");
  TP_ASSIGN_OR_RETURN(Fields f,
                      ReadMap(root, "",
                              {"listen", "tls", "client_validation", "trust", "headers", "routes",
                               "admin_listen", "limits", "timeouts", "revocation"}));
  GatewayConfig config;
  TP_ASSIGN_OR_RETURN(config.listen, ParseListen(f, "listen"));

  const YAML::Node* tls = Find(f, "tls");
  if (tls == nullptr) return FieldError("tls", "required: {cert: FILE, key: FILE}");
  TP_RETURN_IF_ERROR(ParseTls(*tls, base_dir, config.tls));

  TP_ASSIGN_OR_RETURN(std::string mode, RequiredString(f, "client_validation", ""));
  if (mode == "REJECT_INVALID") {
    config.client_validation = ClientValidation::kRejectInvalid;
  } else if (mode == "ALLOW_INVALID_OR_MISSING_CLIENT_CERT") {
    config.client_validation = ClientValidation::kAllowInvalidOrMissingClientCert;
  } else {
    return FieldError("client_validation",
                      "must be REJECT_INVALID or "
                      "ALLOW_INVALID_OR_MISSING_CLIENT_CERT, not '" +
                          mode + "'");
  }

  // Both modes validate against a trust source; the load balancer also
  // refuses REJECT_INVALID without a trust config.
  const YAML::Node* trust = Find(f, "trust");
  if (trust == nullptr) return FieldError("trust", "required: {home: DIR} or {trust_config: FILE}");
  TP_RETURN_IF_ERROR(ParseTrust(*trust, base_dir, config.trust));

  if (const YAML::Node* n = Find(f, "headers")) {
    TP_ASSIGN_OR_RETURN(config.headers, ParseHeaders(*n));
  }
  const YAML::Node* routes = Find(f, "routes");
  if (routes == nullptr) return FieldError("routes", "required: at least one route");
  TP_RETURN_IF_ERROR(ParseRoutes(*routes, config));

  if (Find(f, "admin_listen") != nullptr) {
    TP_ASSIGN_OR_RETURN(config.admin_listen, ParseListen(f, "admin_listen"));
    if (config.admin_listen->host == config.listen.host &&
        config.admin_listen->port == config.listen.port && config.listen.port != 0) {
      return FieldError("admin_listen", "must differ from listen");
    }
  }
  if (const YAML::Node* n = Find(f, "limits")) TP_RETURN_IF_ERROR(ParseLimits(*n, config.limits));
  if (const YAML::Node* n = Find(f, "timeouts")) {
    TP_RETURN_IF_ERROR(ParseTimeouts(*n, config.timeouts));
  }
  if (const YAML::Node* n = Find(f, "revocation")) {
    TP_RETURN_IF_ERROR(ParseRevocation(*n, base_dir, config.revocation));
  }
  return config;
}

Result<GatewayConfig> LoadGatewayConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read gateway config " + path);
  std::ostringstream text;
  text << in.rdbuf();
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (dir.empty()) dir = "/";
  Result<GatewayConfig> config = ParseGatewayConfig(text.str(), dir);
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

}  // namespace trustplane::gateway
