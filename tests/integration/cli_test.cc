// The CLI as a user drives it: onboarding, listing, claims, export/import, verify.
#include <algorithm>

#include "cli_fixture.h"

namespace trustplane::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// openssl's fingerprint line, lowercased without ':' (the seed's pipeline).
std::string OpensslFingerprint(const std::string& path, const std::string& inform,
                               const std::string& digest) {
  auto r = RunProcess({"openssl", "x509", "-inform", inform, "-in", path, "-noout",
                       "-fingerprint", "-" + digest});
  std::string line = r.out.substr(r.out.find('=') + 1);
  line.erase(std::remove(line.begin(), line.end(), ':'), line.end());
  line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
  return Lower(line);
}

TEST_F(CliTest, FingerprintsEqualOpensslForEveryKeyTypeAndFormat) {
  for (auto [name, kind] : {std::pair{"rsa", KeyKind::kRsa2048}, std::pair{"ec", KeyKind::kEcP256},
                            std::pair{"ed25519", KeyKind::kEd25519}}) {
    CertSpec spec;
    spec.cn = std::string("fp-") + name;
    spec.is_ca = true;
    spec.key = kind;
    Issued cert = MakeSelfSigned(spec);
    std::string pem = WritePem(std::string(name) + ".pem", cert);
    std::string der = Write(std::string(name) + ".der", DerOf(cert));
    std::string p7b = Write(std::string(name) + ".p7b", Pkcs7Of({cert}, /*pem=*/false));
    std::string expected = OpensslFingerprint(pem, "PEM", "sha256");
    ASSERT_EQ(expected.size(), 64u);
    EXPECT_EQ(expected, OpensslFingerprint(der, "DER", "sha256"));
    for (const auto& file : {pem, der, p7b}) {
      auto r = Tp({"cert", "fingerprint", file});
      EXPECT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.out, expected + "\n") << file;
    }
    auto info = TpJson({"cert", "inspect", pem});
    EXPECT_EQ(info[0]["sha1"], OpensslFingerprint(pem, "PEM", "sha1"));
  }
}

TEST_F(CliTest, FingerprintPrintsOnePerCertificateInFileOrder) {
  Issued a = MakeRootCa("order-a"), b = MakeRootCa("order-b"), c = MakeRootCa("order-c");
  std::string bundle = Write("bundle.pem", "leading text\r\n" + b.cert_pem + "between\n" +
                                               a.cert_pem);
  std::string single = WritePem("c.pem", c);
  auto r = Tp({"cert", "fingerprint", bundle, single});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, b.cert.sha256_hex() + "\n" + a.cert.sha256_hex() + "\n" +
                       c.cert.sha256_hex() + "\n");
}

TEST_F(CliTest, OnboardsRootAndIntermediateThenReportsAlreadyTrusted) {
  Issued root = MakeRootCa("acme root");
  Issued inter = MakeIntermediateCa("acme issuing", root);
  // Intermediate first: order in the bundle must not matter.
  std::string bundle = Write("acme.pem", inter.cert_pem + root.cert_pem);
  auto first = TpJson({"trust", "add", "--tenant", "acme", bundle});
  ASSERT_EQ(first["certificates"].size(), 2u);
  EXPECT_EQ(first["certificates"][0]["kind"], "intermediate");
  EXPECT_EQ(first["certificates"][0]["result"], "added");
  EXPECT_EQ(first["certificates"][1]["kind"], "anchor");
  EXPECT_EQ(first["certificates"][1]["result"], "added");

  auto again = Tp({"trust", "add", "--tenant", "acme", bundle});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already-trusted"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find(" added"), std::string::npos) << again.out;

  EXPECT_EQ(TrustedSet(), (std::vector<std::string>{
                              "anchor " + root.cert.sha256_hex() + " acme;",
                              "intermediate " + inter.cert.sha256_hex() + " acme;"}));
  auto events = AuditEvents();
  ASSERT_EQ(events.size(), 1u) << events.dump();
  EXPECT_EQ(events[0]["action"], "trust.add");
  EXPECT_EQ(events[0]["actor"], "test:cli");
  EXPECT_EQ(events[0]["fingerprints"].size(), 2u);
}

