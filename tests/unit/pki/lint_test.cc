#include "trustplane/pki/lint.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "support/test_pki.h"
#include "trustplane/pki/serial_number.h"

namespace trustplane::pki {
namespace {

constexpr UnixSeconds kNow = 1800000000;  // 2027-01-15
constexpr int64_t kDay = 86400;

x509::PublicKeyInfo P256() {
  return {x509::KeyType::kEc, 256, "P-256", "ECDSA P-256"};
}

Usages UsagesOf(const std::vector<std::string>& names) {
  return ParseUsages(names).value();
}

// A leaf that every rule admits: subject and SANs, usages, a day of validity
// inside a CA valid for a year.
IssuancePlan GoodLeaf() {
  IssuancePlan p;
  p.subject_empty = false;
  p.sans = ClassifyHosts({"svc.example.com", "*.svc.example.com", "10.0.0.1", "::1",
                          "ops@example.com", "spiffe://acme/ns/prod/sa/svc"});
  p.usages = UsagesOf({"signing", "key encipherment", "client auth"});
  p.not_before = kNow - 300;
  p.not_after = kNow + kDay;
  p.serial = RandomSerialNumber();
  p.subject_key = P256();
  p.issuer = IssuerFacts{"CN=Test CA", kNow + 365 * kDay, std::nullopt};
  p.now = kNow;
  return p;
}

IssuancePlan GoodSubCa() {
  IssuancePlan p = GoodLeaf();
  p.sans = {};
  p.is_ca = true;
  p.path_len = 0;
  p.usages = UsagesOf({"cert sign", "crl sign"});
  p.issuer->path_len = 1;
  return p;
}

void ExpectRefused(const IssuancePlan& plan, const std::string& rule) {
  const Status s = LintIssuance(plan);
  ASSERT_FALSE(s.ok()) << "rule " << rule << " did not fire";
  EXPECT_EQ(s.code(), ErrorCode::kPolicy) << s.ToString();
  EXPECT_EQ(s.message().rfind("lint " + rule + ": ", 0), 0u) << s.message();
}

TEST(LintIssuanceTest, AdmitsGoodPlans) {
  EXPECT_TRUE(LintIssuance(GoodLeaf()).ok()) << LintIssuance(GoodLeaf()).ToString();
  EXPECT_TRUE(LintIssuance(GoodSubCa()).ok()) << LintIssuance(GoodSubCa()).ToString();

  IssuancePlan san_only = GoodLeaf();  // an empty subject is fine when SANs name the subject
  san_only.subject_empty = true;
  EXPECT_TRUE(LintIssuance(san_only).ok());

  IssuancePlan self_signed = GoodSubCa();  // a root has no issuer facts
  self_signed.issuer.reset();
  self_signed.path_len.reset();
  self_signed.not_after = kNow + 3650 * kDay;
  EXPECT_TRUE(LintIssuance(self_signed).ok());

  IssuancePlan at_issuer_end = GoodLeaf();  // NotAfter equal to the issuer's is allowed
  at_issuer_end.not_after = at_issuer_end.issuer->not_after;
  EXPECT_TRUE(LintIssuance(at_issuer_end).ok());

  IssuancePlan ca_without_issuer_limit = GoodSubCa();
  ca_without_issuer_limit.issuer->path_len.reset();
  ca_without_issuer_limit.path_len = 5;
  EXPECT_TRUE(LintIssuance(ca_without_issuer_limit).ok());
}

TEST(LintIssuanceTest, AdmitsStrongKeys) {
  for (const x509::PublicKeyInfo& key :
       {x509::PublicKeyInfo{x509::KeyType::kRsa, 2048, "", "RSA 2048"},
        x509::PublicKeyInfo{x509::KeyType::kRsa, 4096, "", "RSA 4096"},
        x509::PublicKeyInfo{x509::KeyType::kEc, 384, "P-384", "ECDSA P-384"},
        x509::PublicKeyInfo{x509::KeyType::kEc, 521, "P-521", "ECDSA P-521"},
        x509::PublicKeyInfo{x509::KeyType::kEd25519, 256, "", "Ed25519"}}) {
    IssuancePlan p = GoodLeaf();
    p.subject_key = key;
    EXPECT_TRUE(LintIssuance(p).ok()) << key.description << ": " << LintIssuance(p).ToString();
  }
}

TEST(LintIssuanceTest, EmptySubjectNoSan) {
  IssuancePlan p = GoodLeaf();
  p.subject_empty = true;
  p.sans = {};
  ExpectRefused(p, "empty-subject-no-san");
}

TEST(LintIssuanceTest, NoKeyUsage) {
  IssuancePlan p = GoodLeaf();
  p.usages = {};
  ExpectRefused(p, "no-key-usage");
}

TEST(LintIssuanceTest, CaWithoutKeyCertSign) {
  IssuancePlan p = GoodSubCa();
  p.usages = UsagesOf({"crl sign", "signing"});
  ExpectRefused(p, "ca-without-keycertsign");
}

TEST(LintIssuanceTest, LeafWithKeyCertSign) {
  IssuancePlan p = GoodLeaf();
  p.usages = UsagesOf({"signing", "cert sign"});
  ExpectRefused(p, "leaf-with-keycertsign");
}

TEST(LintIssuanceTest, SerialNumberZeroOrTooLong) {
  for (const std::string& serial : std::vector<std::string>{
           std::string(), std::string(1, '\0'), std::string(20, '\0'), std::string(21, '\x01'),
           std::string(1, '\x80') + std::string(19, '\x01')}) {  // 20 bytes + sign octet = 21
    IssuancePlan p = GoodLeaf();
    p.serial = serial;
    ExpectRefused(p, "serial-number");
  }
}

TEST(LintIssuanceTest, SerialNumberAtTheLimitIsFine) {
  for (const std::string& serial : std::vector<std::string>{
           std::string(1, '\x01'), std::string(20, '\x7f'),
           std::string(3, '\0') + std::string(20, '\x7f'),  // leading zero bytes do not count
           std::string(1, '\0') + std::string(1, '\x80') + std::string(18, '\x01')}) {
    IssuancePlan p = GoodLeaf();
    p.serial = serial;
    EXPECT_TRUE(LintIssuance(p).ok()) << SerialHex(serial) << ": " << LintIssuance(p).ToString();
  }
}

TEST(LintIssuanceTest, WeakSubjectKey) {
  for (const x509::PublicKeyInfo& key :
       {x509::PublicKeyInfo{x509::KeyType::kRsa, 1024, "", "RSA 1024"},
        x509::PublicKeyInfo{x509::KeyType::kRsa, 2047, "", "RSA 2047"},
        x509::PublicKeyInfo{x509::KeyType::kEc, 256, "secp256k1", "ECDSA secp256k1"},
        x509::PublicKeyInfo{x509::KeyType::kEc, 224, "P-224", "ECDSA P-224"},
        x509::PublicKeyInfo{x509::KeyType::kDsa, 2048, "", "DSA 2048"},
        x509::PublicKeyInfo{x509::KeyType::kEd448, 456, "", "Ed448"}}) {
    IssuancePlan p = GoodLeaf();
    p.subject_key = key;
    ExpectRefused(p, "weak-subject-key");
  }
}

TEST(LintIssuanceTest, IssuerExpired) {
  IssuancePlan p = GoodLeaf();
  p.issuer->not_after = kNow - 1;
  p.not_after = kNow - 2;
  ExpectRefused(p, "issuer-expired");
}

TEST(LintIssuanceTest, ValidityPastIssuer) {
  IssuancePlan p = GoodLeaf();
  p.not_after = p.issuer->not_after + 1;
  ExpectRefused(p, "validity-past-issuer");
}

TEST(LintIssuanceTest, ValidityEmpty) {
  IssuancePlan p = GoodLeaf();
  p.not_after = p.not_before;
  ExpectRefused(p, "validity-empty");
  p.not_after = p.not_before - 60;
  ExpectRefused(p, "validity-empty");
}

TEST(LintIssuanceTest, IssuerPathLen) {
  IssuancePlan under_zero = GoodSubCa();
  under_zero.issuer->path_len = 0;
  ExpectRefused(under_zero, "issuer-pathlen");

  IssuancePlan not_below = GoodSubCa();
  not_below.issuer->path_len = 1;
  not_below.path_len = 1;
  ExpectRefused(not_below, "issuer-pathlen");

  // A leaf under a pathlen-0 CA is what pathlen 0 is for.
  IssuancePlan leaf = GoodLeaf();
  leaf.issuer->path_len = 0;
  EXPECT_TRUE(LintIssuance(leaf).ok());
}

TEST(LintIssuanceTest, SanSyntax) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a..example.com", "san-dns-syntax"},    {"exa_mple.com:8443", "san-dns-syntax"},
      {"foo.*.example.com", "san-dns-syntax"}, {"ops@exa mple.com", "san-email-syntax"},
      {"@example.com", "san-email-syntax"},    {"ops@*.example.com", "san-email-syntax"},
  };
  for (const auto& [host, rule] : cases) {
    IssuancePlan p = GoodLeaf();
    p.sans = ClassifyHosts({host});
    ExpectRefused(p, rule);
    EXPECT_NE(LintIssuance(p).message().find(host), std::string::npos) << LintIssuance(p).message();
  }
  // ClassifyHosts never makes a URI without a scheme, so set one directly.
  IssuancePlan p = GoodLeaf();
  p.sans.uri = {"spiffe:"};
  ExpectRefused(p, "san-uri-syntax");
  p.sans.uri = {"https://a b/"};
  ExpectRefused(p, "san-uri-syntax");
}

