// cfssl's bundle: the chain built to a trusted root, and the result object.
#include "trustplane/api/cfssl_bundle.h"

#include <gtest/gtest.h>

#include "support/test_pki.h"

namespace trustplane::api {
namespace {

using testing::CertSpec;
using testing::Issued;

Issued MakeLeaf(const Issued& issuer) {
  CertSpec spec;
  spec.cn = "www.example.com";
  spec.org = "Example";
  spec.dns = {"www.example.com", "example.com"};
  spec.ip = {"192.0.2.7"};
  return testing::MakeIssued(spec, issuer);
}

class CfsslBundleTest : public ::testing::Test {
 protected:
  x509::TrustMaterial Trust(bool with_intermediate) const {
    x509::TrustMaterial t;
    t.anchors = {root_.cert};
    if (with_intermediate) t.intermediates = {inter_.cert};
    return t;
  }

  const Issued root_ = testing::MakeRootCa("Bundle Root");
  const Issued inter_ = testing::MakeIntermediateCa("Bundle Intermediate", root_);
  const Issued leaf_ = MakeLeaf(inter_);
};

TEST_F(CfsslBundleTest, BuildsTheChainFromTrustedIntermediatesAndDescribesIt) {
  BundleRequest request;
  request.certificates = {leaf_.cert};
  auto j = BundleJson(request, Trust(true), NowUnix());
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["bundle"], leaf_.cert.ToPem() + inter_.cert.ToPem());
  EXPECT_EQ((*j)["root"], root_.cert.ToPem());
  EXPECT_EQ((*j)["crt"], leaf_.cert.ToPem());
  EXPECT_EQ((*j)["key"], "");
  EXPECT_EQ((*j)["key_type"], "256-bit ECDSA");
  EXPECT_EQ((*j)["key_size"], 256);
  EXPECT_EQ((*j)["subject"], "/Organization=Example/CommonName=www.example.com");
  EXPECT_EQ((*j)["issuer"], "/CommonName=Bundle Intermediate");
  EXPECT_EQ((*j)["hostnames"], nlohmann::json({"www.example.com", "example.com"}));
  EXPECT_EQ((*j)["signature"], "ECDSAWithSHA256");
  EXPECT_EQ((*j)["ocsp_support"], false);
  EXPECT_EQ((*j)["status"]["code"], 0);
  EXPECT_EQ((*j)["status"]["rebundled"], true) << "the intermediate was added";
  EXPECT_TRUE((*j)["status"]["expiring_SKIs"].empty());
  // The chain expires with its first certificate to expire.
  UnixSeconds first = leaf_.cert.not_after();
  for (const auto* c : {&inter_.cert, &root_.cert}) first = std::min(first, c->not_after());
  EXPECT_EQ((*j)["expires"], FormatRfc3339(first));
  EXPECT_EQ((*j)["leaf_expires"], FormatRfc3339(leaf_.cert.not_after()));
}

TEST_F(CfsslBundleTest, ForceUsesOnlyTheIntermediatesSent) {
  BundleRequest request;
  request.flavor = "force";
  request.certificates = {leaf_.cert};
  auto alone = BundleJson(request, Trust(true), NowUnix());
  EXPECT_EQ(alone.status().code(), ErrorCode::kPolicy) << alone.status().ToString();
  EXPECT_NE(alone.status().message().find("no chain to a trusted root"), std::string::npos);
  request.certificates = {leaf_.cert, inter_.cert};
  auto sent = BundleJson(request, Trust(false), NowUnix());
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ((*sent)["status"]["rebundled"], false);
  request.flavor = "cheapest";
  EXPECT_EQ(BundleJson(request, Trust(true), NowUnix()).status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(CfsslBundleTest, ChecksTheHostNameAndAddressAsked) {
  BundleRequest request;
  request.certificates = {leaf_.cert};
  request.domain = "example.com";
  request.ip = "192.0.2.7";
  EXPECT_TRUE(BundleJson(request, Trust(true), NowUnix()).ok());
  request.domain = "evil.example.net";
  auto wrong_host = BundleJson(request, Trust(true), NowUnix());
  EXPECT_EQ(wrong_host.status().code(), ErrorCode::kPolicy);
  EXPECT_NE(wrong_host.status().message().find("evil.example.net"), std::string::npos);
  request.domain.clear();
  request.ip = "192.0.2.8";
  EXPECT_EQ(BundleJson(request, Trust(true), NowUnix()).status().code(), ErrorCode::kPolicy);
}

TEST_F(CfsslBundleTest, NamesTheCertificatesAboutToExpire) {
  CertSpec spec;
  spec.cn = "soon.example.com";
  spec.not_after = NowUnix() + 10 * 86400;
  const Issued soon = testing::MakeIssued(spec, inter_);
  BundleRequest request;
  request.certificates = {soon.cert};
  auto j = BundleJson(request, Trust(true), NowUnix());
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["status"]["expiring_SKIs"], nlohmann::json({soon.cert.subject_key_id()}));
}

TEST_F(CfsslBundleTest, TellsWhetherAKeyBelongsToTheCertificate) {
  EXPECT_TRUE(*KeyMatchesCertificate(leaf_.key_pem, leaf_.cert));
  EXPECT_FALSE(*KeyMatchesCertificate(inter_.key_pem, leaf_.cert));
  EXPECT_EQ(KeyMatchesCertificate("not a key", leaf_.cert).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace trustplane::api
