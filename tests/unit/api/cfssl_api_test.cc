// CfsslApi as cfssl's clients see it: envelopes, HTTP statuses, error codes,
// authentication on every issuing endpoint, replay protection, certdb
// recording, revocation and CRLs.
#include "trustplane/api/cfssl_api.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "trustplane/api/remote_certificate.h"
#include "trustplane/base/digest.h"
#include "trustplane/base/encoding.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/auth_key.h"
#include "trustplane/pki/certificate_request.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/ocsp_responder.h"
#include "trustplane/pki/pem.h"
#include "trustplane/pki/signing_config.h"
#include "trustplane/store/database.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::api {
namespace {

using Json = nlohmann::json;

constexpr char kAuthKeyHex[] = "0123456789ABCDEF0123456789ABCDEF";

constexpr char kConfig[] = R"({
  "signing": {
    "default": {"expiry": "168h", "usages": ["signing", "key encipherment", "server auth", "client auth"]},
    "profiles": {
      "client": {"usages": ["signing", "key encipherment", "client auth"], "expiry": "8760h"},
      "authed": {"usages": ["signing", "client auth"], "expiry": "720h", "auth_key": "key1"},
      "narrow": {"usages": ["client auth"], "expiry": "1h", "name_whitelist": "[a-z]+\\.example\\.com"}
    }
  },
  "auth_keys": {"key1": {"type": "standard", "key": "0123456789ABCDEF0123456789ABCDEF"}}
})";

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

struct Ca {
  x509::Certificate cert;
  pki::PrivateKey key;
};

Ca MakeCa() {
  auto req = pki::ParseCertificateRequest(R"({"CN": "api test CA", "ca": {"expiry": "87600h"}})");
  auto key = pki::PrivateKey::Generate(req->key);
  auto csr = pki::Csr::Generate(*req, *key);
  auto signed_ca = pki::SelfSign(*csr, *key, pki::SigningProfile::ForCa(*req->ca));
  EXPECT_TRUE(signed_ca.ok()) << signed_ca.status().ToString();
  return {*x509::Certificate::FromDer(signed_ca->der), *key};
}

std::string CsrPem(const std::string& csr_json) {
  auto req = pki::ParseCertificateRequest(csr_json);
  EXPECT_TRUE(req.ok()) << req.status().ToString();
  auto key = pki::PrivateKey::Generate(req->key);
  return pki::Csr::Generate(*req, *key)->ToPem();
}

Result<pki::CertificateRecord> Record(pki::CertDb& db, const pki::SignedCertificate& cert, const std::string& label) {
  pki::CertificateRecord rec;
  rec.serial_number = cert.serial_decimal();
  rec.authority_key_identifier = cert.authority_key_id;
  rec.ca_label = label;
  rec.expiry = cert.not_after;
  rec.pem = cert.ToPem();
  rec.issued_at = NowUnix();
  rec.not_before = cert.not_before;
  rec.common_name = cert.common_name;
  TP_RETURN_IF_ERROR(db.InsertCertificate(rec));
  return rec;
}

class CfsslApiTest : public ::testing::Test {
 protected:
  CfsslApiTest() : ca_(MakeCa()) {}

  void SetUp() override { Build(0); }

