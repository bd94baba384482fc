#include "trustplane/api/control_api.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "trustplane/api/auth_tokens.h"
#include "trustplane/api/rate_limiter.h"
#include "trustplane/store/fs_object_store.h"

namespace trustplane::api {
namespace {

using Json = nlohmann::json;
using testing::Issued;
using testing::MakeClientLeaf;
using testing::MakeRootCa;

Credential Bearer(const std::string& actor, Role role, const std::string& tenant, const std::string& token) {
  Credential c;
  c.actor = actor;
  c.role = role;
  c.tenant = tenant;
  c.token_sha256 = BearerTokenHash(token);
  return c;
}

class ControlApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(1000, 1000); }

  void Build(double rate, double burst) {
    api_.reset();
    auto opened = store::FsObjectStore::Open(dir_.Join("bucket"));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    bucket_ = std::move(opened).value();
    store_ = std::make_unique<trust::TrustStore>(*bucket_);
    audit_ = std::make_unique<audit::AuditLog>(*bucket_);
    lifecycle_ = std::make_unique<trust::TrustLifecycle>(*store_, *audit_, trust::OnboardingPolicy{});
    revisions_ = std::make_unique<trust::Revisions>(*store_, *lifecycle_, *audit_);
    Credential mtls;
    mtls.actor = "ops-mtls";
    mtls.role = Role::kOperator;
    mtls.subject_cn = "ops.example";
    auth_ = std::make_unique<Authenticator>(std::vector<Credential>{
        Bearer("ci-acme", Role::kTenant, "acme", "tok-acme"),
        Bearer("ci-globex", Role::kTenant, "globex", "tok-globex"),
        Bearer("ops", Role::kOperator, "", "tok-ops"), Bearer("auditor", Role::kViewer, "", "tok-viewer"), mtls});
    ControlApiOptions o;
    o.store = store_.get();
    o.lifecycle = lifecycle_.get();
    o.revisions = revisions_.get();
    o.audit = audit_.get();
    o.auth = auth_.get();
    o.trust_config_id = "tp-test";
    o.rate_per_second = rate;
    o.rate_burst = burst;
    auto api = ControlApi::Create(std::move(o));
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(api).value();
  }

