#include "trustplane/gateway/gateway_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace trustplane::gateway {
namespace {

using ::testing::HasSubstr;
using trustplane::testing::TempDir;
using trustplane::testing::WriteFile;

// The example of issue 4, item 1, verbatim.
constexpr const char* kIssueExample = R"(
listen: 127.0.0.1:8443
tls: {cert: server.pem, key: server-key.pem}
client_validation: REJECT_INVALID        # or ALLOW_INVALID_OR_MISSING_CLIENT_CERT
trust: {home: /path/to/trustplane-home}  # or {trust_config: exported.yaml}
headers:
  X-Client-Cert-Present: "{client_cert_present}"
  X-Client-Cert-Chain-Verified: "{client_cert_chain_verified}"
  X-Client-Cert-Error: "{client_cert_error}"
  X-Client-Cert-Hash: "{client_cert_sha256_fingerprint}"
routes:
  - {prefix: /, backend: "http://127.0.0.1:9000", allow: {tenants: [acme], cn: ["alice", "svc-*"]}}
admin_listen: 127.0.0.1:9901
)";

// A minimal valid config with `extra` appended (YAML keys at the top level).
std::string Minimal(const std::string& extra = "") {
  return "listen: 127.0.0.1:8443\n"
         "tls: {cert: s.pem, key: k.pem}\n"
         "client_validation: REJECT_INVALID\n"
         "trust: {home: /h}\n"
         "routes:\n"
         "  - {prefix: /, backend: 'http://b:1', allow: {tenants: ['*']}}\n" +
         extra;
}

Status ParseError(const std::string& yaml) {
  Result<GatewayConfig> c = ParseGatewayConfig(yaml, "/etc/tp");
  EXPECT_FALSE(c.ok()) << yaml;
  EXPECT_TRUE(c.status().is(ErrorCode::kInvalidArgument)) << c.status().ToString();
  return c.status();
}

// The minimal config with the line starting with `start` replaced by `line`.
std::string ReplaceLine(const std::string& start, const std::string& line) {
  std::string yaml = Minimal();
  size_t at = yaml.find(start);
  size_t end = yaml.find('\n', at);
  return yaml.substr(0, at) + line + yaml.substr(end);
}
std::string Replace(const std::string& key, const std::string& line) {
  return ReplaceLine(key + ":", line);
}
// The minimal config with its one route replaced.
std::string Route0(const std::string& flow_map) {
  return ReplaceLine("  - {", "  - " + flow_map);
}