  // with_ocsp: an OCSP responder (the CA itself) on its own certdb connection.
  void Build(int64_t replay_window, const std::string& config_json = kConfig, bool with_ocsp = false) {
    api_.reset();
    ocsp_certdb_.reset();
    ocsp_database_.reset();
    certdb_.reset();
    database_.reset();
    const std::string db_url = "sqlite://" + dir_.Join("certs-" + std::to_string(++generation_) + ".db");
    auto database = store::OpenDatabase(db_url);
    ASSERT_TRUE(database.ok()) << database.status().ToString();
    database_ = std::move(database).value();
    auto certdb = pki::CertDb::Open(*database_);
    ASSERT_TRUE(certdb.ok());
    certdb_ = std::make_unique<pki::CertDb>(std::move(certdb).value());
    std::optional<pki::OcspResponder> ocsp;
    if (with_ocsp) {
      auto ocsp_database = store::OpenDatabase(db_url);
      ASSERT_TRUE(ocsp_database.ok()) << ocsp_database.status().ToString();
      ocsp_database_ = std::move(ocsp_database).value();
      auto ocsp_certdb = pki::CertDb::Open(*ocsp_database_);
      ASSERT_TRUE(ocsp_certdb.ok());
      ocsp_certdb_ = std::make_unique<pki::CertDb>(std::move(ocsp_certdb).value());
      auto responder = pki::OcspResponder::Create(ca_.cert, ca_.cert, ca_.key, ocsp_certdb_.get());
      ASSERT_TRUE(responder.ok()) << responder.status().ToString();
      ocsp = std::move(responder).value();
    }
    auto config = pki::ParseSigningConfig(config_json);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto signer = pki::Signer::Create(ca_.cert, ca_.key, *config);
    ASSERT_TRUE(signer.ok()) << signer.status().ToString();
    CfsslApiOptions o;
    o.signer = *signer;
    o.ca_key = ca_.key;
    o.certdb = certdb_.get();
    o.record_issued = Record;
    o.replay_window_seconds = replay_window;
    o.ocsp = std::move(ocsp);
    auto api = CfsslApi::Create(std::move(o));
    ASSERT_TRUE(api.ok()) << api.status().ToString();
    api_ = std::move(api).value();
  }

  net::HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "") {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    return api_->Handle(r);
  }
  // POSTs to /api/v1/cfssl/<endpoint>; returns the parsed envelope, checks the HTTP status.
  Json Post(const std::string& endpoint, const std::string& body, int expected_status = 200) {
    auto r = Call("POST", "/api/v1/cfssl/" + endpoint, body);
    EXPECT_EQ(r.status, expected_status) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return Json::parse(r.body);
  }
  static void ExpectError(const Json& env, int code, const std::string& fragment) {
    EXPECT_FALSE(env["success"].get<bool>()) << env.dump();
    EXPECT_TRUE(env["result"].is_null());
    ASSERT_EQ(env["errors"].size(), 1u) << env.dump();
    EXPECT_EQ(env["errors"][0]["code"], code) << env.dump();
    EXPECT_NE(env["errors"][0]["message"].get<std::string>().find(fragment), std::string::npos) << env.dump();
    EXPECT_TRUE(env["messages"].is_array());
  }
  static x509::Certificate CertOf(const Json& env) {
    EXPECT_TRUE(env["success"].get<bool>()) << env.dump();
    auto bundle = x509::ParseBundle(env["result"]["certificate"].get<std::string>());
    EXPECT_TRUE(bundle.ok()) << env.dump();
    return bundle->certificates.front();
  }
  // An authsign body as cfssl's client builds it.
  static std::string AuthBody(const std::string& request, const std::string& key_hex = kAuthKeyHex) {
    const std::string key = *HexDecode(key_hex);
    return Json{{"token", Base64Encode(pki::StandardAuthToken(key, request))},
                {"request", Base64Encode(request)}}
        .dump();
  }

  testing::TempDir dir_;
  Ca ca_;
  int generation_ = 0;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<pki::CertDb> certdb_;
  std::unique_ptr<store::Database> ocsp_database_;
  std::unique_ptr<pki::CertDb> ocsp_certdb_;
  std::unique_ptr<CfsslApi> api_;
};

