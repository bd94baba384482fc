// Concurrent sign requests share certdb commits (group commit): every
// certificate handed out is on record, and a row that cannot be written
// fails only its own request.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "support/temp_dir.h"
#include "trustplane/api/cfssl_api.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/certificate_request.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/signing_config.h"
#include "trustplane/store/database.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::api {
namespace {

using Json = nlohmann::json;

Result<pki::CertificateRecord> Record(pki::CertDb& db, const pki::SignedCertificate& cert, const std::string& label) {
  // A stand-in for a row the database refuses.
  if (cert.common_name == "refused") return Status::Internal("row refused by the test");
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

std::string CsrPem(const std::string& cn) {
  auto req = pki::ParseCertificateRequest(R"({"CN": ")" + cn + R"("})");
  auto key = pki::PrivateKey::Generate(req->key);
  return pki::Csr::Generate(*req, *key)->ToPem();
}

class CfsslGroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto req = pki::ParseCertificateRequest(R"({"CN": "group commit CA", "ca": {"expiry": "87600h"}})");
    auto key = pki::PrivateKey::Generate(req->key);
    auto ca = pki::SelfSign(*pki::Csr::Generate(*req, *key), *key, pki::SigningProfile::ForCa(*req->ca));
    ASSERT_TRUE(ca.ok());
    ca_cert_ = std::make_unique<x509::Certificate>(*x509::Certificate::FromDer(ca->der));
    auto database = store::OpenDatabase("sqlite://" + dir_.Join("certs.db"));
    ASSERT_TRUE(database.ok()) << database.status().ToString();
    database_ = std::move(database).value();
    certdb_ = std::make_unique<pki::CertDb>(*pki::CertDb::Open(*database_));
    auto config = pki::ParseSigningConfig(R"({"signing": {"default": {"expiry": "168h",
        "usages": ["signing", "client auth"]}}})");
    ASSERT_TRUE(config.ok());
    CfsslApiOptions o;
    o.signer = *pki::Signer::Create(*ca_cert_, *key, *config);
    o.ca_key = *key;
    o.certdb = certdb_.get();
    o.record_issued = Record;
    auto api = CfsslApi::Create(std::move(o));
    ASSERT_TRUE(api.ok());
    api_ = std::move(api).value();
  }

  // Signs each CSR from its own thread, all at once; returns the envelopes.
  std::vector<Json> SignConcurrently(const std::vector<std::string>& csrs) {
    std::vector<Json> out(csrs.size());
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    for (size_t i = 0; i < csrs.size(); ++i) {
      threads.emplace_back([&, i] {
        net::HttpRequest r;
        r.method = "POST";
        r.target = "/api/v1/cfssl/sign";
        r.body = Json{{"certificate_request", csrs[i]}}.dump();
        ++ready;
        while (ready.load() < static_cast<int>(csrs.size())) std::this_thread::yield();
        out[i] = Json::parse(api_->Handle(r).body);
      });
    }
    for (auto& t : threads) t.join();
    return out;
  }

  void ExpectRecorded(const Json& env) {
    ASSERT_TRUE(env["success"].get<bool>()) << env.dump();
    auto bundle = x509::ParseBundle(env["result"]["certificate"].get<std::string>());
    ASSERT_TRUE(bundle.ok());
    const auto& cert = bundle->certificates.front();
    auto rec = certdb_->GetCertificate(cert.serial_decimal(), ca_cert_->subject_key_id());
    ASSERT_TRUE(rec.ok()) << rec.status().ToString();
    EXPECT_EQ(rec->pem, env["result"]["certificate"].get<std::string>());
  }

  testing::TempDir dir_;
  std::unique_ptr<x509::Certificate> ca_cert_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<pki::CertDb> certdb_;
  std::unique_ptr<CfsslApi> api_;
};

TEST_F(CfsslGroupCommitTest, EveryConcurrentlyIssuedCertificateIsOnRecord) {
  std::vector<std::string> csrs;
  for (int i = 0; i < 48; ++i) csrs.push_back(CsrPem("client-" + std::to_string(i)));
  for (const Json& env : SignConcurrently(csrs)) ExpectRecorded(env);
  EXPECT_EQ(certdb_->GetUnexpiredCertificates()->size(), csrs.size());
}

TEST_F(CfsslGroupCommitTest, ARowThatCannotBeWrittenFailsOnlyItsOwnRequest) {
  std::vector<std::string> csrs;
  for (int i = 0; i < 40; ++i) csrs.push_back(CsrPem(i % 5 == 2 ? "refused" : "client-" + std::to_string(i)));
  const std::vector<Json> envs = SignConcurrently(csrs);
  size_t good = 0;
  for (size_t i = 0; i < envs.size(); ++i) {
    if (i % 5 == 2) {
      EXPECT_FALSE(envs[i]["success"].get<bool>()) << envs[i].dump();
      EXPECT_TRUE(envs[i]["result"].is_null());
      EXPECT_NE(envs[i]["errors"][0]["message"].get<std::string>().find("row refused by the test"),
                std::string::npos)
          << envs[i].dump();
    } else {
      ExpectRecorded(envs[i]);
      ++good;
    }
  }
  EXPECT_EQ(certdb_->GetUnexpiredCertificates()->size(), good);
}

TEST_F(CfsslGroupCommitTest, StoppingTheApiAnswersEveryRequestStillWaitingForItsCommit) {
  constexpr size_t kRequests = 16;
  std::mutex mu;
  std::vector<std::optional<Json>> answers(kRequests);
  for (size_t i = 0; i < kRequests; ++i) {
    net::HttpRequest r;
    r.method = "POST";
    r.target = "/api/v1/cfssl/sign";
    r.body = Json{{"certificate_request", CsrPem("queued-" + std::to_string(i))}}.dump();
    api_->HandleAsync(std::move(r), [&, i](net::HttpResponse response) {
      std::lock_guard lock(mu);
      answers[i] = Json::parse(response.body);
    });
  }
  api_.reset();
  for (const auto& answer : answers) {
    ASSERT_TRUE(answer.has_value());
    ExpectRecorded(*answer);
  }
  EXPECT_EQ(certdb_->GetUnexpiredCertificates()->size(), kRequests);
}

}  // namespace
}  // namespace trustplane::api