  net::HttpResponse Call(const std::string& method, const std::string& target, const std::string& token,
                         const std::string& body = "", const std::string& content_type = "") {
    net::HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.remote_address = "127.0.0.1:40000";
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    if (!content_type.empty()) req.headers.emplace_back("content-type", content_type);
    return api_->Handle(req);
  }
  static Json Body(const net::HttpResponse& r) { return Json::parse(r.body); }
  static std::string ErrorCode(const net::HttpResponse& r) {
    Json j = Json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"]["code"].get<std::string>() : "";
  }
  std::vector<std::string> Listed(const std::string& target, const std::string& token) {
    auto r = Call("GET", target, token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const Json body = Body(r);
    for (const auto& c : body["certificates"]) out.push_back(c["sha256"].get<std::string>());
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::FsObjectStore> bucket_;
  std::unique_ptr<trust::TrustStore> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<trust::TrustLifecycle> lifecycle_;
  std::unique_ptr<trust::Revisions> revisions_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<ControlApi> api_;
};

TEST_F(ControlApiTest, RefusesMissingAndUnknownCredentialsWithStableCodes) {
  EXPECT_EQ(Call("GET", "/api/v1/health", "").status, 200);
  auto none = Call("GET", "/api/v1/certificates", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorCode(none), "unauthenticated");
  auto wrong = Call("GET", "/api/v1/certificates", "tok-acme-but-not-quite");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(ErrorCode(wrong), "unauthenticated");
  auto who = Call("GET", "/api/v1/whoami", "tok-globex");
  ASSERT_EQ(who.status, 200);
  EXPECT_EQ(Body(who)["actor"], "ci-globex");
  EXPECT_EQ(Body(who)["tenant"], "globex");
  EXPECT_EQ(ErrorCode(Call("GET", "/api/v1/nope", "tok-ops")), "not_found");
  auto method = Call("PUT", "/api/v1/tenants/acme/certificates", "tok-acme");
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(ErrorCode(method), "method_not_allowed");
}

TEST_F(ControlApiTest, TenantsSeeAndChangeOnlyTheirOwnCertificates) {
  Issued acme = MakeRootCa("acme root");
  Issued globex = MakeRootCa("globex root");
  auto up_a = Call("POST", "/api/v1/tenants/acme/certificates", "tok-acme", acme.cert_pem, "application/x-pem-file");
  ASSERT_EQ(up_a.status, 201) << up_a.body;
  EXPECT_EQ(Body(up_a)["certificates"][0]["result"], "added");
  auto up_g = Call("POST", "/api/v1/tenants/globex/certificates", "tok-globex",
                   Json{{"pem", globex.cert_pem}, {"as", "anchor"}}.dump(), "application/json");
  ASSERT_EQ(up_g.status, 201) << up_g.body;

  const std::string a_fp = acme.cert.sha256_hex(), g_fp = globex.cert.sha256_hex();
  EXPECT_EQ(Listed("/api/v1/tenants/acme/certificates", "tok-acme"), std::vector<std::string>{a_fp});
  EXPECT_EQ(Listed("/api/v1/tenants/globex/certificates", "tok-globex"), std::vector<std::string>{g_fp});

  // Another tenant's path: refused outright, with no data.
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/tenants/globex/certificates"},
           {"GET", "/api/v1/tenants/globex/certificates/" + g_fp},
           {"DELETE", "/api/v1/tenants/globex/certificates/" + g_fp},
           {"POST", "/api/v1/tenants/globex/certificates"},
           {"GET", "/api/v1/tenants/globex/audit"}}) {
    auto r = Call(method, target, "tok-acme", method == "POST" ? acme.cert_pem : "");
    EXPECT_EQ(r.status, 403) << method << " " << target;
    EXPECT_EQ(ErrorCode(r), "tenant_forbidden");
    EXPECT_EQ(r.body.find(g_fp), std::string::npos);
  }
  // Another tenant's certificate under its own path: not found, and untouched.
  EXPECT_EQ(Call("GET", "/api/v1/tenants/acme/certificates/" + g_fp, "tok-acme").status, 404);
  auto del = Call("DELETE", "/api/v1/tenants/acme/certificates/" + g_fp, "tok-acme");
  EXPECT_EQ(del.status, 404);
  EXPECT_EQ(del.body.find("globex"), std::string::npos) << del.body;
  EXPECT_TRUE(store_->Find(g_fp).ok());
  // The operator-wide views are closed to tenants.
  EXPECT_EQ(ErrorCode(Call("GET", "/api/v1/certificates", "tok-acme")), "forbidden");
  EXPECT_EQ(ErrorCode(Call("GET", "/api/v1/audit", "tok-acme")), "forbidden");
  EXPECT_EQ(ErrorCode(Call("POST", "/api/v1/trust-config/publish", "tok-acme")), "forbidden");

  // Each tenant's audit trail holds its own changes only.
  auto trail = Body(Call("GET", "/api/v1/tenants/acme/audit", "tok-acme"))["events"];
  ASSERT_EQ(trail.size(), 1u) << trail.dump();
  EXPECT_EQ(trail[0]["actor"], "ci-acme");
  EXPECT_EQ(trail[0]["fingerprints"][0], a_fp);

  auto own_del = Call("DELETE", "/api/v1/tenants/acme/certificates/" + a_fp + "?reason=rotated%20out", "tok-acme");
  ASSERT_EQ(own_del.status, 200) << own_del.body;
  EXPECT_TRUE(store_->Find(a_fp).status().is(ErrorCode::kNotFound));
  auto events = audit_->Read(1, 0);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->back().actor, "ci-acme");
  EXPECT_EQ(events->back().reason, "rotated out");
}

TEST_F(ControlApiTest, SharedCertificateShowsOnlyTheCallersClaimAndDeletesOnlyIt) {
  Issued shared = MakeRootCa("shared root");
  ASSERT_EQ(Call("POST", "/api/v1/tenants/acme/certificates", "tok-acme", shared.cert_pem).status, 201);
  ASSERT_EQ(Call("POST", "/api/v1/tenants/globex/certificates", "tok-globex", shared.cert_pem).status, 200);
  const std::string fp = shared.cert.sha256_hex();
  auto seen = Body(Call("GET", "/api/v1/tenants/globex/certificates/" + fp, "tok-globex"));
  EXPECT_EQ(seen["tenants"], Json::array({"globex"}));
  EXPECT_EQ(seen["added_by"], "");  // acme's actor stays hidden
  EXPECT_EQ(Body(Call("GET", "/api/v1/certificates/" + fp, "tok-ops"))["tenants"], Json::array({"acme", "globex"}));

  auto del = Call("DELETE", "/api/v1/tenants/globex/certificates/" + fp, "tok-globex");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_FALSE(Body(del).contains("remaining_tenants"));
  EXPECT_EQ(Listed("/api/v1/tenants/acme/certificates", "tok-acme"), std::vector<std::string>{fp});
  EXPECT_TRUE(Listed("/api/v1/tenants/globex/certificates", "tok-globex").empty());
}

