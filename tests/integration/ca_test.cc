// `trustplane ca init|gencert|sign` as a cfssl user drives it, checked with the real openssl.
#include <sys/stat.h>

#include "cli_fixture.h"

namespace trustplane::testing {
namespace {

class CaTest : public CliTest {
 protected:
  std::string Stem(const std::string& name) const { return dir().Join("files/" + name); }
  ProcessResult Openssl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  void MakeRootAndIntermediate() {
    Write("ca.json", R"({"CN": "Test Root", "names": [{"C": "US", "O": "Test"}], "ca": {"expiry": "87600h"}})");
    Write("inter.json", R"({"CN": "Test Issuing", "names": [{"O": "Test"}], "ca": {"pathlen": 0}})");
    auto root = Tp({"ca", "init", Stem("ca.json"), "--bare", Stem("ca")});
    ASSERT_EQ(root.exit_code, 0) << root.err;
    auto inter = Tp({"ca", "init", Stem("inter.json"), "--ca", Stem("ca.pem"), "--ca-key",
                     Stem("ca-key.pem"), "--bare", Stem("inter")});
    ASSERT_EQ(inter.exit_code, 0) << inter.err;
    Write("config.json", R"({"signing": {"default": {"expiry": "168h"}, "profiles": {
        "client": {"usages": ["signing", "key encipherment", "client auth"], "expiry": "8760h"},
        "forever": {"usages": ["signing", "client auth"], "expiry": "876000h"}}}})");
  }
};

