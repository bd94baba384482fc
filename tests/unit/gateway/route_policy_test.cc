#include "trustplane/gateway/route_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "support/test_pki.h"

namespace trustplane::gateway {
namespace {

using ::testing::HasSubstr;
using trustplane::testing::CertSpec;
using trustplane::testing::Issued;
using trustplane::testing::MakeIssued;
using trustplane::testing::MakeRootCa;

Route MakeRoute(std::string prefix, std::string backend, AllowRule allow) {
  Route r;
  r.prefix = std::move(prefix);
  r.backend = std::move(backend);
  r.allow = std::move(allow);
  return r;
}

RoutePolicy MustCreate(std::vector<Route> routes) {
  Result<RoutePolicy> p = RoutePolicy::Create(std::move(routes));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : RoutePolicy();
}

Status CreateError(std::vector<Route> routes) {
  Result<RoutePolicy> p = RoutePolicy::Create(std::move(routes));
  EXPECT_FALSE(p.ok());
  EXPECT_TRUE(p.status().is(ErrorCode::kInvalidArgument));
  return p.status();
}

class RoutePolicyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { root_.emplace(MakeRootCa("Route Root")); }
  static void TearDownTestSuite() { root_.reset(); }

  static x509::Certificate Leaf(const std::string& cn, std::vector<std::string> dns = {},
                                std::vector<std::string> uri = {}, std::vector<std::string> ip = {},
                                std::vector<std::string> email = {}) {
    CertSpec spec;
    spec.cn = cn;
    spec.eku = {"clientAuth"};
    spec.dns = std::move(dns);
    spec.uri = std::move(uri);
    spec.ip = std::move(ip);
    spec.email = std::move(email);
    return MakeIssued(spec, *root_).cert;
  }

  // A verified client whose chain was vouched for by `tenants`.
  static ClientIdentity Client(const x509::Certificate& leaf, std::vector<std::string> tenants) {
    return ClientIdentity{true, &leaf, std::move(tenants)};
  }

  static inline std::optional<Issued> root_;
};

TEST_F(RoutePolicyTest, TenantBCertificateNeverReachesTenantARoute) {
  RoutePolicy p = MustCreate({
      MakeRoute("/a", "http://a", AllowRule{{"tenant-a"}, {"alice"}, {}, {}}),
      MakeRoute("/b", "http://b", AllowRule{{"tenant-b"}, {"alice"}, {}, {}}),
  });
  // Both tenants' CAs are trusted and both issued a cert for CN=alice.
  x509::Certificate alice = Leaf("alice");
  RouteDecision a_on_a = p.Authorize("/a/x", Client(alice, {"tenant-a"}));
  EXPECT_TRUE(a_on_a.allowed);
  EXPECT_EQ(a_on_a.route->backend, "http://a");

  RouteDecision b_on_a = p.Authorize("/a/x", Client(alice, {"tenant-b"}));
  EXPECT_FALSE(b_on_a.allowed);
  EXPECT_EQ(b_on_a.deny_reason, "tenant_not_allowed");
  EXPECT_EQ(b_on_a.route->backend, "http://a");

  EXPECT_TRUE(p.Authorize("/b", Client(alice, {"tenant-b"})).allowed);
  // An operator CA (no tenant) is not any particular tenant.
  EXPECT_EQ(p.Authorize("/a", Client(alice, {})).deny_reason, "tenant_not_allowed");
  // A CA both tenants claimed vouches for both.
  EXPECT_TRUE(p.Authorize("/a", Client(alice, {"tenant-b", "tenant-a"})).allowed);
}

TEST_F(RoutePolicyTest, StarTenantAcceptsAnyVouchingCaIncludingOperators) {
  RoutePolicy p = MustCreate({MakeRoute("/", "http://any", AllowRule{{"*"}, {}, {}, {}})});
  x509::Certificate c = Leaf("whoever");
  EXPECT_TRUE(p.Authorize("/x", Client(c, {})).allowed);
  EXPECT_TRUE(p.Authorize("/x", Client(c, {"t"})).allowed);
}

TEST_F(RoutePolicyTest, LongestPrefixWinsWithoutFallback) {
  RoutePolicy p = MustCreate({
      MakeRoute("/", "http://root", AllowRule{{"*"}, {}, {}, {}}),
      MakeRoute("/api", "http://api", AllowRule{{"acme"}, {"svc-*"}, {}, {}}),
      MakeRoute("/api/admin/", "http://admin", AllowRule{{"acme"}, {"admin"}, {}, {}}),
  });
  x509::Certificate svc = Leaf("svc-payments");
  ClientIdentity c = Client(svc, {"acme"});
  EXPECT_EQ(p.Authorize("/api", c).route->backend, "http://api");
  EXPECT_EQ(p.Authorize("/api/v1/x?q=/api/admin/", c).route->backend, "http://api");
  // Segment boundaries: "/apiary" is not under "/api".
  EXPECT_EQ(p.Authorize("/apiary", c).route->backend, "http://root");
  // "/api/admin/" ends in '/', so "/api/admin" itself stays with "/api".
  EXPECT_EQ(p.Authorize("/api/admin", c).route->backend, "http://api");

  RouteDecision admin = p.Authorize("/api/admin/users", c);
  EXPECT_EQ(admin.route->backend, "http://admin");
  EXPECT_FALSE(admin.allowed);  // the longest prefix denies; "/api" is not tried
  EXPECT_EQ(admin.deny_reason, "identity_not_allowed");
}

TEST_F(RoutePolicyTest, NoMatchingRoute) {
  RoutePolicy p = MustCreate({MakeRoute("/api", "http://api", AllowRule{{"*"}, {}, {}, {}})});
  x509::Certificate c = Leaf("x");
  RouteDecision d = p.Authorize("/other", Client(c, {"t"}));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.route, nullptr);
  EXPECT_EQ(d.deny_reason, "no_route");
}