TEST_F(ControlApiTest, RejectsBadAndRefusedUploadsWithoutWriting) {
  auto garbage = Call("POST", "/api/v1/tenants/acme/certificates", "tok-acme", "not a certificate");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(ErrorCode(garbage), "invalid_certificate");
  auto bad_json = Call("POST", "/api/v1/tenants/acme/certificates", "tok-acme", "{\"pem\": 3}");
  EXPECT_EQ(ErrorCode(bad_json), "invalid_request");
  // A leaf without "as": the onboarding policy refuses it, and says why.
  Issued root = MakeRootCa("leafy root");
  Issued leaf = MakeClientLeaf("leaf", root);
  auto refused = Call("POST", "/api/v1/tenants/acme/certificates", "tok-acme", testing::PemOf({root, leaf}));
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(ErrorCode(refused), "certificate_rejected");
  EXPECT_EQ(Body(refused)["error"]["certificates"].size(), 2u);
  EXPECT_TRUE(Listed("/api/v1/certificates", "tok-ops").empty());
  // As an allowlisted certificate it is welcome.
  auto ok = Call("POST", "/api/v1/tenants/acme/certificates", "tok-acme",
                 Json{{"pem", leaf.cert_pem}, {"as", "allowlisted"}}.dump());
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(Body(ok)["certificates"][0]["kind"], "allowlisted");
  auto viewer = Call("POST", "/api/v1/tenants/acme/certificates", "tok-viewer", root.cert_pem);
  EXPECT_EQ(viewer.status, 403);
  EXPECT_EQ(ErrorCode(viewer), "forbidden");
}

TEST_F(ControlApiTest, OperatorExportsPublishesAndRollsBackWithItsOwnActor) {
  Issued a = MakeRootCa("op a"), b = MakeRootCa("op b");
  ASSERT_EQ(Call("POST", "/api/v1/tenants/acme/certificates", "tok-acme", a.cert_pem).status, 201);
  auto pub1 = Call("POST", "/api/v1/trust-config/publish", "tok-ops");
  ASSERT_EQ(pub1.status, 201) << pub1.body;
  const std::string first = Body(pub1)["revision"];
  ASSERT_EQ(Call("POST", "/api/v1/tenants/globex/certificates", "tok-globex", b.cert_pem).status, 201);

  auto yaml = Call("GET", "/api/v1/trust-config?format=yaml", "tok-viewer");
  ASSERT_EQ(yaml.status, 200);
  EXPECT_EQ(yaml.content_type, "application/yaml");
  auto json = Call("GET", "/api/v1/trust-config?format=json", "tok-ops");
  ASSERT_EQ(json.status, 200) << json.body;
  EXPECT_EQ(Body(json)["trustStores"][0]["trustAnchors"].size(), 2u) << json.body;
  EXPECT_EQ(ErrorCode(Call("GET", "/api/v1/trust-config?format=xml", "tok-ops")), "invalid_request");
  EXPECT_EQ(ErrorCode(Call("POST", "/api/v1/trust-config/publish", "tok-viewer")), "forbidden");

  // The unpublished change is not yet effective; the earlier one is.
  auto trail = Body(Call("GET", "/api/v1/audit", "tok-viewer"))["events"];
  std::map<std::string, Json> effective;
  for (const auto& e : trail) {
    if (e.contains("effective_at")) effective[e["actor"]] = e["effective_at"];
  }
  EXPECT_TRUE(effective["ci-acme"].is_string());
  EXPECT_TRUE(effective["ci-globex"].is_null());

  EXPECT_EQ(ErrorCode(Call("POST", "/api/v1/trust-config/rollback", "tok-ops", "{\"revision\": \"x\"}")),
            "invalid_request");
  auto rb = Call("POST", "/api/v1/trust-config/rollback", "tok-ops",
                 Json{{"revision", first}, {"reason", "globex onboarding broke clients"}}.dump());
  ASSERT_EQ(rb.status, 200) << rb.body;
  EXPECT_EQ(Body(rb)["revision"], first);
  EXPECT_EQ(Body(rb)["removed"], Json::array({b.cert.sha256_hex()}));
  auto history = Body(Call("GET", "/api/v1/trust-config/history", "tok-viewer"))["revisions"];
  ASSERT_GE(history.size(), 1u);
  EXPECT_EQ(history[0]["revision"], first);
  auto events = audit_->Read(1, 0);
  ASSERT_TRUE(events.ok());
  for (const auto& e : *events) {
    if (e.action.rfind("trustconfig.", 0) == 0) {
      EXPECT_EQ(e.actor, "ops") << e.action;
    }
  }
}

