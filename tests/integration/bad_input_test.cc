// A corpus of bad inputs: each gets its own clear message and documented exit
// code, and none changes the trusted set or adds a non-"rejected" audit event.
#include <filesystem>

#include "cli_fixture.h"

namespace trustplane::testing {
namespace {

struct BadCase {
  std::string name;
  std::vector<std::string> args;  // "{file}" is replaced by the case's file
  std::string file_content;       // written to {file} when non-empty or create_file
  bool create_file = true;
  int exit_code;
  std::string message;  // must appear in stderr or stdout
};

class BadInputTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    // A non-empty store, so "unchanged" means something.
    Issued trusted_root = MakeRootCa("already trusted root");
    ASSERT_EQ(Tp({"trust", "add", "--tenant", "t0", WritePem("trusted.pem", trusted_root)}).exit_code, 0);
  }

  void Check(const BadCase& c) {
    SCOPED_TRACE(c.name);
    auto before_set = TrustedSet();
    auto before_events = AuditEvents();
    std::string file = dir().Join("files/" + c.name);
    if (c.create_file) WriteFile(file, c.file_content);
    std::vector<std::string> args;
    for (const auto& a : c.args) args.push_back(a == "{file}" ? file : a);
    auto r = Tp(args);
    EXPECT_EQ(r.exit_code, c.exit_code) << "stdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_NE((r.err + r.out).find(c.message), std::string::npos)
        << "expected message '" << c.message << "'\nstdout: " << r.out << "\nstderr: " << r.err;
    EXPECT_EQ(TrustedSet(), before_set);
    auto after_events = AuditEvents();
    ASSERT_GE(after_events.size(), before_events.size());
    for (size_t i = before_events.size(); i < after_events.size(); ++i) {
      EXPECT_EQ(after_events[i]["result"], "rejected") << after_events[i].dump();
    }
    ++checked_;
  }

  int checked_ = 0;
};

std::string Truncate(const std::string& s, size_t n) { return s.substr(0, n); }