TEST_F(RoutePolicyTest, PathsABackendWouldNormalizeElsewhereAreRefused) {
  RoutePolicy p = MustCreate({
      MakeRoute("/", "http://open", AllowRule{{"*"}, {}, {}, {}}),
      MakeRoute("/tenant-a", "http://a", AllowRule{{"tenant-a"}, {}, {}, {}}),
  });
  x509::Certificate c = Leaf("b-user");
  ClientIdentity b = Client(c, {"tenant-b"});
  for (const char* path :
       {"/x/../tenant-a/secret", "/x/%2e%2e/tenant-a", "/x/%2E./tenant-a", "//tenant-a/secret",
        "/x/./tenant-a", "/tenant-a%2fsecret", "/x\\..\\tenant-a", "relative", ""}) {
    RouteDecision d = p.Authorize(path, b);
    EXPECT_FALSE(d.allowed) << path;
    EXPECT_EQ(d.deny_reason, "invalid_path") << path;
  }
  EXPECT_TRUE(p.Authorize("/x/", b).allowed);
  EXPECT_TRUE(p.Authorize("/x/a.b/..c", b).allowed);  // dots inside names are fine
}

TEST_F(RoutePolicyTest, UnverifiedOrMissingCertificateIsDenied) {
  RoutePolicy p = MustCreate({MakeRoute("/", "http://x", AllowRule{{"*"}, {}, {}, {}})});
  x509::Certificate c = Leaf("x");
  EXPECT_EQ(p.Authorize("/", ClientIdentity{false, nullptr, {}}).deny_reason, "no_client_cert");
  EXPECT_EQ(p.Authorize("/", ClientIdentity{false, &c, {"t"}}).deny_reason,
            "client_cert_not_verified");
}

TEST_F(RoutePolicyTest, AllowUnverifiedRouteLeavesTheDecisionToTheBackend) {
  Route open;
  open.prefix = "/public";
  open.backend = "http://public";
  open.allow_unverified = true;
  RoutePolicy p = MustCreate({open});
  EXPECT_TRUE(p.Authorize("/public/x", ClientIdentity{false, nullptr, {}}).allowed);
}

TEST_F(RoutePolicyTest, CnGlobs) {
  RoutePolicy p = MustCreate(
      {MakeRoute("/", "http://x", AllowRule{{"acme"}, {"alice", "svc-*", "job-??"}, {}, {}})});
  auto allowed = [&](const std::string& cn) {
    x509::Certificate c = Leaf(cn);
    return p.Authorize("/", Client(c, {"acme"})).allowed;
  };
  EXPECT_TRUE(allowed("alice"));
  EXPECT_TRUE(allowed("svc-"));
  EXPECT_TRUE(allowed("svc-payments"));
  EXPECT_TRUE(allowed("job-42"));
  EXPECT_FALSE(allowed("job-421"));
  EXPECT_FALSE(allowed("Alice"));  // CNs compare exactly
  EXPECT_FALSE(allowed("alice2"));
  EXPECT_FALSE(allowed("xsvc-payments"));
}

TEST_F(RoutePolicyTest, SanPatternsByType) {
  RoutePolicy p =
      MustCreate({MakeRoute("/", "http://x",
                            AllowRule{{"acme"},
                                      {},
                                      {"*.svc.example.com", "uri:https://id.example.com/*",
                                       "email:*@ops.example.com", "ip:0:0::1"},
                                      {}})});
  auto allowed = [&](const x509::Certificate& c) {
    return p.Authorize("/", Client(c, {"acme"})).allowed;
  };
  EXPECT_TRUE(allowed(Leaf("n", {"pay.svc.example.com"})));
  EXPECT_TRUE(allowed(Leaf("n", {"PAY.Svc.Example.com"})));     // DNS is case-insensitive
  EXPECT_FALSE(allowed(Leaf("n", {"a.pay.svc.example.com"})));  // '*' is one label
  EXPECT_FALSE(allowed(Leaf("n", {"svc.example.com"})));
  EXPECT_TRUE(allowed(Leaf("n", {}, {"https://id.example.com/x/y"})));
  EXPECT_FALSE(allowed(Leaf("n", {}, {"https://evil.example.com/x"})));
  EXPECT_TRUE(allowed(Leaf("n", {}, {}, {}, {"me@ops.example.com"})));
  EXPECT_TRUE(allowed(Leaf("n", {}, {}, {"::1"})));
  EXPECT_FALSE(allowed(Leaf("n", {}, {}, {"127.0.0.1"})));
  // A DNS pattern does not match a URI that happens to contain the name.
  EXPECT_FALSE(allowed(Leaf("n", {}, {"https://pay.svc.example.com"})));
}