TEST_F(ControlApiTest, MutualTlsSubjectMapsToItsActor) {
  net::HttpRequest req;
  req.method = "GET";
  req.target = "/api/v1/whoami";
  req.client_subject = "CN=ops.example,O=Example Ops";
  auto r = api_->Handle(req);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["actor"], "ops-mtls");
  req.client_subject = "CN=stranger,O=Example Ops";
  EXPECT_EQ(api_->Handle(req).status, 401);
}

TEST_F(ControlApiTest, RateLimitsEachActorWithRetryAfter) {
  Build(0.001, 2);
  EXPECT_EQ(Call("GET", "/api/v1/whoami", "tok-acme").status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/whoami", "tok-acme").status, 200);
  auto limited = Call("GET", "/api/v1/whoami", "tok-acme");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  bool retry_after = false;
  for (const auto& [k, v] : limited.headers) retry_after = retry_after || (k == "Retry-After" && std::stoi(v) >= 1);
  EXPECT_TRUE(retry_after);
  // Another actor has its own bucket.
  EXPECT_EQ(Call("GET", "/api/v1/whoami", "tok-globex").status, 200);
}

TEST(RateLimiterTest, RefillsOverTime) {
  RateLimiter limiter(2, 1);
  const auto t0 = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(limiter.Take("a", t0).allowed);
  auto refused = limiter.Take("a", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_TRUE(limiter.Take("a", t0 + std::chrono::milliseconds(600)).allowed);
}

TEST(CredentialsTest, RoundTripsAndRefusesInconsistentEntries) {
  std::vector<Credential> creds = {Bearer("ci", Role::kTenant, "acme", "t1")};
  Credential m;
  m.actor = "gw";
  m.role = Role::kAdmin;
  m.subject_cn = "admin.example";
  creds.push_back(m);
  auto parsed = ParseCredentials(RenderCredentials(creds));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].tenant, "acme");
  EXPECT_EQ((*parsed)[1].subject_cn, "admin.example");

  Credential no_tenant = Bearer("x", Role::kTenant, "", "t");
  EXPECT_FALSE(ValidateCredential(no_tenant).ok());
  Credential op_with_tenant = Bearer("x", Role::kOperator, "acme", "t");
  EXPECT_FALSE(ValidateCredential(op_with_tenant).ok());
  Credential both = Bearer("x", Role::kViewer, "", "t");
  both.subject_cn = "cn";
  EXPECT_FALSE(ValidateCredential(both).ok());
  EXPECT_FALSE(ValidateTenantName("Acme").ok());
  EXPECT_FALSE(ValidateTenantName("../x").ok());
  EXPECT_EQ(SubjectCommonName("O=A\\, Inc.,CN=x\\,y"), "x,y");

  testing::TempDir dir;
  const std::string path = dir.Join("api-tokens.yaml");
  ASSERT_TRUE(SaveCredentialsFile(path, creds).ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Authenticator auth(path);
  auto who = auth.FromBearerToken("t1");
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->tenant, "acme");
  // A credential added while running is picked up.
  creds.push_back(Bearer("late", Role::kViewer, "", "t2-longer"));
  ASSERT_TRUE(SaveCredentialsFile(path, creds).ok());
  EXPECT_TRUE(auth.FromBearerToken("t2-longer").ok());
  EXPECT_FALSE(auth.FromBearerToken("t3").ok());
}

}  // namespace
}  // namespace trustplane::api