TEST_F(CfsslApiTest, SignIssuesRecordsAndAnswersInCfsslsEnvelope) {
  const std::string csr = CsrPem(R"({"CN": "svc-a", "hosts": ["a.example.com"]})");
  Json env = Post("sign", Json{{"certificate_request", csr}, {"profile", "client"}, {"label", "primary"}}.dump());
  EXPECT_EQ(env["errors"], Json::array());
  EXPECT_EQ(env["messages"], Json::array());
  auto cert = CertOf(env);
  EXPECT_EQ(cert.common_name(), "svc-a");
  EXPECT_EQ(cert.sans().dns, std::vector<std::string>{"a.example.com"});
  EXPECT_TRUE(cert.IsSignedBy(ca_.cert));
  EXPECT_TRUE(cert.extended_key_usage().Has("clientAuth"));
  auto rec = certdb_->GetCertificate(cert.serial_decimal(), ca_.cert.subject_key_id());
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->ca_label, "primary");
  EXPECT_EQ(rec->status, "good");

  // cfssl's "hostname" replaces the CSR's SANs.
  auto replaced = CertOf(Post("sign", Json{{"certificate_request", csr}, {"hostname", "b.example.com,10.0.0.7"}}.dump()));
  EXPECT_EQ(replaced.sans().dns, std::vector<std::string>{"b.example.com"});
  EXPECT_EQ(replaced.sans().ip, std::vector<std::string>{"10.0.0.7"});
}

TEST_F(CfsslApiTest, RefusesBadInputWithSpecificCfsslErrors) {
  const std::string csr = CsrPem(R"({"CN": "svc-a"})");
  ExpectError(Post("sign", "{not json", 400), 400, "Unable to parse sign request");
  ExpectError(Post("sign", "[1,2]", 400), 400, "must be a JSON object");
  ExpectError(Post("sign", R"({"profile": "client"})", 400), 400, "missing parameter 'certificate_request'");
  ExpectError(Post("sign", Json{{"certificate_request", csr}, {"profile", "nope"}}.dump(), 400), 5400,
              "unknown signing profile 'nope'");
  ExpectError(Post("sign", Json{{"certificate_request", "hello"}}.dump(), 400), 9002, "");
  std::string broken = csr;
  broken[broken.size() / 2] = broken[broken.size() / 2] == 'A' ? 'B' : 'A';
  ExpectError(Post("sign", Json{{"certificate_request", broken}}.dump(), 400), 9003, "");
  ExpectError(Post("sign", Json{{"certificate_request", csr}, {"profile", "narrow"}}.dump(), 400), 5500,
              "name_whitelist");
  ExpectError(Post("sign", Json{{"certificate_request", csr}, {"extensions", {{{"id", "1.2.3"}}}}}.dump(), 400), 400,
              "'extensions' is not supported");
  ExpectError(Post("sign", Json{{"certificate_request", csr}, {"hosts", "a.example.com"}}.dump(), 400), 400,
              "'hosts' must be a list");

  auto wrong_method = Call("GET", "/api/v1/cfssl/sign");
  EXPECT_EQ(wrong_method.status, 405);
  ExpectError(Json::parse(wrong_method.body), 405, "Method is not allowed:\"GET\"");
  auto unknown = Call("POST", "/api/v1/cfssl/scan");
  EXPECT_EQ(unknown.status, 404);
  ExpectError(Json::parse(unknown.body), 404, "'scan' is not available");

  auto too_big = CfsslApi::ServerError(413, "request body is larger than the limit of 10 bytes");
  EXPECT_EQ(too_big.status, 413);
  ExpectError(Json::parse(too_big.body), 413, "limit of 10 bytes");
}