TEST(GatewayConfig, ParsesTheIssueExample) {
  Result<GatewayConfig> r = ParseGatewayConfig(kIssueExample, "/etc/tp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const GatewayConfig& c = *r;
  EXPECT_EQ(c.listen.host, "127.0.0.1");
  EXPECT_EQ(c.listen.port, 8443);
  EXPECT_EQ(c.tls.cert, "/etc/tp/server.pem");  // relative to the config's directory
  EXPECT_EQ(c.tls.key, "/etc/tp/server-key.pem");
  EXPECT_EQ(c.tls.min_version, "TLS1.2");
  EXPECT_EQ(c.client_validation, ClientValidation::kRejectInvalid);
  EXPECT_EQ(c.trust.kind, TrustSource::Kind::kHome);
  EXPECT_EQ(c.trust.path, "/path/to/trustplane-home");

  ASSERT_EQ(c.headers.size(), 4u);
  EXPECT_EQ(c.headers[0].name, "X-Client-Cert-Present");
  EXPECT_EQ(c.headers[3].name, "X-Client-Cert-Hash");
  ClientCertVariables no_cert = ClientCertVariables::Compute(HandshakeOutcome{});
  EXPECT_EQ(c.headers[0].value.Render(no_cert), "false");
  EXPECT_EQ(c.headers[2].value.Render(no_cert), "client_cert_not_provided");
  CertVariableSet used = c.header_variables();
  EXPECT_EQ(used.count(), 4u);
  EXPECT_TRUE(used.test(static_cast<size_t>(CertVariable::kSha256Fingerprint)));
  EXPECT_FALSE(used.test(static_cast<size_t>(CertVariable::kLeaf)));

  ASSERT_EQ(c.routes.routes().size(), 1u);
  const Route& route = c.routes.routes()[0];
  EXPECT_EQ(route.prefix, "/");
  EXPECT_EQ(route.allow.tenants, std::vector<std::string>{"acme"});
  EXPECT_EQ(route.allow.cn, (std::vector<std::string>{"alice", "svc-*"}));
  ASSERT_EQ(c.backends.size(), 1u);
  EXPECT_EQ(c.backends[0].scheme, "http");
  EXPECT_EQ(c.backends[0].address.host, "127.0.0.1");
  EXPECT_EQ(c.backends[0].address.port, 9000);

  ASSERT_TRUE(c.admin_listen.has_value());
  EXPECT_EQ(c.admin_listen->port, 9901);
  // Defaults.
  EXPECT_EQ(c.limits.max_request_header_bytes, 64 * 1024);
  EXPECT_EQ(c.timeouts.idle, 610);
  EXPECT_EQ(c.timeouts.backend, 30);
}

TEST(GatewayConfig, OptionalSectionsOverrideDefaults) {
  Result<GatewayConfig> r = ParseGatewayConfig(
      Replace("tls",
              "tls: {cert: /abs/s.pem, key: k.pem, min_version: TLS1.3, ciphers: "
              "'ECDHE+AESGCM', ciphersuites: TLS_AES_128_GCM_SHA256}") +
          "limits: {max_request_header_bytes: 8192, max_request_body_bytes: 1048576, "
          "max_header_count: 50}\n"
          "timeouts: {handshake: 5s, header: 2s, idle: 1m, backend: 1h, shutdown: 90s}\n",
      "conf");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tls.cert, "/abs/s.pem");
  EXPECT_EQ(r->tls.key, "conf/k.pem");
  EXPECT_EQ(r->tls.min_version, "TLS1.3");
  EXPECT_EQ(r->tls.ciphers, "ECDHE+AESGCM");
  EXPECT_EQ(r->tls.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(r->limits.max_request_header_bytes, 8192);
  EXPECT_EQ(r->limits.max_request_body_bytes, 1048576);
  EXPECT_EQ(r->limits.max_header_count, 50);
  EXPECT_EQ(r->timeouts.handshake, 5);
  EXPECT_EQ(r->timeouts.header, 2);
  EXPECT_EQ(r->timeouts.idle, 60);
  EXPECT_EQ(r->timeouts.backend, 3600);
  EXPECT_EQ(r->timeouts.shutdown, 90);
  EXPECT_FALSE(r->admin_listen.has_value());
  EXPECT_TRUE(r->headers.empty());
}

TEST(GatewayConfig, AllowModeTrustConfigAndRouteOptions) {
  std::string yaml =
      Replace("client_validation", "client_validation: ALLOW_INVALID_OR_MISSING_CLIENT_CERT");
  yaml =
      yaml.substr(0, yaml.find("trust:")) + "trust: {trust_config: tc.yaml}\nroutes:\n" +
      "  - prefix: /api\n"
      "    backend: https://api.internal/v1/\n"
      "    allow: {tenants: [acme, beta], san: ['*.svc.local'], spiffe: ['spiffe://acme.org/*']}\n"
      "  - {prefix: /public, backend: 'http://[::1]:8080', allow_unverified: true}\n";
  Result<GatewayConfig> r = ParseGatewayConfig(yaml, "/cfg");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->client_validation, ClientValidation::kAllowInvalidOrMissingClientCert);
  EXPECT_EQ(ClientValidationName(r->client_validation), "ALLOW_INVALID_OR_MISSING_CLIENT_CERT");
  EXPECT_EQ(r->trust.kind, TrustSource::Kind::kTrustConfig);
  EXPECT_EQ(r->trust.path, "/cfg/tc.yaml");
  ASSERT_EQ(r->backends.size(), 2u);
  EXPECT_EQ(r->backends[0].scheme, "https");
  EXPECT_EQ(r->backends[0].address.port, 443);
  EXPECT_EQ(r->backends[0].base_path, "/v1");
  EXPECT_EQ(r->backends[1].address.host, "::1");
  EXPECT_EQ(r->backends[1].address.port, 8080);
  EXPECT_TRUE(r->routes.routes()[1].allow_unverified);
  EXPECT_TRUE(r->routes.Authorize("/public/x", ClientIdentity{}).allowed);
  EXPECT_EQ(r->routes.Authorize("/api/x", ClientIdentity{}).deny_reason, "no_client_cert");
}

TEST(GatewayConfig, TrustHomeUrlIsNotAFilePath) {
  Result<GatewayConfig> r =
      ParseGatewayConfig(Replace("trust", "trust: {home: 'gs://acme-trust/prod'}"), "/etc/tp");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->trust.path, "gs://acme-trust/prod");
}

