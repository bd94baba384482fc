// The OCSP responder answering requests the real `openssl ocsp` makes, and
// openssl checking the answers.
#include "trustplane/pki/ocsp_responder.h"

#include <gtest/gtest.h>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "trustplane/base/digest.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/pem.h"
#include "trustplane/pki/signer.h"
#include "trustplane/store/database.h"

namespace trustplane::pki {
namespace {

using testing::TempDir;

template <typename T>
T Must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

class OcspResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_key_ = Must(PrivateKey::Generate({}));
    CertificateRequest root;
    root.subject.cn = "OCSP Test Root";
    root.ca = CaSettings{};
    auto root_cert = Must(SelfSign(Must(Csr::Generate(root, *ca_key_)), *ca_key_, SigningProfile::ForCa(*root.ca)));
    ca_ = Must(x509::Certificate::FromDer(root_cert.der));
    signer_ = Must(Signer::Create(*ca_, *ca_key_, Must(ParseSigningConfig(R"({"signing": {
        "default": {"usages": ["digital signature", "client auth"], "expiry": "24h"},
        "profiles": {"ocsp": {"usages": ["digital signature", "ocsp signing"], "expiry": "24h"}}}})"))));
    db_ = Must(store::OpenDatabase(dir_.Join("certs.db")));
    certdb_ = Must(CertDb::Open(*db_));
    testing::WriteFile(dir_.Join("ca.pem"), ca_->ToPem());
  }

  // Issues a leaf, records it, writes it to NAME.pem; returns its record.
  CertificateRecord Issue(const std::string& name, const std::string& profile = "",
                          const PrivateKey* key = nullptr) {
    PrivateKey k = key ? *key : Must(PrivateKey::Generate({}));
    CertificateRequest r;
    r.subject.cn = name;
    SignOptions options;
    options.profile = profile;
    auto cert = Must(signer_->Sign(Must(Csr::Generate(r, k)), options));
    CertificateRecord rec;
    rec.serial_number = cert.serial_decimal();
    rec.authority_key_identifier = cert.authority_key_id;
    rec.expiry = cert.not_after;
    rec.pem = cert.ToPem();
    EXPECT_TRUE(certdb_->InsertCertificate(rec).ok());
    testing::WriteFile(dir_.Join(name + ".pem"), rec.pem);
    return rec;
  }

  // `openssl ocsp` builds the request, our responder answers, openssl checks
  // the answer against the CA; returns openssl's report.
  std::string Ask(const OcspResponder& responder, const std::string& name, bool nonce = false,
                  const std::string& digest = "-sha1") {
    const std::string req = dir_.Join(name + ".req"), resp = dir_.Join(name + ".resp");
    std::vector<std::string> make = {"openssl", "ocsp", "-issuer", dir_.Join("ca.pem"), digest, "-cert",
                                     dir_.Join(name + ".pem"), "-reqout", req};
    if (!nonce) make.push_back("-no_nonce");
    auto made = testing::RunProcess(make);
    EXPECT_EQ(made.exit_code, 0) << made.err;
    testing::WriteFile(resp, responder.Respond(testing::ReadFile(req)).der);
    // Only -reqin names the request: with -cert, openssl would build a new one
    // (and a new nonce) instead.
    std::vector<std::string> check = {"openssl", "ocsp", "-respin", resp, "-reqin", req, "-verify_other",
                                      dir_.Join("ca.pem"), "-CAfile",
                                      dir_.Join("ca.pem"), "-resp_text"};
    auto checked = testing::RunProcess(check);
    return checked.out + checked.err;
  }