TEST_F(CfsslApiTest, AuthKeyProfilesNeedAValidTokenOnEveryIssuingEndpoint) {
  const std::string csr = CsrPem(R"({"CN": "svc-auth"})");
  const std::string request = Json{{"certificate_request", csr}, {"profile", "authed"}, {"label", ""}}.dump();
  // sign refuses the profile; authsign needs the token over the exact request bytes.
  ExpectError(Post("sign", request, 400), 400, "authentication required");
  auto cert = CertOf(Post("authsign", AuthBody(request)));
  EXPECT_EQ(cert.common_name(), "svc-auth");
  EXPECT_TRUE(certdb_->GetCertificate(cert.serial_decimal(), ca_.cert.subject_key_id()).ok());

  ExpectError(Post("authsign", AuthBody(request, "00112233445566778899AABBCCDDEEFF"), 400), 400, "invalid token");
  Json tampered = Json::parse(AuthBody(request));
  tampered["request"] = Base64Encode(request + " ");
  ExpectError(Post("authsign", tampered.dump(), 400), 400, "invalid token");
  Json as_object = Json::parse(AuthBody(request));
  as_object["request"] = Json::parse(request);  // cfssl issue #854's mistake
  ExpectError(Post("authsign", as_object.dump(), 400), 400, "base64 of the exact JSON sign request");
  const std::string unauthed = Json{{"certificate_request", csr}, {"profile", "client"}}.dump();
  ExpectError(Post("authsign", AuthBody(unauthed), 400), 400, "no authentication provider");

  // newcert: cfssl skips authentication here; trustplane does not.
  const Json newcert = {{"request", {{"CN", "gen-auth"}, {"hosts", {"gen.example.com"}}}}, {"profile", "authed"}};
  ExpectError(Post("newcert", newcert.dump(), 400), 400, "authentication required");
  ExpectError(Post("newcert", AuthBody(newcert.dump(), "00112233445566778899AABBCCDDEEFF"), 400), 400,
              "invalid token");
  Json generated = Post("newcert", AuthBody(newcert.dump()));
  EXPECT_EQ(CertOf(generated).common_name(), "gen-auth");
  EXPECT_NE(generated["result"]["private_key"].get<std::string>().find("PRIVATE KEY"), std::string::npos);
}

TEST_F(CfsslApiTest, ReplayProtectionAcceptsAFreshSignedTimestampOnce) {
  Build(300);
  const std::string csr = CsrPem(R"({"CN": "svc-replay"})");
  const std::string no_ts = Json{{"certificate_request", csr}, {"profile", "authed"}}.dump();
  ExpectError(Post("authsign", AuthBody(no_ts), 400), 400, "needs a \"timestamp\"");
  const std::string fresh =
      Json{{"certificate_request", csr}, {"profile", "authed"}, {"timestamp", NowUnix()}}.dump();
  CertOf(Post("authsign", AuthBody(fresh)));
  ExpectError(Post("authsign", AuthBody(fresh), 400), 400, "replayed request");
  const std::string stale =
      Json{{"certificate_request", csr}, {"profile", "authed"}, {"timestamp", NowUnix() - 3600}}.dump();
  ExpectError(Post("authsign", AuthBody(stale), 400), 400, "outside the window of 300s");
}

TEST_F(CfsslApiTest, NewKeyNewCertAndInfoAnswerWhatCfsslClientsRead) {
  Json key = Post("newkey", R"({"CN": "k", "hosts": ["k.example.com"], "key": {"algo": "ecdsa", "size": 384}})");
  ASSERT_TRUE(key["success"].get<bool>()) << key.dump();
  auto csr = pki::Csr::FromPem(key["result"]["certificate_request"].get<std::string>());
  ASSERT_TRUE(csr.ok());
  EXPECT_EQ(csr->public_key().curve, "P-384");
  EXPECT_EQ(key["result"]["sums"]["certificate_request"]["sha-256"], Upper(HexEncode(Sha256(csr->der()))));
  ExpectError(Post("newkey", R"({"CN": "k", "ca": {"expiry": "1h"}})", 400), 400, "ca section only permitted");
  ExpectError(Post("newkey", R"({"CN": "k", "key": {"algo": "rsa", "size": 1024}})", 400), 400, "1024");

  Json cert = Post("newcert", R"({"request": {"CN": "n", "hosts": ["n.example.com"]}, "profile": "client"})");
  EXPECT_EQ(CertOf(cert).common_name(), "n");
  EXPECT_TRUE(cert["result"]["sums"]["certificate"].contains("sha-1"));
  ExpectError(Post("newcert", R"({"profile": "client"})", 400), 400, "missing request section");

  Json info = Post("info", R"({"profile": "client"})");
  EXPECT_EQ(info["result"]["certificate"], ca_.cert.ToPem());
  EXPECT_EQ(info["result"]["expiry"], "8760h0m0s");
  EXPECT_EQ(info["result"]["usages"], (Json{"signing", "key encipherment", "client auth"}));
  ExpectError(Post("info", R"({"profile": "x"})", 400), 5400, "unknown signing profile");

  auto health = Call("GET", "/api/v1/cfssl/health");
  EXPECT_EQ(Json::parse(health.body)["result"]["healthy"], true);
}