TEST_F(CliTest, SharedCaIsStoredOnceAndStaysWhileAnyTenantClaimsIt) {
  Issued root = MakeRootCa("commercial root");
  std::string file = WritePem("root.pem", root);
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "acme", file}).exit_code, 0);
  auto second = Tp({"trust", "add", "--tenant", "globex", file});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("claimed for tenant globex"), std::string::npos) << second.out;
  const std::string fp = root.cert.sha256_hex();
  EXPECT_EQ(TrustedSet(), std::vector<std::string>{"anchor " + fp + " acme;globex;"});

  auto drop = Tp({"trust", "remove", fp, "--tenant", "acme", "--reason", "acme left"});
  ASSERT_EQ(drop.exit_code, 0) << drop.err;
  EXPECT_EQ(TrustedSet(), std::vector<std::string>{"anchor " + fp + " globex;"});
  // acme no longer claims it: a second unclaim is "not found".
  EXPECT_EQ(Tp({"trust", "remove", fp, "--tenant", "acme", "--reason", "again"}).exit_code, 3);

  ASSERT_EQ(Tp({"trust", "remove", fp, "--tenant", "globex", "--reason", "globex left"}).exit_code, 0);
  EXPECT_TRUE(TrustedSet().empty());
  EXPECT_EQ(Tp({"trust", "show", fp}).exit_code, 3);

  std::vector<std::string> actions;
  for (const auto& e : AuditEvents()) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"trust.add", "trust.claim", "trust.unclaim",
                                               "trust.remove"}));
}

TEST_F(CliTest, OperatorRemoveDropsForEveryTenant) {
  Issued root = MakeRootCa("to remove");
  std::string file = WritePem("root.pem", root);
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "a", file}).exit_code, 0);
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "b", file}).exit_code, 0);
  auto r = Tp({"trust", "remove", root.cert.sha256_hex(), "--reason", "compromised"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(TrustedSet().empty());
  auto events = AuditEvents();
  EXPECT_EQ(events.back()["reason"], "compromised");
  EXPECT_EQ(events.back()["result"], "removed");
}

TEST_F(CliTest, ListFiltersByTenantKindAndExpiry) {
  Issued a = MakeRootCa("tenant a root");
  CertSpec soon;
  soon.cn = "expiring soon";
  soon.is_ca = true;
  soon.not_after = time(nullptr) + 10 * 86400;
  Issued b = MakeSelfSigned(soon);
  Issued client = MakeClientLeaf("partner", a);
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "a", WritePem("a.pem", a)}).exit_code, 0);
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "b", WritePem("b.pem", b)}).exit_code, 0);
  ASSERT_EQ(Tp({"trust", "add", "--as", "allowlisted", WritePem("c.pem", client)}).exit_code, 0);
  EXPECT_EQ(TpJson({"trust", "list", "--tenant", "a"}).size(), 1u);
  EXPECT_EQ(TpJson({"trust", "list", "--kind", "allowlisted"}).size(), 1u);
  auto expiring = TpJson({"trust", "list", "--expiring-within", "30d"});
  ASSERT_EQ(expiring.size(), 1u);
  EXPECT_EQ(expiring[0]["sha256"], b.cert.sha256_hex());
}