TEST(LintIssuerTest, AdmitsACa) {
  const testing::Issued ca = testing::MakeRootCa("Lint Root");
  EXPECT_TRUE(LintIssuer(ca.cert).ok()) << LintIssuer(ca.cert).ToString();
}

TEST(LintIssuerTest, IssuerNotCa) {
  const testing::Issued ca = testing::MakeRootCa("Lint Root");
  const testing::Issued leaf = testing::MakeClientLeaf("leaf", ca);
  const Status s = LintIssuer(leaf.cert);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kPolicy);
  EXPECT_EQ(s.message().rfind("lint issuer-not-ca: ", 0), 0u) << s.message();

  testing::CertSpec no_bc;
  no_bc.cn = "no basic constraints";
  no_bc.basic_constraints = false;
  EXPECT_EQ(
      LintIssuer(testing::MakeSelfSigned(no_bc).cert).message().rfind("lint issuer-not-ca: ", 0),
      0u);
}

TEST(LintIssuerTest, IssuerWithoutKeyCertSign) {
  testing::CertSpec spec;
  spec.cn = "CA without keyCertSign";
  spec.is_ca = true;
  spec.key_cert_sign = false;
  const Status s = LintIssuer(testing::MakeSelfSigned(spec).cert);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kPolicy);
  EXPECT_EQ(s.message().rfind("lint issuer-without-keycertsign: ", 0), 0u) << s.message();
}