TEST_F(CfsslApiTest, RevokeShowsInCertinfoAndInTheCrlWhichOpensslParses) {
  auto cert = CertOf(Post("sign", Json{{"certificate_request", CsrPem(R"({"CN": "to-revoke"})")}}.dump()));
  const std::string aki = ca_.cert.subject_key_id();
  Json info = Post("certinfo", Json{{"serial", cert.serial_decimal()}, {"authority_key_id", aki}}.dump());
  EXPECT_EQ(info["result"]["subject"]["common_name"], "to-revoke");
  EXPECT_EQ(info["result"]["serial_number"], cert.serial_decimal());
  EXPECT_EQ(info["result"]["serial_number_hex"], cert.serial_hex());
  Json by_pem = Post("certinfo", Json{{"certificate", cert.ToPem()}}.dump());
  EXPECT_EQ(by_pem["result"]["sigalg"], "ECDSAWithSHA256");

  ExpectError(Post("revoke", Json{{"serial", "12345"}, {"authority_key_id", aki}, {"reason", "keyCompromise"}}.dump(), 400),
              11200, "no certificate with serial 12345");
  ExpectError(Post("revoke", Json{{"serial", cert.serial_decimal()}, {"authority_key_id", aki}, {"reason", "bored"}}.dump(), 400),
              400, "");
  Json revoked = Post("revoke", Json{{"serial", cert.serial_decimal()}, {"authority_key_id", aki},
                                     {"reason", "keyCompromise"}}.dump());
  EXPECT_TRUE(revoked["success"].get<bool>());
  EXPECT_EQ(revoked["result"], Json::object());
  EXPECT_EQ(certdb_->GetCertificate(cert.serial_decimal(), aki)->status, "revoked");

  auto crl = Call("GET", "/api/v1/cfssl/crl?expiry=24h");
  ASSERT_EQ(crl.status, 200) << crl.body;
  const std::string der = *Base64Decode(Json::parse(crl.body)["result"].get<std::string>());
  testing::WriteFile(dir_.Join("crl.der"), der);
  auto text = testing::RunProcess({"openssl", "crl", "-inform", "DER", "-in", dir_.Join("crl.der"), "-noout", "-text"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Key Compromise"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(Upper(cert.serial_hex())), std::string::npos) << text.out;

  // The DER endpoint serves the same CRL (cached: no new CRL number per poll).
  auto raw = Call("GET", "/crl?expiry=24h");
  EXPECT_EQ(raw.content_type, "application/pkix-crl");
  EXPECT_EQ(raw.body, der);
  ExpectError(Json::parse(Call("GET", "/api/v1/cfssl/crl?expiry=1y").body), 400, "1y");
}

// What `openssl ocsp` makes of a base64 ocspResponse for `cert` (CertID by `digest`).
std::string OpensslOcspStatus(testing::TempDir& dir, const std::string& b64, const x509::Certificate& ca,
                              const x509::Certificate& cert, const std::string& digest = "-sha1") {
  testing::WriteFile(dir.Join("resp.der"), *Base64Decode(b64));
  testing::WriteFile(dir.Join("ocsp-ca.pem"), ca.ToPem());
  testing::WriteFile(dir.Join("ocsp-leaf.pem"), cert.ToPem());
  auto r = testing::RunProcess({"openssl", "ocsp", "-respin", dir.Join("resp.der"), "-issuer", dir.Join("ocsp-ca.pem"),
                                digest, "-cert", dir.Join("ocsp-leaf.pem"), "-CAfile", dir.Join("ocsp-ca.pem"),
                                "-no_nonce"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return r.out + r.err;
}

TEST_F(CfsslApiTest, OcspSignSaysWhatTheRequestAsksSignedByTheResponder) {
  Build(0, kConfig, true);
  auto cert = CertOf(Post("sign", Json{{"certificate_request", CsrPem(R"({"CN": "ocsp-leaf"})")}}.dump()));

  // The config has auth keys, so ocspsign (which signs as the responder) wants a token.
  const std::string good = Json{{"certificate", cert.ToPem()}, {"status", "good"}}.dump();
  ExpectError(Post("ocspsign", good, 400), 400, "authentication required");
  ExpectError(Post("ocspsign", AuthBody(good, "00112233445566778899AABBCCDDEEFF"), 400), 400, "invalid token");
  Json env = Post("ocspsign", AuthBody(good));
  ASSERT_TRUE(env["success"].get<bool>()) << env.dump();
  std::string text = OpensslOcspStatus(dir_, env["result"]["ocspResponse"].get<std::string>(), ca_.cert, cert);
  EXPECT_NE(text.find("Response verify OK"), std::string::npos) << text;
  EXPECT_NE(text.find("ocsp-leaf.pem: good"), std::string::npos) << text;

  // Whatever the certdb says (good here), the response says what was asked.
  const std::string revoked = Json{{"certificate", cert.ToPem()}, {"status", "revoked"}, {"reason", 1},
                                   {"revoked_at", "2024-01-02"}, {"issuer_hash", "SHA256"}}.dump();
  env = Post("ocspsign", AuthBody(revoked));
  text = OpensslOcspStatus(dir_, env["result"]["ocspResponse"].get<std::string>(), ca_.cert, cert, "-sha256");
  EXPECT_NE(text.find("ocsp-leaf.pem: revoked"), std::string::npos) << text;
  EXPECT_NE(text.find("keyCompromise"), std::string::npos) << text;
  EXPECT_NE(text.find("Revocation Time: Jan  2 00:00:00 2024 GMT"), std::string::npos) << text;
  EXPECT_EQ(certdb_->GetCertificate(cert.serial_decimal(), ca_.cert.subject_key_id())->status, "good");
  env = Post("ocspsign", AuthBody(Json{{"certificate", cert.ToPem()}, {"status", "unknown"}}.dump()));
  text = OpensslOcspStatus(dir_, env["result"]["ocspResponse"].get<std::string>(), ca_.cert, cert);
  EXPECT_NE(text.find("ocsp-leaf.pem: unknown"), std::string::npos) << text;

  const auto refused = [&](const Json& request, int code, const std::string& fragment) {
    ExpectError(Post("ocspsign", AuthBody(request.dump()), 400), code, fragment);
  };
  refused({{"certificate", cert.ToPem()}, {"status", "lost"}}, 8200, "Invalid revocation status 'lost'");
  refused({{"certificate", "not a certificate"}}, 400, "Malformed certificate");
  refused({{"status", "good"}}, 400, "Malformed certificate");
  refused({{"certificate", cert.ToPem()}, {"status", "revoked"}, {"revoked_at", "yesterday"}}, 400,
          "Malformed revocation time");
  refused({{"certificate", cert.ToPem()}, {"status", "revoked"}, {"reason", 7}}, 400, "reason");
  refused({{"certificate", cert.ToPem()}, {"issuer_hash", "SHA3"}}, 400, "Unsupported hash algorithm");
  // A certificate of another CA: by name (8100), or same name, other key (cfssl's verify failure, 8200).
  auto other_req = pki::ParseCertificateRequest(R"({"CN": "other CA", "ca": {"expiry": "1h"}})");
  auto other_key = pki::PrivateKey::Generate(other_req->key);
  auto other = pki::SelfSign(*pki::Csr::Generate(*other_req, *other_key), *other_key,
                             pki::SigningProfile::ForCa(*other_req->ca));
  ASSERT_TRUE(other.ok());
  refused({{"certificate", other->ToPem()}}, 8100, "Certificate not issued by this issuer");
  refused({{"certificate", MakeCa().cert.ToPem()}}, 8200, "does not verify");

  // Without a responder the endpoint is not there.
  Build(0);
  ExpectError(Post("ocspsign", AuthBody(good), 404), 404, "-responder");
}

TEST_F(CfsslApiTest, OcspSignNeedsNoTokenWhenTheConfigHasNoAuthKeys) {
  Build(0, R"({"signing": {"default": {"expiry": "24h", "usages": ["signing", "client auth"]}}})", true);
  auto cert = CertOf(Post("sign", Json{{"certificate_request", CsrPem(R"({"CN": "open"})")}}.dump()));
  Json env = Post("ocspsign", Json{{"certificate", cert.ToPem()}}.dump());  // status defaults to good
  ASSERT_TRUE(env["success"].get<bool>()) << env.dump();
  EXPECT_NE(OpensslOcspStatus(dir_, env["result"]["ocspResponse"].get<std::string>(), ca_.cert, cert)
                .find("ocsp-leaf.pem: good"),
            std::string::npos);
  ExpectError(Post("ocspsign", AuthBody(Json{{"certificate", cert.ToPem()}}.dump()), 400), 400,
              "no authentication provider");
}

TEST_F(CfsslApiTest, CertInfoByDomainDescribesTheLeafALocalTlsServerPresents) {
  Json issued = Post("newcert", R"({"request": {"CN": "tls-peer", "hosts": ["127.0.0.1", "peer.example.com"]}})");
  ASSERT_TRUE(issued["success"].get<bool>()) << issued.dump();
  testing::WriteFile(dir_.Join("peer.pem"), issued["result"]["certificate"].get<std::string>());
  testing::WriteFile(dir_.Join("peer-key.pem"), issued["result"]["private_key"].get<std::string>());
  net::HttpServerOptions tls_options;
  tls_options.threads = 1;
  tls_options.tls = net::TlsServerFiles{dir_.Join("peer.pem"), dir_.Join("peer-key.pem"), ""};
  const auto handler = [](const net::HttpRequest&) { return net::HttpResponse{200, "text/plain", "hi", {}}; };
  auto tls_server = net::HttpServer::Start(tls_options, handler);
  ASSERT_TRUE(tls_server.ok()) << tls_server.status().ToString();
  const std::string tls_port = std::to_string((*tls_server)->port());

  Json info = Post("certinfo", Json{{"domain", "127.0.0.1:" + tls_port}}.dump());
  ASSERT_TRUE(info["success"].get<bool>()) << info.dump();
  EXPECT_EQ(info["result"]["subject"]["common_name"], "tls-peer");
  EXPECT_EQ(info["result"]["sans"], (Json{"peer.example.com", "127.0.0.1"}));
  EXPECT_EQ(info["result"]["pem"], issued["result"]["certificate"]);
  EXPECT_EQ(info["result"]["authority_key_id"].get<std::string>().size(), 59u);  // 20 bytes as AA:BB:..

  net::HttpServerOptions plain_options;
  plain_options.threads = 1;
  auto plain_server = net::HttpServer::Start(plain_options, handler);
  ASSERT_TRUE(plain_server.ok());
  ExpectError(Post("certinfo", Json{{"domain", "127.0.0.1:" + std::to_string((*plain_server)->port())}}.dump(), 400),
              6000, "did not complete a TLS handshake");
  const std::string closed_port = std::to_string((*plain_server)->port());
  (*plain_server)->Stop();
  plain_server->reset();
  ExpectError(Post("certinfo", Json{{"domain", "127.0.0.1:" + closed_port}}.dump(), 400), 6000, "cannot connect");

  ExpectError(Post("certinfo", R"({"domain": "exa mple.com"})", 400), 400, "is not host[:port]");
  ExpectError(Post("certinfo", R"({"domain": "127.0.0.1:70000"})", 400), 400, "the port must be 1-65535");
  ExpectError(Post("certinfo", R"({"domain": "*.example.com"})", 400), 400, "wildcard");
  ExpectError(Post("certinfo", R"({"domain": "[::1"})", 400), 400, "'[' without ']'");
}

TEST(RemoteCertificate, AServerThatNeverHandshakesTimesOut) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);  // the kernel completes the TCP connect; nobody ever answers
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto cert = FetchServerCertificate("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                                     std::chrono::milliseconds(300));
  close(fd);
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(cert.status().message().find("within 300 ms"), std::string::npos) << cert.status().message();
}

}  // namespace
}  // namespace trustplane::api