TEST_F(RoutePolicyTest, SpiffeExactAndPrefix) {
  RoutePolicy p = MustCreate({MakeRoute(
      "/", "http://x",
      AllowRule{
          {"acme"}, {}, {}, {"spiffe://acme.org/ns/prod/sa/api", "spiffe://acme.org/ns/jobs/*"}})});
  auto allowed = [&](const std::string& id) {
    x509::Certificate c = Leaf("n", {}, {id});
    return p.Authorize("/", Client(c, {"acme"})).allowed;
  };
  EXPECT_TRUE(allowed("spiffe://acme.org/ns/prod/sa/api"));
  EXPECT_FALSE(allowed("spiffe://acme.org/ns/prod/sa/api2"));
  EXPECT_FALSE(allowed("spiffe://acme.org/ns/prod/sa/api/x"));
  EXPECT_TRUE(allowed("spiffe://acme.org/ns/jobs/a"));
  EXPECT_TRUE(allowed("spiffe://acme.org/ns/jobs/a/b"));
  EXPECT_FALSE(allowed("spiffe://acme.org/ns/jobs"));
  EXPECT_FALSE(allowed("spiffe://acme.org/ns/jobsx/a"));
  EXPECT_FALSE(allowed("spiffe://evil.org/ns/jobs/a"));
}

TEST_F(RoutePolicyTest, IdentityKindsAreAlternativesButTenantIsAlwaysRequired) {
  RoutePolicy p = MustCreate({MakeRoute(
      "/", "http://x", AllowRule{{"acme"}, {"alice"}, {}, {"spiffe://acme.org/ns/jobs/*"}})});
  x509::Certificate alice = Leaf("alice");
  x509::Certificate job = Leaf("job", {}, {"spiffe://acme.org/ns/jobs/nightly"});
  x509::Certificate other = Leaf("bob", {}, {"spiffe://acme.org/ns/web/x"});
  EXPECT_TRUE(p.Authorize("/", Client(alice, {"acme"})).allowed);
  EXPECT_TRUE(p.Authorize("/", Client(job, {"acme"})).allowed);
  EXPECT_EQ(p.Authorize("/", Client(other, {"acme"})).deny_reason, "identity_not_allowed");
  EXPECT_EQ(p.Authorize("/", Client(job, {"other"})).deny_reason, "tenant_not_allowed");
}

TEST_F(RoutePolicyTest, InvalidRulesNameTheirField) {
  EXPECT_THAT(CreateError({MakeRoute("/", "http://x", AllowRule{})}).message(),
              HasSubstr("routes[0].allow.tenants: required"));
  EXPECT_THAT(CreateError({MakeRoute("api", "http://x", AllowRule{{"*"}, {}, {}, {}})}).message(),
              HasSubstr("routes[0].prefix: must start with '/'"));
  EXPECT_THAT(
      CreateError({MakeRoute("/a/../b", "http://x", AllowRule{{"*"}, {}, {}, {}})}).message(),
      HasSubstr("routes[0].prefix"));
  EXPECT_THAT(CreateError({MakeRoute("/a", "http://x", AllowRule{{"*"}, {}, {}, {}}),
                           MakeRoute("/a", "http://y", AllowRule{{"*"}, {}, {}, {}})})
                  .message(),
              HasSubstr("routes[1].prefix: '/a' is already the prefix of routes[0]"));
  EXPECT_THAT(
      CreateError({MakeRoute("/", "http://x", AllowRule{{"*"}, {}, {"dns:a", "url:b"}, {}})})
          .message(),
      HasSubstr("routes[0].allow.san[1]: unknown SAN type 'url'"));
  EXPECT_THAT(CreateError({MakeRoute("/", "http://x", AllowRule{{"*"}, {}, {"ip:not-an-ip"}, {}})})
                  .message(),
              HasSubstr("routes[0].allow.san[0]"));
  EXPECT_THAT(
      CreateError({MakeRoute("/", "http://x", AllowRule{{"*"}, {}, {}, {"spiffe://acme.org/a*"}})})
          .message(),
      HasSubstr("routes[0].allow.spiffe[0]"));
  EXPECT_THAT(
      CreateError({MakeRoute("/", "http://x", AllowRule{{"acme", ""}, {}, {}, {}})}).message(),
      HasSubstr("routes[0].allow.tenants[1]: empty tenant name"));
  Route both = MakeRoute("/", "http://x", AllowRule{{"acme"}, {}, {}, {}});
  both.allow_unverified = true;
  EXPECT_THAT(CreateError({both}).message(), HasSubstr("routes[0].allow: must be empty"));
}

}  // namespace
}  // namespace trustplane::gateway