TEST(LintIssuanceTest, NameConstraintsOfCasAboveTheIssuerBindToo) {
  NameConstraints root_nc;
  root_nc.permitted.dns = {"example.com"};
  IssuancePlan plan = GoodLeaf();
  plan.sans = ClassifyHosts({"svc.example.com"});
  plan.issuer->ancestor_name_constraints.emplace_back("CN=Constrained Root", root_nc);
  EXPECT_TRUE(LintIssuance(plan).ok()) << LintIssuance(plan).ToString();

  plan.sans = ClassifyHosts({"svc.example.net"});
  ExpectRefused(plan, "name-constraints-violated");
  EXPECT_NE(LintIssuance(plan).message().find("of the CA certificate CN=Constrained Root above the issuer"),
            std::string::npos)
      << LintIssuance(plan).message();
}

TEST(LintIssuanceTest, NameConstraintsStayOnCasAndBoundWhatIsBelowThem) {
  IssuancePlan leaf = GoodLeaf();
  leaf.has_name_constraints = true;
  ExpectRefused(leaf, "name-constraints-on-leaf");
  IssuancePlan sub_ca = GoodSubCa();
  sub_ca.has_name_constraints = true;
  EXPECT_TRUE(LintIssuance(sub_ca).ok());

  NameConstraints nc;
  nc.permitted.dns = {"example.com"};
  nc.permitted.ip = {"10.0.0.0/8", "::1/128"};
  nc.permitted.email = {"example.com"};
  nc.permitted.uri = {"acme"};
  IssuancePlan inside = GoodLeaf();
  inside.common_name = "svc.example.com";
  inside.issuer->name_constraints = nc;
  EXPECT_TRUE(LintIssuance(inside).ok()) << LintIssuance(inside).ToString();

  IssuancePlan cn_outside = inside;  // a leaf's host-like CN counts as a DNS name
  cn_outside.common_name = "svc.example.net";
  ExpectRefused(cn_outside, "name-constraints-violated");
  IssuancePlan label_cn = inside;  // a CN that is no host name does not
  label_cn.common_name = "Service Account 7";
  EXPECT_TRUE(LintIssuance(label_cn).ok());
  IssuancePlan ca_cn = GoodSubCa();  // nor does a CA's
  ca_cn.common_name = "ca.example.net";
  ca_cn.issuer->name_constraints = nc;
  EXPECT_TRUE(LintIssuance(ca_cn).ok()) << LintIssuance(ca_cn).ToString();

  IssuancePlan ip_outside = inside;
  ip_outside.sans.ip.push_back("172.16.0.1");
  ExpectRefused(ip_outside, "name-constraints-violated");
  EXPECT_NE(LintIssuance(ip_outside).message().find("'172.16.0.1' is outside permitted ip [10.0.0.0/8, ::1/128]"),
            std::string::npos)
      << LintIssuance(ip_outside).message();
}

}  // namespace
}  // namespace trustplane::pki