TEST(GatewayConfig, ErrorsNameTheFieldPath) {
  struct Case {
    std::string yaml, expected;
  };
  const Case cases[] = {
      {Replace("listen", "listen: 127.0.0.1"), "listen: '127.0.0.1' is not host:port"},
      {Replace("listen", "listen: 'h:99999'"), "listen: '99999' is not a port number"},
      {Replace("listen", ""), "listen: required"},
      {Replace("tls", "tls: {cert: s.pem}"), "tls.key: required"},
      {Replace("tls", "tls: {cert: s.pem, key: k.pem, min_version: TLS1.1}"),
       "tls.min_version: must be TLS1.2 or TLS1.3"},
      {Replace("tls", "tls: {cert: s.pem, key: k.pem, certs: x}"), "tls.certs: unknown field"},
      {Replace("client_validation", "client_validation: CLIENT_VALIDATION_MODE_UNSPECIFIED"),
       "client_validation: must be REJECT_INVALID or ALLOW_INVALID_OR_MISSING_CLIENT_CERT"},
      {Replace("trust", "trust: {home: /h, trust_config: t.yaml}"),
       "trust: set exactly one of home or trust_config"},
      {Replace("trust", "trust: {}"), "trust: set exactly one of home or trust_config"},
      {Replace("trust", ""), "trust: required"},
      {Minimal("headers: {X-A: '{client_region}'}\n"),
       "headers.X-A: unknown variable {client_region}"},
      {Minimal("headers: {X-A: {client_cert_present}}\n"), "headers.X-A: quote the value"},
      {Minimal("headers: {X-A: a, x-a: b}\n"), "headers.x-a: appears twice"},
      {Minimal("headers: {'Bad Name': a}\n"), "not a valid HTTP header name"},
      {Minimal("headers: {Host: a}\n"), "headers.Host: 'Host' may not be set"},
      {Minimal("headers: {Connection: a}\n"), "headers.Connection"},
      {Minimal("headers: {X-Goog-Foo: a}\n"), "headers.X-Goog-Foo: names starting with"},
      {Minimal().substr(0, Minimal().find("routes:")) + "routes: []\n",
       "routes: must be a non-empty list"},
      {Route0("{prefix: /, backend: 'ftp://b', allow: {tenants: ['*']}}"),
       "routes[0].backend: scheme 'ftp' is not http or https"},
      {Route0("{prefix: /, backend: 'http://u:p@b', allow: {tenants: ['*']}}"),
       "routes[0].backend: a backend URL carries no user or password"},
      {Route0("{prefix: /, allow: {tenants: ['*']}}"), "routes[0].backend: required"},
      {Route0("{prefix: /, backend: 'http://b', allow: {tenants: acme}}"),
       "routes[0].allow.tenants: must be a list"},
      {Route0("{prefix: /, backend: 'http://b', allow: {tenant: [a]}}"),
       "routes[0].allow.tenant: unknown field"},
      {Route0("{prefix: /, backend: 'http://b', allow: {cn: [a]}}"),
       "routes[0].allow.tenants: required"},
      {Route0("{prefix: /, backend: 'http://b', allow_unverified: yes}"),
       "routes[0].allow_unverified: must be true or false"},
      {Minimal("admin_listen: 127.0.0.1:8443\n"), "admin_listen: must differ from listen"},
      {Minimal("limits: {max_request_header_bytes: -1}\n"),
       "limits.max_request_header_bytes: must be a whole number"},
      {Minimal("timeouts: {idle: 10}\n"), "timeouts.idle: must be a positive duration"},
      {Minimal("timeouts: {idle: 0s}\n"), "timeouts.idle: must be a positive duration"},
      {Minimal("listen: 127.0.0.1:1\n"), "listen: appears twice"},
      {Minimal("route: []\n"), "route: unknown field"},
      {"listen: [unclosed\n", "not valid YAML: line"},
      {"", "gateway config is empty"},
      {"- a\n- b\n", "config: must be a mapping"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ParseError(c.yaml).message(), HasSubstr(c.expected)) << c.yaml;
  }
}

TEST(GatewayConfig, AtMostSixteenHeadersAndEightKilobytes) {
  std::string sixteen = "headers:\n";
  for (int i = 0; i < 16; ++i) sixteen += "  X-H" + std::to_string(i) + ": v\n";
  EXPECT_TRUE(ParseGatewayConfig(Minimal(sixteen), "/").ok());
  EXPECT_THAT(ParseError(Minimal(sixteen + "  X-H16: v\n")).message(),
              HasSubstr("headers: 17 headers; at most 16"));
  std::string big = "headers:\n  X-Big: '" + std::string(size_t{8} * 1024, 'v') + "'\n";
  EXPECT_THAT(ParseError(Minimal(big)).message(), HasSubstr("headers: names and values total"));
}