TEST_F(BadInputTest, EveryBadInputIsRefusedWithItsOwnMessageAndNothingChanges) {
  const std::vector<std::string> add = {"trust", "add", "{file}"};
  Issued root = MakeRootCa("corpus root");
  Issued inter = MakeIntermediateCa("corpus issuing", root);
  Issued leaf = MakeClientLeaf("corpus client", inter);
  std::string der = DerOf(root);

  auto spec_ca = [](const std::string& cn) {
    CertSpec s;
    s.cn = cn;
    s.is_ca = true;
    return s;
  };
  CertSpec expired = spec_ca("expired ca");
  expired.not_before = time(nullptr) - 400 * 86400;
  expired.not_after = time(nullptr) - 86400;
  CertSpec future = spec_ca("future ca");
  future.not_before = time(nullptr) + 86400;
  future.not_after = time(nullptr) + 400 * 86400;
  CertSpec rsa1024 = spec_ca("rsa1024 root");
  rsa1024.key = KeyKind::kRsa1024;
  CertSpec p521 = spec_ca("p521 root");
  p521.key = KeyKind::kEcP521;
  CertSpec ed = spec_ca("ed25519 root");
  ed.key = KeyKind::kEd25519;
  CertSpec sha1_inter = spec_ca("sha1 intermediate");
  sha1_inter.digest = "SHA1";
  CertSpec sha1_root = spec_ca("sha1 root");
  sha1_root.digest = "SHA1";
  CertSpec no_kcs = spec_ca("no keycertsign");
  no_kcs.key_cert_sign = false;
  CertSpec no_bc = spec_ca("no basic constraints");
  no_bc.basic_constraints = false;
  CertSpec big = spec_ca("oversized root");
  for (int i = 0; i < 120; ++i) big.dns.push_back("host-" + std::to_string(i) + ".very-long-name.example.com");
  CertSpec nc = spec_ca("eleven name constraints");
  nc.name_constraints = 11;
  CertSpec no_client_auth;
  no_client_auth.cn = "server only";
  no_client_auth.eku = {"serverAuth"};
  Issued orphan_root = MakeRootCa("unknown root");
  Issued orphan = MakeIntermediateCa("orphan issuing", orphan_root);

  std::string tampered = MakeRootCa("tampered root").cert_pem;
  {
    // Flip one character inside the signature (the end of the base64 body).
    size_t end = tampered.find("-----END");
    size_t pos = end - 10;
    tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
  }

  std::string key_pem = leaf.key_pem;
  std::string csr = RunProcess({"openssl", "req", "-new", "-key", Write("k.pem", key_pem), "-subj",
                                "/CN=csr"}).out;
  std::string pubkey = RunProcess({"openssl", "pkey", "-in", Write("k2.pem", key_pem), "-pubout"}).out;
  std::string enc_key = RunProcess({"openssl", "pkcs8", "-topk8", "-in", Write("k3.pem", key_pem),
                                    "-passout", "pass:secret", "-v2", "aes-256-cbc"}).out;
  std::string ec_trad = RunProcess({"openssl", "ec", "-in", Write("k4.pem", key_pem)}).out;
  std::string random_bytes;
  for (int i = 0; i < 512; ++i) random_bytes.push_back(static_cast<char>((i * 7919 + 13) & 0xff));

  std::vector<BadCase> cases = {
      {"empty", add, "", true, 2, "empty"},
      {"whitespace", add, "   \n\t\n", true, 2, "whitespace"},
      {"garbage-text", add, "hello, this is not a certificate\n", true, 2, "without any -----BEGIN"},
      {"random-binary", add, random_bytes, true, 2, "neither PEM nor DER"},
      {"truncated-der", add, Truncate(der, der.size() / 2), true, 2, "truncated"},
      {"truncated-pem", add, Truncate(root.cert_pem, root.cert_pem.size() - 30), true, 2, "END"},
      {"bad-base64", add,
       "-----BEGIN CERTIFICATE-----\n@@@@notbase64@@@@\n-----END CERTIFICATE-----\n", true, 2,
       "base64"},
      {"private-key", add, key_pem, true, 2, "private key"},
      {"ec-private-key", add, ec_trad, true, 2, "private key"},
      {"encrypted-private-key", add, enc_key, true, 2, "private key"},
      {"cert-plus-key", add, root.cert_pem + key_pem, true, 2, "private key"},
      {"csr", add, csr, true, 2, "signing request"},
      {"public-key", add, pubkey, true, 2, "public key"},
      {"missing-file", add, "", false, 2, "No such file"},
      {"oversized-file", add, std::string(2 << 20, 'A'), true, 2, "limit"},
      {"der-trailing-garbage", add, der + "junk", true, 2, "trailing"},
      {"json-file", add, "{\"certificate\": \"nope\"}\n", true, 2, "without any -----BEGIN"},
      {"leaf-as-anchor", add, leaf.cert_pem, true, 5, "leaf"},
      {"leaf-forced-anchor", {"trust", "add", "--as", "anchor", "{file}"}, leaf.cert_pem, true, 5,
       "anchor-not-ca"},
      {"expired-ca", add, MakeSelfSigned(expired).cert_pem, true, 5, "expired"},
      {"not-yet-valid-ca", add, MakeSelfSigned(future).cert_pem, true, 5, "not-yet-valid"},
      {"rsa-1024-root", add, MakeSelfSigned(rsa1024).cert_pem, true, 5, "1024"},
      {"p521-root", add, MakeSelfSigned(p521).cert_pem, true, 5, "P-521"},
      {"ed25519-root", add, MakeSelfSigned(ed).cert_pem, true, 5, "key-algorithm"},
      {"sha1-intermediate", add, MakeIssued(sha1_inter, root).cert_pem + root.cert_pem, true, 5,
       "signature-digest"},
      {"sha1-root", add, MakeSelfSigned(sha1_root).cert_pem, true, 5, "SHA1"},
      {"no-path-to-root", add, orphan.cert_pem, true, 5, "no-path-to-root"},
      {"ca-without-keycertsign", add, MakeSelfSigned(no_kcs).cert_pem, true, 5, "keycertsign"},
      {"no-basic-constraints", add, MakeSelfSigned(no_bc).cert_pem, true, 5, "leaf"},
      {"oversized-pem", add, MakeSelfSigned(big).cert_pem, true, 5, "pem-too-large"},
      {"name-constraints", add, MakeSelfSigned(nc).cert_pem, true, 5, "11"},
      {"tampered-self-signature", add, tampered, true, 5, "self-signature"},
      {"allowlisted-ca", {"trust", "add", "--as", "allowlisted", "{file}"}, root.cert_pem, true, 5,
       "allowlisted-not-leaf"},
      {"allowlisted-no-client-auth", {"trust", "add", "--as", "allowlisted", "{file}"},
       MakeIssued(no_client_auth, inter).cert_pem, true, 5, "allowlisted-no-client-auth"},
      {"good-root-bad-intermediate", add, root.cert_pem + MakeIssued(sha1_inter, root).cert_pem,
       true, 5, "nothing was added"},
      {"leaf-forced-intermediate", {"trust", "add", "--as", "intermediate", "{file}"},
       leaf.cert_pem, true, 5, "not-ca"},
      {"unknown-kind", {"trust", "add", "--as", "root", "{file}"}, root.cert_pem, true, 2, "root"},
      {"remove-bad-fingerprint", {"trust", "remove", "xyz", "--reason", "r"}, "", false, 2,
       "not a SHA-256 fingerprint"},
      {"remove-unknown", {"trust", "remove", std::string(64, 'a'), "--reason", "r"}, "", false, 3,
       "no trusted certificate"},
      {"remove-without-reason", {"trust", "remove", std::string(64, 'a')}, "", false, 2, "reason"},
      {"show-unknown", {"trust", "show", std::string(64, 'b')}, "", false, 3, "no trusted certificate"},
      {"bad-duration", {"trust", "list", "--expiring-within", "soon"}, "", false, 2, "duration"},
      {"bad-time", {"verify", "--cert", "{file}", "--at", "yesterday"}, leaf.cert_pem, true, 2,
       "RFC 3339"},
      {"import-not-yaml", {"trust", "import", "{file}"}, "trustStores: [unclosed\n", true, 2, "{file}"},
      {"import-two-trust-stores", {"trust", "import", "{file}"},
       "trustStores:\n- trustAnchors: []\n- trustAnchors: []\n", true, 5, "1 trust store"},
      {"import-unknown-key", {"trust", "import", "{file}"}, "trustAnchor:\n- pemCertificate: x\n",
       true, 2, "trustAnchor"},
      {"export-bad-id", {"trust", "export", "--id", "Bad_ID"}, "", false, 2, "Bad_ID"},
      {"unknown-command", {"trust", "frobnicate"}, "", false, 2, "frobnicate"},
      {"missing-verb", {"trust"}, "", false, 2, "add, list"},
  };
  for (auto& c : cases) {
    for (auto& m : {&c.message}) {
      if (*m == "{file}") *m = c.name;
    }
    Check(c);
  }
  EXPECT_GE(checked_, 40);
}

}  // namespace
}  // namespace trustplane::testing