TEST_F(CliTest, ExportIsDeterministicAndImportsIntoAnotherHome) {
  Issued root = MakeRootCa("export root");
  Issued inter = MakeIntermediateCa("export issuing", root);
  Issued other = MakeRootCa("export other");
  Issued client = MakeClientLeaf("allowlisted client", other);
  ASSERT_EQ(Tp({"trust", "add", WritePem("r.pem", root), WritePem("i.pem", inter)}).exit_code, 0);
  ASSERT_EQ(Tp({"trust", "add", WritePem("o.pem", other)}).exit_code, 0);
  ASSERT_EQ(Tp({"trust", "add", "--as", "allowlisted", WritePem("c.pem", client)}).exit_code, 0);

  auto y1 = Tp({"trust", "export", "--id", "prod-mtls"});
  auto y2 = Tp({"trust", "export", "--id", "prod-mtls"});
  ASSERT_EQ(y1.exit_code, 0) << y1.err;
  EXPECT_EQ(y1.out, y2.out);
  EXPECT_NE(y1.out.find("trustAnchors"), std::string::npos);
  EXPECT_NE(y1.out.find("intermediateCas"), std::string::npos);
  EXPECT_NE(y1.out.find("allowlistedCertificates"), std::string::npos);
  std::string exported = Write("exported.yaml", y1.out);
  auto json = Tp({"trust", "export", "--format", "json", "-o", dir().Join("exported.json")});
  ASSERT_EQ(json.exit_code, 0) << json.err;

  auto diff_same = Tp({"trust", "diff", exported});
  EXPECT_EQ(diff_same.exit_code, 0);
  EXPECT_NE(diff_same.out.find("no differences"), std::string::npos) << diff_same.out;

  auto before = TrustedSet();
  ASSERT_EQ(Tp({"trust", "remove", other.cert.sha256_hex(), "--reason", "test"}).exit_code, 0);
  auto diff = Tp({"trust", "diff", exported});
  EXPECT_NE(diff.out.find("+ anchor " + other.cert.sha256_hex()), std::string::npos) << diff.out;

  auto imported = Tp({"trust", "import", exported});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(TrustedSet(), before);

  // A second home imports the JSON form and renders byte-identical YAML.
  auto r = RunProcess({TRUSTPLANE_BIN, "--home", dir().Join("home2"), "init"});
  ASSERT_EQ(r.exit_code, 0);
  r = RunProcess({TRUSTPLANE_BIN, "--home", dir().Join("home2"), "trust", "import",
                  dir().Join("exported.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunProcess({TRUSTPLANE_BIN, "--home", dir().Join("home2"), "trust", "export", "--id",
                  "prod-mtls"});
  EXPECT_EQ(r.out, y1.out);
}

TEST_F(CliTest, VerifyExplainsLikeTheLoadBalancer) {
  Issued root = MakeRootCa("verify root");
  Issued inter = MakeIntermediateCa("verify issuing", root);
  Issued leaf = MakeClientLeaf("svc-a", inter);
  ASSERT_EQ(Tp({"trust", "add", WritePem("r.pem", root)}).exit_code, 0);

  std::string leaf_file = WritePem("leaf.pem", leaf);
  std::string chain_file = WritePem("chain.pem", inter);
  auto missing_chain = Tp({"verify", "--cert", leaf_file});
  EXPECT_EQ(missing_chain.exit_code, 5);
  EXPECT_NE(missing_chain.out.find("client_cert_validation_failed"), std::string::npos);

  auto ok = Tp({"verify", "--cert", leaf_file, "--chain", chain_file});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("ok:"), std::string::npos);

  auto later = Tp({"verify", "--cert", leaf_file, "--chain", chain_file, "--at",
                   "2099-01-01T00:00:00Z"});
  EXPECT_EQ(later.exit_code, 5);

  CertSpec no_eku;
  no_eku.cn = "no eku";
  Issued bad = MakeIssued(no_eku, inter);
  auto eku = Tp({"verify", "--cert", WritePem("bad.pem", bad), "--chain", chain_file});
  EXPECT_EQ(eku.exit_code, 5);
  EXPECT_NE(eku.out.find("client_cert_chain_invalid_eku"), std::string::npos) << eku.out;
}

TEST_F(CliTest, ExportRefusesOverTheCertificateManagerLimitByHowMuch) {
  std::string files;
  std::vector<std::string> args = {"trust", "add"};
  for (int i = 0; i < 201; ++i) {
    CertSpec spec;
    spec.cn = "limit root " + std::to_string(i);
    spec.is_ca = true;
    args.push_back(WritePem("limit" + std::to_string(i) + ".pem", MakeSelfSigned(spec)));
  }
  auto add = Tp(args);
  ASSERT_EQ(add.exit_code, 0) << add.err;
  auto r = Tp({"trust", "export"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("200"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("201"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 over"), std::string::npos) << r.err;
}

TEST_F(CliTest, AuditVerifyDetectsAnEditedEvent) {
  Issued root = MakeRootCa("audit root");
  ASSERT_EQ(Tp({"trust", "add", WritePem("r.pem", root)}).exit_code, 0);
  ASSERT_EQ(Tp({"trust", "remove", root.cert.sha256_hex(), "--reason", "x"}).exit_code, 0);
  ASSERT_EQ(Tp({"audit", "verify"}).exit_code, 0);
  // Tamper with the first event's payload on disk, as someone with bucket access might.
  auto r = RunProcess({"sh", "-c",
                       "f=$(grep -rl 'trust.add' '" + home() + "/bucket' | head -1) && "
                       "sed -i 's/test:cli/test:mallory/' \"$f\""});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto verify = Tp({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 4) << verify.out << verify.err;
}

TEST_F(CliTest, CommandsOnAMissingHomeSayHowToCreateIt) {
  auto r = RunProcess({TRUSTPLANE_BIN, "--home", dir().Join("nowhere"), "trust", "list"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("trustplane init"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace trustplane::testing
