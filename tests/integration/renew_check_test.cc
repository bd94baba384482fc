// `renew-check`: the seed-000 decision table, against a real store.
#include <optional>

#include "cli_fixture.h"

namespace trustplane::testing {
namespace {

class RenewCheckTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    root_ = MakeRootCa("renew root");
    inter_ = MakeIntermediateCa("renew issuing", *root_);
    ASSERT_EQ(Tp({"trust", "add", WritePem("root.pem", *root_), WritePem("inter.pem", *inter_)}).exit_code, 0);
  }
  std::optional<Issued> root_, inter_;
};

TEST_F(RenewCheckTest, SameIssuerAndCnNeedsNothing) {
  std::string old_cert = WritePem("old.pem", MakeClientLeaf("svc-a", *inter_));
  std::string new_cert = WritePem("new.pem", MakeClientLeaf("svc-a", *inter_));
  auto r = Tp({"renew-check", "--old", old_cert, "--new", new_cert});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no action required"), std::string::npos) << r.out;
}

TEST_F(RenewCheckTest, NewUntrustedIssuerMustBeOnboardedKeepingTheOldOne) {
  Issued new_root = MakeRootCa("next-gen root");
  Issued new_inter = MakeIntermediateCa("next-gen issuing", new_root);
  std::string old_cert = WritePem("old.pem", MakeClientLeaf("svc-a", *inter_));
  std::string new_cert = Write("new.pem", MakeClientLeaf("svc-a", new_inter).cert_pem + new_inter.cert_pem);
  auto j = TpJson({"renew-check", "--old", old_cert, "--new", new_cert}, 5);
  EXPECT_EQ(j["action_required"], true);
  EXPECT_EQ(j["issuer_changed"], true);
  EXPECT_EQ(j["cn_changed"], false);
  ASSERT_EQ(j["actions"].size(), 2u) << j.dump(1);
  EXPECT_NE(j["actions"][0].get<std::string>().find(new_inter.cert.sha256_hex()), std::string::npos);
  EXPECT_NE(j["actions"][0].get<std::string>().find("next-gen root"), std::string::npos);
  EXPECT_NE(j["actions"][1].get<std::string>().find("which issued the old certificate"), std::string::npos);

  // Once the new CAs are onboarded, the same renewal needs nothing.
  ASSERT_EQ(Tp({"trust", "add", WritePem("nr.pem", new_root), WritePem("ni.pem", new_inter)}).exit_code, 0);
  auto after = TpJson({"renew-check", "--old", old_cert, "--new", new_cert});
  EXPECT_EQ(after["action_required"], false) << after.dump(1);
}

TEST_F(RenewCheckTest, ChangedCnNeedsAnAuthorizationChange) {
  std::string old_cert = WritePem("old.pem", MakeClientLeaf("svc-a", *inter_));
  std::string new_cert = WritePem("new.pem", MakeClientLeaf("svc-b", *inter_));
  auto j = TpJson({"renew-check", "--old", old_cert, "--new", new_cert}, 5);
  EXPECT_EQ(j["cn_changed"], true);
  ASSERT_EQ(j["actions"].size(), 1u);
  EXPECT_NE(j["actions"][0].get<std::string>().find("\"svc-a\""), std::string::npos);
  EXPECT_NE(j["actions"][0].get<std::string>().find("\"svc-b\""), std::string::npos);
}

TEST_F(RenewCheckTest, NewCertificateWithoutClientAuthIsTheClientsProblem) {
  CertSpec spec;
  spec.cn = "svc-a";
  spec.eku = {"serverAuth"};
  std::string old_cert = WritePem("old.pem", MakeClientLeaf("svc-a", *inter_));
  std::string new_cert = WritePem("new.pem", MakeIssued(spec, *inter_));
  auto j = TpJson({"renew-check", "--old", old_cert, "--new", new_cert}, 5);
  EXPECT_EQ(j["new_error"], "client_cert_chain_invalid_eku");
}

}  // namespace
}  // namespace trustplane::testing
