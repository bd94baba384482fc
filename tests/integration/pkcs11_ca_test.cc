// A CA whose key never leaves a PKCS#11 token (SoftHSM2, a real PKCS#11
// module from Debian): issuing, CRLs and OCSP answers signed inside the token.
#include <cstdlib>

#include "cli_fixture.h"

namespace trustplane::testing {
namespace {

class Pkcs11CaTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    const std::string tokens = dir().Join("softhsm/tokens");
    ASSERT_EQ(RunProcess({"mkdir", "-p", tokens}).exit_code, 0);
    Write("softhsm2.conf", "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n");
    env_ = {{"SOFTHSM2_CONF", dir().Join("files/softhsm2.conf")}};
    auto init = RunProcess({"softhsm2-util", "--init-token", "--free", "--label", "tp-ca", "--pin", "1234",
                            "--so-pin", "5678"},
                           env_);
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  }
  std::string Stem(const std::string& name) const { return dir().Join("files/" + name); }
  ProcessResult Run(std::vector<std::string> args) const {
    args.insert(args.begin(), TRUSTPLANE_BIN);
    return RunProcess(args, env_);
  }
  std::map<std::string, std::string> env_;
};

TEST_F(Pkcs11CaTest, IssuesRevokesAndAnswersWithAKeyInsideTheToken) {
  Write("ca.json", R"({"CN": "HSM Root", "ca": {"expiry": "87600h"}})");
  ASSERT_EQ(Run({"ca", "init", Stem("ca.json"), "--bare", Stem("ca")}).exit_code, 0);
  // Move the key into the token the way an operator would, then destroy the file.
  ASSERT_EQ(RunProcess({"openssl", "pkcs8", "-topk8", "-nocrypt", "-in", Stem("ca-key.pem"), "-out",
                        Stem("ca-key.p8")})
                .exit_code,
            0);
  auto import = RunProcess({"softhsm2-util", "--import", Stem("ca-key.p8"), "--token", "tp-ca", "--label",
                            "ca-key", "--id", "01", "--pin", "1234"},
                           env_);
  ASSERT_EQ(import.exit_code, 0) << import.out << import.err;
  ASSERT_EQ(RunProcess({"rm", Stem("ca-key.pem"), Stem("ca-key.p8")}).exit_code, 0);
  const std::string key = "pkcs11:token=tp-ca;object=ca-key;type=private?pin-value=1234";

  Write("leaf.json", R"({"CN": "hsm-client", "hosts": ["hsm-client.example.com"]})");
  Write("config.json", R"({"signing": {"default": {"expiry": "24h", "usages": ["digital signature", "client auth"]}}})");
  const std::string db = Stem("certs.db");
  auto leaf = Run({"ca", "gencert", "--ca", Stem("ca.pem"), "--ca-key", key, "--config", Stem("config.json"),
                   "--db", db, "--bare", Stem("leaf"), Stem("leaf.json")});
  ASSERT_EQ(leaf.exit_code, 0) << leaf.err;
  auto verify = RunProcess({"openssl", "verify", "-CAfile", Stem("ca.pem"), Stem("leaf.pem")});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  auto ski = RunProcess({"openssl", "x509", "-in", Stem("ca.pem"), "-noout", "-ext", "subjectKeyIdentifier"});
  auto revoke = Run({"ca", "revoke", "0x" + OpensslSerialHex(Stem("leaf.pem")), "--aki",
                     ski.out.substr(ski.out.find('\n') + 1), "--reason", "superseded", "--db", db, "--ca",
                     Stem("ca.pem"), "--ca-key", key});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  ASSERT_EQ(Run({"ca", "crl", "--ca", Stem("ca.pem"), "--ca-key", key, "--db", db, "-o", Stem("crl.pem")}).exit_code,
            0);
  auto refused = RunProcess({"openssl", "verify", "-crl_check", "-CRLfile", Stem("crl.pem"), "-CAfile",
                             Stem("ca.pem"), Stem("leaf.pem")});
  EXPECT_NE((refused.out + refused.err).find("certificate revoked"), std::string::npos) << refused.out;

  // A wrong PIN is a clear error that does not echo the PIN.
  auto bad = Run({"ca", "gencert", "--ca", Stem("ca.pem"), "--ca-key",
                  "pkcs11:token=tp-ca;object=ca-key;type=private?pin-value=9999", "--bare", Stem("x"),
                  Stem("leaf.json")});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("PKCS#11"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("9999"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace trustplane::testing