TEST(GatewayConfig, LoadResolvesPathsAgainstTheFilesDirectory) {
  TempDir dir;
  WriteFile(dir.Join("conf/gateway.yaml"), kIssueExample);
  Result<GatewayConfig> r = LoadGatewayConfig(dir.Join("conf/gateway.yaml"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->tls.cert, dir.Join("conf/server.pem"));

  WriteFile(dir.Join("bad.yaml"), Replace("listen", "listen: nope"));
  Result<GatewayConfig> bad = LoadGatewayConfig(dir.Join("bad.yaml"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr(dir.Join("bad.yaml") + ": listen: "));

  Result<GatewayConfig> missing = LoadGatewayConfig(dir.Join("absent.yaml"));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().is(ErrorCode::kInvalidArgument));
}

TEST(GatewayConfig, RevocationSection) {
  Result<GatewayConfig> off = ParseGatewayConfig(Minimal(), "conf");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->revocation.enabled());

  Result<GatewayConfig> r = ParseGatewayConfig(
      Minimal("revocation:\n"
              "  mode: hard_fail\n"
              "  crls: [ca.crl, /abs/inter.crl, 'http://127.0.0.1:8888/crl']\n"
              "  ocsp: {enabled: true, timeout: 3s, responder: 'http://ocsp.internal:2560/'}\n"
              "  refresh: 5m\n"),
      "conf");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RevocationSettings& rev = r->revocation;
  EXPECT_EQ(rev.mode, RevocationMode::kHardFail);
  EXPECT_EQ(rev.crls, (std::vector<std::string>{"conf/ca.crl", "/abs/inter.crl",
                                                "http://127.0.0.1:8888/crl"}));
  EXPECT_TRUE(rev.ocsp);
  EXPECT_EQ(rev.ocsp_timeout_seconds, 3);
  EXPECT_EQ(rev.ocsp_responder, "http://ocsp.internal:2560/");
  EXPECT_EQ(rev.refresh_seconds, 300);

  // Defaults: soft_fail, OCSP at the leaf's AIA URL within 2 s, CRLs every minute.
  Result<GatewayConfig> d = ParseGatewayConfig(Minimal("revocation: {ocsp: {}}\n"), "");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->revocation.mode, RevocationMode::kSoftFail);
  EXPECT_TRUE(d->revocation.ocsp);
  EXPECT_EQ(d->revocation.ocsp_timeout_seconds, 2);
  EXPECT_EQ(d->revocation.ocsp_responder, "");
  EXPECT_EQ(d->revocation.refresh_seconds, 60);
}

TEST(GatewayConfig, RevocationErrorsNameTheField) {
  struct Case {
    std::string yaml, expected;
  };
  const Case cases[] = {
      {"revocation: {mode: fail_open, crls: [a.crl]}",
       "revocation.mode: must be soft_fail or hard_fail, not 'fail_open'"},
      {"revocation: {crls: [a.crl], ocps: {}}", "revocation.ocps: unknown field"},
      {"revocation: {crls: [a.crl], ocsp: {enabled: true, timout: 2s}}",
       "revocation.ocsp.timout: unknown field"},
      {"revocation: {crls: ['ftp://h/x.crl']}",
       "revocation.crls[0]: scheme 'ftp' is not http or https"},
      {"revocation: {crls: ['http://h/crl?x=1']}",
       "revocation.crls[0]: a backend URL has no query"},
      {"revocation: {ocsp: {responder: 'ocsp.internal'}}", "revocation.ocsp.responder: "},
      {"revocation: {crls: [a.crl], refresh: soon}",
       "revocation.refresh: must be a positive duration"},
      {"revocation: {ocsp: {timeout: 0s}}", "revocation.ocsp.timeout: must be a positive duration"},
      {"revocation: {ocsp: {timeout: 5m}}", "revocation.ocsp.timeout: at most 60s"},
      {"revocation: {ocsp: {enabled: maybe}}", "revocation.ocsp.enabled: must be true or false"},
      {"revocation: {crls: a.crl}", "revocation.crls: must be a list"},
      {"revocation: {mode: hard_fail}", "revocation: names no source"},
      {"revocation: {ocsp: {enabled: false}}", "revocation: names no source"},
  };
  for (const auto& c : cases) {
    Result<GatewayConfig> r = ParseGatewayConfig(Minimal(c.yaml + "\n"), "");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_TRUE(r.status().is(ErrorCode::kInvalidArgument)) << c.yaml;
    EXPECT_THAT(r.status().message(), HasSubstr(c.expected)) << c.yaml;
  }
}

TEST(HostPort, Forms) {
  auto hp = ParseHostPort("[::1]:8443");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 8443);
  EXPECT_TRUE(ParseHostPort("localhost:0").ok());
  EXPECT_FALSE(ParseHostPort("::1:8443").ok());  // IPv6 needs brackets
  EXPECT_FALSE(ParseHostPort(":8443").ok());
  EXPECT_FALSE(ParseHostPort("host:").ok());
  EXPECT_FALSE(ParseHostPort("host:80x").ok());
  EXPECT_FALSE(ParseHostPort("ho st:80").ok());
}

}  // namespace
}  // namespace trustplane::gateway