  TempDir dir_;
  std::optional<PrivateKey> ca_key_;
  std::optional<x509::Certificate> ca_;
  std::optional<Signer> signer_;
  std::unique_ptr<store::Database> db_;
  std::optional<CertDb> certdb_;
};

TEST_F(OcspResponderTest, AnswersGoodRevokedAndUnknownThatOpensslVerifies) {
  auto responder = Must(OcspResponder::Create(*ca_, *ca_, *ca_key_, &*certdb_));
  const CertificateRecord alice = Issue("alice");
  Issue("bob");
  std::string report = Ask(responder, "alice");
  EXPECT_NE(report.find("Response verify OK"), std::string::npos) << report;
  EXPECT_NE(report.find(": good"), std::string::npos) << report;
  EXPECT_NE(Ask(responder, "bob").find(": good"), std::string::npos);

  // The same request bytes again (openssl -no_nonce sends identical ones):
  // the answer follows the certdb, not what the responder said before.
  ASSERT_TRUE(certdb_->RevokeCertificate(alice.serial_number, alice.authority_key_identifier, 1).ok());
  report = Ask(responder, "alice");
  EXPECT_NE(report.find(": revoked"), std::string::npos) << "the certdb decides on every request\n" << report;
  EXPECT_NE(report.find("keyCompromise"), std::string::npos) << report;
  EXPECT_NE(Ask(responder, "bob").find(": good"), std::string::npos);

  // A certificate of this CA that the certdb never recorded.
  PrivateKey k = Must(PrivateKey::Generate({}));
  CertificateRequest r;
  r.subject.cn = "ghost";
  testing::WriteFile(dir_.Join("ghost.pem"), Must(signer_->Sign(Must(Csr::Generate(r, k)))).ToPem());
  EXPECT_NE(Ask(responder, "ghost").find(": unknown"), std::string::npos);
}

TEST_F(OcspResponderTest, EchoesNoncesAndAnswersSha256CertIds) {
  auto responder = Must(OcspResponder::Create(*ca_, *ca_, *ca_key_, &*certdb_));
  Issue("carol");
  std::string report = Ask(responder, "carol", /*nonce=*/true);
  EXPECT_NE(report.find("Response verify OK"), std::string::npos) << report;
  EXPECT_EQ(report.find("WARNING: no nonce"), std::string::npos) << report;
  EXPECT_EQ(report.find("nonce verify error"), std::string::npos) << report;
  report = Ask(responder, "carol", false, "-sha256");
  EXPECT_NE(report.find(": good"), std::string::npos) << report;
}

TEST_F(OcspResponderTest, DelegatedSignerIsIncludedAndMustHaveOcspSigning) {
  PrivateKey delegate_key = Must(PrivateKey::Generate({}));
  Issue("delegate", "ocsp", &delegate_key);
  auto delegate = Must(x509::Certificate::FromDer(
      Must(PemDecode(testing::ReadFile(dir_.Join("delegate.pem")), {"CERTIFICATE"}, "certificate"))));
  auto responder = Must(OcspResponder::Create(*ca_, delegate, delegate_key, &*certdb_));
  Issue("dave");
  std::string report = Ask(responder, "dave");
  EXPECT_NE(report.find("Response verify OK"), std::string::npos) << report;
  EXPECT_NE(report.find(": good"), std::string::npos) << report;

  PrivateKey plain_key = Must(PrivateKey::Generate({}));
  Issue("plain", "", &plain_key);
  auto plain = Must(x509::Certificate::FromDer(
      Must(PemDecode(testing::ReadFile(dir_.Join("plain.pem")), {"CERTIFICATE"}, "certificate"))));
  auto refused = OcspResponder::Create(*ca_, plain, plain_key, &*certdb_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("OCSPSigning"), std::string::npos);
  EXPECT_FALSE(OcspResponder::Create(*ca_, delegate, plain_key, &*certdb_).ok()) << "key mismatch";
}

TEST_F(OcspResponderTest, PresignedResponsesAreStoredRefreshedAndReplacedOnRevocation) {
  OcspResponderOptions options;
  options.validity_seconds = 3600;
  options.refresh_before = 600;
  auto responder = Must(OcspResponder::Create(*ca_, *ca_, *ca_key_, &*certdb_, options));
  const CertificateRecord erin = Issue("erin");
  Issue("frank");
  EXPECT_EQ(*responder.RefreshAll(), 2u);
  EXPECT_EQ(*responder.RefreshAll(), 0u) << "fresh responses are kept";
  auto stored = Must(certdb_->GetOCSP(erin.serial_number, erin.authority_key_identifier));
  EXPECT_GT(stored.expiry, NowUnix() + 3000);

  // The stored response is what a plain request gets, byte for byte.
  const std::string req = dir_.Join("erin.req");
  ASSERT_EQ(testing::RunProcess({"openssl", "ocsp", "-issuer", dir_.Join("ca.pem"), "-cert",
                                 dir_.Join("erin.pem"), "-no_nonce", "-reqout", req})
                .exit_code,
            0);
  EXPECT_EQ(responder.Respond(testing::ReadFile(req)).der, stored.body);
  // What an HTTP cache is told about it: the times it carries, and its hash.
  const OcspAnswer answer = responder.Respond(testing::ReadFile(req));
  EXPECT_TRUE(answer.cacheable);
  EXPECT_EQ(answer.next_update, stored.expiry);
  EXPECT_EQ(answer.next_update - answer.this_update, 3600);
  EXPECT_EQ(answer.etag, Sha256Hex(stored.body));

  // Revoked through the certdb (as `ca revoke` of another process does): the
  // stale good answer is replaced, and RefreshAll re-signs it.
  ASSERT_TRUE(certdb_->RevokeCertificate(erin.serial_number, erin.authority_key_identifier, 4).ok());
  EXPECT_NE(Ask(responder, "erin").find(": revoked"), std::string::npos);
  auto responder2 = Must(OcspResponder::Create(*ca_, *ca_, *ca_key_, &*certdb_, options));
  EXPECT_EQ(*responder2.RefreshAll(), 0u) << "the revoked answer was already stored";
  // A responder that starts later reads the stored answer and its times.
  const OcspAnswer revoked = responder2.Respond(testing::ReadFile(req));
  EXPECT_TRUE(revoked.cacheable);
  EXPECT_NE(revoked.der, stored.body);
  EXPECT_EQ(revoked.next_update - revoked.this_update, 3600);
  EXPECT_LE(revoked.this_update, NowUnix());
  EXPECT_EQ(revoked.etag, Sha256Hex(revoked.der));
}

TEST_F(OcspResponderTest, AnswersSignedForOneRequestAreNotCacheable) {
  auto responder = Must(OcspResponder::Create(*ca_, *ca_, *ca_key_, &*certdb_));
  Issue("gina");
  const std::string req = dir_.Join("gina-nonce.req");
  ASSERT_EQ(testing::RunProcess({"openssl", "ocsp", "-issuer", dir_.Join("ca.pem"), "-cert", dir_.Join("gina.pem"),
                                 "-reqout", req})
                .exit_code,
            0);
  const OcspAnswer with_nonce = responder.Respond(testing::ReadFile(req));
  EXPECT_FALSE(with_nonce.der.empty());
  EXPECT_FALSE(with_nonce.cacheable);
  EXPECT_FALSE(responder.Respond("not an OCSP request").cacheable);
}

TEST_F(OcspResponderTest, GarbageAndOtherIssuersGetOcspErrorStatuses) {
  auto responder = Must(OcspResponder::Create(*ca_, *ca_, *ca_key_, &*certdb_));
  testing::WriteFile(dir_.Join("bad.resp"), responder.Respond("not an OCSP request").der);
  auto shown = testing::RunProcess({"openssl", "ocsp", "-respin", dir_.Join("bad.resp"), "-resp_text",
                                    "-noverify"});
  EXPECT_NE((shown.out + shown.err).find("malformedrequest"), std::string::npos) << shown.out << shown.err;

  // A request about another CA's certificate.
  PrivateKey other_key = Must(PrivateKey::Generate({}));
  CertificateRequest other;
  other.subject.cn = "Other Root";
  other.ca = CaSettings{};
  auto other_root = Must(SelfSign(Must(Csr::Generate(other, other_key)), other_key, SigningProfile::ForCa(*other.ca)));
  testing::WriteFile(dir_.Join("other.pem"), other_root.ToPem());
  ASSERT_EQ(testing::RunProcess({"openssl", "ocsp", "-issuer", dir_.Join("other.pem"), "-cert",
                                 dir_.Join("other.pem"), "-no_nonce", "-reqout", dir_.Join("other.req")})
                .exit_code,
            0);
  testing::WriteFile(dir_.Join("other.resp"), responder.Respond(testing::ReadFile(dir_.Join("other.req"))).der);
  shown = testing::RunProcess({"openssl", "ocsp", "-respin", dir_.Join("other.resp"), "-resp_text", "-noverify"});
  EXPECT_NE((shown.out + shown.err).find("unauthorized"), std::string::npos) << shown.out << shown.err;
}

}  // namespace
}  // namespace trustplane::pki