TEST_F(CaTest, RevocationReachesACrlThatOpensslEnforces) {
  MakeRootAndIntermediate();
  Write("leaf.json", R"({"CN": "svc-b", "hosts": ["b.example.com"]})");
  const std::string db = "sqlite://" + Stem("certs.db");
  auto leaf = Tp({"ca", "gencert", "--ca", Stem("inter.pem"), "--ca-key", Stem("inter-key.pem"),
                  "--config", Stem("config.json"), "--profile", "client", "--db", db, Stem("leaf.json"),
                  "--bare", Stem("leaf")});
  ASSERT_EQ(leaf.exit_code, 0) << leaf.err;
  auto crl = [&](const std::string& out) {
    auto r = Tp({"ca", "crl", "--ca", Stem("inter.pem"), "--ca-key", Stem("inter-key.pem"), "--db", db,
                 "-o", Stem(out)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  auto verify = [&](const std::string& crl_file) {
    // The root is trusted without a CRL; -crl_check checks the leaf against the issuing CA's CRL.
    return Openssl({"verify", "-crl_check", "-CRLfile", Stem(crl_file), "-CAfile", Stem("ca.pem"),
                    "-untrusted", Stem("inter.pem"), Stem("leaf.pem")});
  };
  // The OCSP answer was signed at issue, so a refresh has nothing to do.
  const std::vector<std::string> refresh = {"ca", "ocsp-refresh", "--ca", Stem("inter.pem"), "--ca-key",
                                            Stem("inter-key.pem"), "--db", db};
  EXPECT_EQ(Tp(refresh).out, "signed 0 OCSP responses\n");
  EXPECT_NE(crl("before.pem").find("CRL number 1, 0 revoked"), std::string::npos);
  EXPECT_EQ(verify("before.pem").exit_code, 0);

  const std::string hex = OpensslSerialHex(Stem("leaf.pem"));
  auto aki = Openssl({"x509", "-in", Stem("inter.pem"), "-noout", "-ext", "subjectKeyIdentifier"});
  const std::string key_id = aki.out.substr(aki.out.find('\n') + 1);  // "    AB:CD:...\n"
  auto revoke = Tp({"ca", "revoke", "0x" + hex, "--aki", key_id,
                    "--reason", "keyCompromise", "--db", db});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_NE(revoke.out.find("keyCompromise"), std::string::npos);

  // Revoked without a signing key: the stored good answer is now stale, and a refresh re-signs it.
  EXPECT_EQ(Tp(refresh).out, "signed 1 OCSP responses\n");
  EXPECT_EQ(Tp(refresh).out, "signed 0 OCSP responses\n");
  EXPECT_NE(crl("after.pem").find("CRL number 2, 1 revoked"), std::string::npos);
  auto refused = verify("after.pem");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("certificate revoked"), std::string::npos);
  auto text = Openssl({"crl", "-in", Stem("after.pem"), "-noout", "-text"});
  EXPECT_NE(text.out.find("Key Compromise"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("X509v3 CRL Number"), std::string::npos) << text.out;

  // Unknown serials and reasons are specific errors.
  EXPECT_EQ(Tp({"ca", "revoke", "12345", "--aki", "aa", "--db", db}).exit_code, 3);
  EXPECT_EQ(Tp({"ca", "revoke", "0x" + hex, "--aki", "aa", "--reason", "bored", "--db", db}).exit_code, 2);
  // Without --db: the home's certdb, which never saw this certificate.
  EXPECT_EQ(Tp({"ca", "revoke", "0x" + hex, "--aki", "aa"}).exit_code, 3);
  EXPECT_EQ(Tp({"ca", "revoke", "0x" + hex, "--aki", "aa", "--no-db"}).exit_code, 2);  // not a revoke flag
}

TEST_F(CaTest, WithoutDbFlagsTheCertdbIsSqliteInTheHome) {
  MakeRootAndIntermediate();
  Write("leaf.json", R"({"CN": "home-db", "hosts": ["h.example.com"]})");
  const auto gencert = [&](const std::string& bare, bool no_db) {
    std::vector<std::string> argv = {"ca", "gencert", "--ca", Stem("inter.pem"), "--ca-key", Stem("inter-key.pem"),
                                     Stem("leaf.json"), "--bare", Stem(bare)};
    if (no_db) argv.push_back("--no-db");
    return Tp(argv);
  };
  auto recorded = gencert("recorded", false);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  auto unrecorded = gencert("unrecorded", true);
  ASSERT_EQ(unrecorded.exit_code, 0) << unrecorded.err;
  struct stat st {};
  ASSERT_EQ(stat((home() + "/certdb.sqlite").c_str(), &st), 0) << "the home's certdb was created";

  auto aki = Openssl({"x509", "-in", Stem("inter.pem"), "-noout", "-ext", "subjectKeyIdentifier"});
  const std::string key_id = aki.out.substr(aki.out.find('\n') + 1);
  const std::string hex = OpensslSerialHex(Stem("recorded.pem"));
  auto revoke = Tp({"ca", "revoke", "0x" + hex, "--aki", key_id, "--reason", "superseded"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  auto crl = Tp({"ca", "crl", "--ca", Stem("inter.pem"), "--ca-key", Stem("inter-key.pem"), "-o", Stem("home.crl")});
  ASSERT_EQ(crl.exit_code, 0) << crl.err;
  auto text = Openssl({"crl", "-in", Stem("home.crl"), "-noout", "-text"});
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(text.out.find(upper), std::string::npos) << text.out;
  // --no-db recorded nothing, so there is nothing to revoke.
  EXPECT_EQ(Tp({"ca", "revoke", "0x" + OpensslSerialHex(Stem("unrecorded.pem")), "--aki", key_id}).exit_code, 3);
}

TEST_F(CaTest, BundleBuildsTheChainToATrustedRoot) {
  MakeRootAndIntermediate();
  Write("leaf.json", R"({"CN": "svc-c", "hosts": ["c.example.com"]})");
  ASSERT_EQ(Tp({"ca", "gencert", "--ca", Stem("inter.pem"), "--ca-key", Stem("inter-key.pem"), "--config",
                Stem("config.json"), "--profile", "client", Stem("leaf.json"), "--bare", Stem("leaf")})
                .exit_code,
            0);
  auto bundle = Tp({"ca", "bundle", "--cert", Stem("leaf.pem"), "--ca-bundle", Stem("ca.pem"), "--int-bundle",
                    Stem("inter.pem")});
  ASSERT_EQ(bundle.exit_code, 0) << bundle.err;
  EXPECT_EQ(bundle.out, ReadFile(Stem("leaf.pem")) + ReadFile(Stem("inter.pem")));
  auto json = TpJson({"ca", "bundle", "--cert", Stem("leaf.pem"), "--ca-bundle", Stem("ca.pem"), "--int-bundle",
                      Stem("inter.pem")});
  EXPECT_EQ(json["root"], ReadFile(Stem("ca.pem")));
  EXPECT_EQ(json["hostnames"], nlohmann::json::array({"c.example.com"}));
  // Without the intermediate there is no path: refused with the reason.
  auto refused = Tp({"ca", "bundle", "--cert", Stem("leaf.pem"), "--ca-bundle", Stem("ca.pem")});
  EXPECT_EQ(refused.exit_code, 5);
  EXPECT_NE(refused.err.find("cannot bundle"), std::string::npos) << refused.err;
}

TEST_F(CaTest, IssuesChainsOpensslVerifiesWithCfsslFilesAndPrivateKeys0600) {
  MakeRootAndIntermediate();
  Write("leaf.json", R"({"CN": "svc-a", "hosts": ["a.example.com", "10.1.2.3", "ops@example.com",
      "spiffe://example.com/svc-a"], "key": {"algo": "rsa", "size": 2048}})");
  auto leaf = Tp({"ca", "gencert", "--ca", Stem("inter.pem"), "--ca-key", Stem("inter-key.pem"),
                  "--config", Stem("config.json"), "--profile", "client", Stem("leaf.json"),
                  "--bare", Stem("leaf")});
  ASSERT_EQ(leaf.exit_code, 0) << leaf.err;

  auto verify = Openssl({"verify", "-CAfile", Stem("ca.pem"), "-untrusted", Stem("inter.pem"),
                         Stem("leaf.pem")});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  auto san = Openssl({"x509", "-in", Stem("leaf.pem"), "-noout", "-ext", "subjectAltName,extendedKeyUsage"});
  for (const char* want : {"DNS:a.example.com", "IP Address:10.1.2.3", "email:ops@example.com",
                           "URI:spiffe://example.com/svc-a", "TLS Web Client Authentication"}) {
    EXPECT_NE(san.out.find(want), std::string::npos) << want << "\n" << san.out;
  }
  EXPECT_EQ(Openssl({"req", "-in", Stem("leaf.csr"), "-noout", "-verify"}).exit_code, 0);
  EXPECT_NE(ReadFile(Stem("leaf-key.pem")).find("BEGIN RSA PRIVATE KEY"), std::string::npos);
  EXPECT_NE(ReadFile(Stem("ca-key.pem")).find("BEGIN EC PRIVATE KEY"), std::string::npos);
  for (const char* key : {"ca-key.pem", "inter-key.pem", "leaf-key.pem"}) {
    struct stat st {};
    ASSERT_EQ(stat(Stem(key).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
  }
  // Serial: positive, at most 20 octets as DER encodes it (openssl prints the
  // magnitude; a leading digit of 8 or more takes one more, zero, octet).
  const std::string hex = OpensslSerialHex(Stem("leaf.pem"));
  ASSERT_FALSE(hex.empty());
  const size_t octets = (hex.size() + 1) / 2 + (std::stoi(hex.substr(0, 1), nullptr, 16) >= 8 ? 1 : 0);
  EXPECT_LE(octets, 20u) << hex;

  // The issued CA onboards into trustplane, and the leaf verifies against it.
  ASSERT_EQ(Tp({"trust", "add", Stem("ca.pem"), Stem("inter.pem")}).exit_code, 0);
  auto lb = Tp({"verify", "--cert", Stem("leaf.pem")});
  EXPECT_EQ(lb.exit_code, 0) << lb.out << lb.err;
}

TEST_F(CaTest, SignsAnOpensslCsrKeepingItsSubjectAndSans) {
  MakeRootAndIntermediate();
  auto req = Openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-nodes", "-subj", "/O=Ext/CN=external-client", "-addext",
                      "subjectAltName=DNS:ext.example,IP:192.0.2.1", "-keyout", Stem("ext-key.pem"),
                      "-out", Stem("ext.csr")});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  auto signed_cert = Tp({"ca", "sign", Stem("ext.csr"), "--ca", Stem("inter.pem"), "--ca-key",
                         Stem("inter-key.pem"), "--config", Stem("config.json"), "--profile",
                         "client", "--bare", Stem("ext")});
  ASSERT_EQ(signed_cert.exit_code, 0) << signed_cert.err;
  EXPECT_EQ(Openssl({"verify", "-CAfile", Stem("ca.pem"), "-untrusted", Stem("inter.pem"),
                     Stem("ext.pem")}).exit_code,
            0);
  auto text = Openssl({"x509", "-in", Stem("ext.pem"), "-noout", "-subject", "-ext", "subjectAltName"}).out;
  EXPECT_NE(text.find("O = Ext, CN = external-client"), std::string::npos) << text;
  EXPECT_NE(text.find("DNS:ext.example, IP Address:192.0.2.1"), std::string::npos) << text;

  auto replaced = Tp({"ca", "sign", Stem("ext.csr"), "--ca", Stem("inter.pem"), "--ca-key",
                      Stem("inter-key.pem"), "--hostname", "a.example,10.0.0.1", "--bare", Stem("ext2")});
  ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
  text = Openssl({"x509", "-in", Stem("ext2.pem"), "-noout", "-ext", "subjectAltName"}).out;
  EXPECT_NE(text.find("DNS:a.example, IP Address:10.0.0.1"), std::string::npos) << text;

  auto garbage = Tp({"ca", "sign", Write("bad.csr", "garbage\n"), "--ca", Stem("inter.pem"),
                     "--ca-key", Stem("inter-key.pem")});
  EXPECT_EQ(garbage.exit_code, 2);
  EXPECT_NE(garbage.err.find("not a PEM certificate signing request"), std::string::npos) << garbage.err;
}

TEST_F(CaTest, NotAfterNeverPassesTheIssuers) {
  MakeRootAndIntermediate();
  Write("leaf.json", R"({"CN": "long-lived"})");
  ASSERT_EQ(Tp({"ca", "gencert", "--ca", Stem("inter.pem"), "--ca-key", Stem("inter-key.pem"),
                "--config", Stem("config.json"), "--profile", "forever", Stem("leaf.json"),
                "--bare", Stem("long")})
                .exit_code,
            0);
  auto leaf_end = Openssl({"x509", "-in", Stem("long.pem"), "-noout", "-enddate"}).out;
  auto inter_end = Openssl({"x509", "-in", Stem("inter.pem"), "-noout", "-enddate"}).out;
  EXPECT_EQ(leaf_end, inter_end);
}

TEST_F(CaTest, BadRequestsGetSpecificErrors) {
  MakeRootAndIntermediate();
  const std::vector<std::string> gen = {"ca", "gencert", "--ca", Stem("inter.pem"), "--ca-key",
                                        Stem("inter-key.pem"), "--config", Stem("config.json")};
  struct Case {
    std::string csr_json;
    std::vector<std::string> extra;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"({"CN": "x", "key": {"algo": "rsa", "size": 1024}})", {}, 2, "outside 2048..8192"},
      {R"({"CN": "x", "key": {"algo": "dsa"}})", {}, 2, "'dsa' is not supported"},
      {R"({"CN": "x", "hostz": []})", {}, 2, "unknown field 'hostz'"},
      {R"({"CN": )", {}, 2, "malformed CSR JSON"},
      {R"({"key": {"algo": "ecdsa", "size": 256}})", {}, 2, "names no subject"},
      {R"({"CN": "x"})", {"--profile", "server"}, 3, "unknown signing profile 'server' (known: client, forever)"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].csr_json);
    std::vector<std::string> args = gen;
    args.insert(args.end(), cases[i].extra.begin(), cases[i].extra.end());
    args.push_back(Write("bad" + std::to_string(i) + ".json", cases[i].csr_json));
    args.insert(args.end(), {"--bare", Stem("bad" + std::to_string(i))});
    auto r = Tp(args);
    EXPECT_EQ(r.exit_code, cases[i].exit_code) << r.err;
    EXPECT_NE(r.err.find(cases[i].message), std::string::npos) << r.err;
  }
  // A CA key that does not belong to the CA certificate is refused.
  Write("leaf.json", R"({"CN": "x"})");
  auto wrong = Tp({"ca", "gencert", "--ca", Stem("inter.pem"), "--ca-key", Stem("ca-key.pem"),
                   Stem("leaf.json"), "--bare", Stem("wrong")});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.err.find("does not belong"), std::string::npos) << wrong.err;
}

}  // namespace
}  // namespace trustplane::testing
