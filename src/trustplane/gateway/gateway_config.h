// GatewayConfig: gateway.yaml, parsed and validated in full before anything
// listens, so a bad reload is refused while the running config keeps serving.
// Shape (issue 4, item 1):
//
//   listen: 127.0.0.1:8443
//   tls: {cert: server.pem, key: server-key.pem, min_version: TLS1.2}
//   client_validation: REJECT_INVALID   # or ALLOW_INVALID_OR_MISSING_CLIENT_CERT
//   trust: {home: /path/to/home}        # or {trust_config: exported.yaml}
//   headers: {X-Client-Cert-Present: "{client_cert_present}"}
//   routes:
//     - {prefix: /, backend: "http://127.0.0.1:9000",
//        allow: {tenants: [acme], cn: [alice, "svc-*"], san: [], spiffe: []}}
//   admin_listen: 127.0.0.1:9901        # optional
//   limits: {max_request_header_bytes: 65536, max_request_body_bytes: 33554432,
//            max_header_count: 100}     # optional, defaults shown
//   timeouts: {handshake: 10s, header: 15s, idle: 610s, backend: 30s,
//              shutdown: 30s}           # optional, defaults shown
//   revocation:                         # optional; see RevocationSettings
//     mode: soft_fail                   # or hard_fail
//     crls: [ca.crl, "http://127.0.0.1:8888/crl"]
//     ocsp: {enabled: true, timeout: 2s, responder: "http://ocsp.internal/"}
//     refresh: 60s
//
// Relative file paths are resolved against the config file's directory.
// Unknown or duplicate keys are errors: a typo must not silently drop a rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/gateway/client_cert_variables.h"
#include "trustplane/gateway/header_template.h"
#include "trustplane/gateway/route_policy.h"

namespace trustplane::gateway {

// The load balancer's ServerTlsPolicy clientValidationMode values.
enum class ClientValidation { kRejectInvalid, kAllowInvalidOrMissingClientCert };
std::string_view ClientValidationName(ClientValidation mode);

struct HostPort {
  std::string host;   // "127.0.0.1", "::1" (without brackets), "localhost"
  uint16_t port = 0;  // 0: any free port (tests)
};

struct BackendUrl {
  std::string scheme;     // "http" or "https"
  HostPort address;       // port defaults to 80 / 443
  std::string base_path;  // "" or "/prefix" (no trailing '/'), prepended to the request path
};
// "http://127.0.0.1:9000", "https://api.internal/v1"; no query, fragment or userinfo.
Result<BackendUrl> ParseBackendUrl(std::string_view url);
// "127.0.0.1:8443", "[::1]:8443", "localhost:8443".
Result<HostPort> ParseHostPort(std::string_view text);

struct TlsSettings {
  std::string cert, key;               // PEM files, resolved paths
  std::string min_version = "TLS1.2";  // "TLS1.2" or "TLS1.3"
  std::string ciphers;                 // OpenSSL cipher list for TLS 1.2; "" = library default
  std::string ciphersuites;            // TLS 1.3 suites; "" = library default
};

struct TrustSource {
  enum class Kind { kHome, kTrustConfig };
  Kind kind = Kind::kHome;
  std::string path;  // resolved
};

struct HeaderRule {
  std::string name;  // as configured; matched case-insensitively
  HeaderTemplate value;
};

// Defaults follow the load balancer where it documents one (idle 610 s,
// backend 30 s) and common proxy practice elsewhere.
struct Limits {
  int64_t max_request_header_bytes = int64_t{64} * 1024;
  int64_t max_request_body_bytes = int64_t{32} * 1024 * 1024;
  int64_t max_header_count = 100;
};
struct Timeouts {  // seconds
  int64_t handshake = 10;
  int64_t header = 15;
  int64_t idle = 610;
  int64_t backend = 30;
  int64_t shutdown = 30;
};

// Revocation checking of client certificates (issue 4, item 7); a
// trustplane extension: the load balancer has none.
enum class RevocationMode {
  kSoftFail,  // status unknown (no source answered): admit
  kHardFail,  // status unknown: fail as client_cert_revocation_unknown
};
struct RevocationSettings {
  RevocationMode mode = RevocationMode::kSoftFail;
  std::vector<std::string> crls;  // resolved file paths or http(s) URLs; PEM or DER
  bool ocsp = false;
  int64_t ocsp_timeout_seconds = 2;  // bounds one OCSP exchange inside a handshake
  std::string ocsp_responder;        // "" = the leaf's AIA OCSP URL
  int64_t refresh_seconds = 60;      // CRL sources are re-read this often

  bool enabled() const { return ocsp || !crls.empty(); }
  bool operator==(const RevocationSettings&) const = default;
};
std::string_view RevocationModeName(RevocationMode mode);  // "soft_fail", "hard_fail"

struct GatewayConfig {
  HostPort listen;
  TlsSettings tls;
  ClientValidation client_validation = ClientValidation::kRejectInvalid;
  TrustSource trust;
  std::vector<HeaderRule> headers;
  RoutePolicy routes;
  std::vector<BackendUrl> backends;  // backends[i] belongs to routes.routes()[i]
  std::optional<HostPort> admin_listen;
  Limits limits;
  Timeouts timeouts;
  RevocationSettings revocation;

  // Every variable some header reads: compute only these per connection.
  CertVariableSet header_variables() const;
};

// kInvalidArgument naming the field path ("routes[0].backend: ...").
Result<GatewayConfig> ParseGatewayConfig(std::string_view yaml, std::string_view base_dir);
Result<GatewayConfig> LoadGatewayConfig(const std::string& path);

}  // namespace trustplane::gateway
