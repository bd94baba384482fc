// The trust-config model: kinds, ids, canonical form, rendering, limits, diff.
// Parsing files as gcloud writes them is in trust_config_parse_test.cc.
#include "trustplane/trust/trust_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"
#include "support/test_pki.h"

namespace trustplane::trust {
namespace {

using testing::CertSpec;
using ::testing::HasSubstr;
using testing::MakeClientLeaf;
using testing::MakeIntermediateCa;
using testing::MakeRootCa;
using testing::MakeSelfSigned;
using ::testing::Not;

// n distinct certificates, made once per process (limit tests need hundreds).
std::vector<x509::Certificate> DistinctCerts(size_t n) {
  static std::vector<x509::Certificate> pool;
  while (pool.size() < n) {
    CertSpec spec;
    spec.cn = "limit-test-" + std::to_string(pool.size());
    pool.push_back(MakeSelfSigned(spec).cert);
  }
  return {pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(n)};
}

// A PEM as Google's docs write it inside a double-quoted YAML scalar.
std::string Escaped(const std::string& pem) {
  std::string out;
  for (char c : pem) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

struct Pki {
  testing::Issued root_a, root_b, inter, leaf;
};
// Made once per process; tests only read them.
const Pki& P() {
  static const Pki pki = [] {
    testing::Issued root_a = MakeRootCa("root a");
    testing::Issued inter = MakeIntermediateCa("issuing ca", root_a);
    testing::Issued leaf = MakeClientLeaf("client-1", inter);
    return Pki{root_a, MakeRootCa("root b", testing::KeyKind::kRsa2048), inter, leaf};
  }();
  return pki;
}

// anchors a+b, intermediate, allowlisted leaf, canonicalized.
TrustConfig Full() {
  TrustConfig c;
  c.id = "my-tc";
  c.description = "tenant CAs";
  c.anchors = {P().root_b.cert, P().root_a.cert};
  c.intermediates = {P().inter.cert};
  c.allowlisted = {P().leaf.cert};
  c.Canonicalize();
  return c;
}

TEST(TrustKind, NamesRoundTrip) {
  for (TrustKind k : {TrustKind::kAnchor, TrustKind::kIntermediate, TrustKind::kAllowlisted}) {
    auto parsed = ParseTrustKind(TrustKindName(k));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(TrustKindName(TrustKind::kAnchor), "anchor");
  EXPECT_EQ(TrustKindName(TrustKind::kIntermediate), "intermediate");
  EXPECT_EQ(TrustKindName(TrustKind::kAllowlisted), "allowlisted");
  auto bad = ParseTrustKind("root");
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("\"root\""));
  EXPECT_THAT(bad.status().message(), HasSubstr("anchor, intermediate or allowlisted"));
}

TEST(TrustConfigId, AcceptsTheRestRule) {
  for (const std::string& id :
       std::vector<std::string>{"a", "my-tc", "0-9", "-", std::string(63, 'z')}) {
    EXPECT_TRUE(ValidateTrustConfigId(id).ok()) << id;
  }
}

TEST(TrustConfigId, RejectsWithTheIdAndTheRule) {
  struct Case {
    std::string id, expected;
  } cases[] = {
      {"", "trust config id is empty"},
      {"My-tc", "trust config id \"My-tc\" has \"M\" at position 1"},
      {"my_tc", "trust config id \"my_tc\" has \"_\" at position 3"},
      {"my tc", "has \" \" at position 3"},
      {"caf\xc3\xa9", "has \"\\xc3\" at position 4"},
      {std::string(64, 'a'),
       "\"" + std::string(64, 'a') + "\" is 64 characters long, 1 over the maximum of 63"},
      {std::string(70, 'a'), "is 70 characters long, 7 over the maximum of 63"},
  };
  for (const auto& c : cases) {
    Status s = ValidateTrustConfigId(c.id);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << c.id;
    EXPECT_THAT(s.message(), HasSubstr(c.expected));
    EXPECT_THAT(s.message(), HasSubstr("it must match [a-z0-9-]{1,63}"));
  }
}

TEST(TrustConfig, CanonicalizeDedupesAndSortsEachListByFingerprint) {
  TrustConfig c;
  c.anchors = {P().root_b.cert, P().root_a.cert, P().root_b.cert, P().root_a.cert};
  c.intermediates = {P().inter.cert, P().inter.cert};
  c.allowlisted = {P().leaf.cert};
  c.Canonicalize();
  ASSERT_EQ(c.anchors.size(), 2u);
  EXPECT_LT(c.anchors[0].sha256_hex(), c.anchors[1].sha256_hex());
  EXPECT_EQ(c.intermediates.size(), 1u);
  EXPECT_EQ(c.size(), 4u);
}

TEST(TrustConfig, CanonicalizeKeepsACertificateListedUnderTwoKinds) {
  TrustConfig c;
  c.anchors = {P().leaf.cert};
  c.allowlisted = {P().leaf.cert};
  c.Canonicalize();
  EXPECT_EQ(c.size(), 2u);
}

TEST(TrustConfig, RenderYamlIsTheGcloudLayout) {
  const TrustConfig c = Full();
  const std::string expected =
      "name: \"my-tc\"\n"
      "description: \"tenant CAs\"\n"
      "trustStores:\n"
      "- trustAnchors:\n"
      "  - pemCertificate: \"" +
      Escaped(c.anchors[0].ToPem()) +
      "\"\n"
      "  - pemCertificate: \"" +
      Escaped(c.anchors[1].ToPem()) +
      "\"\n"
      "  intermediateCas:\n"
      "  - pemCertificate: \"" +
      Escaped(P().inter.cert.ToPem()) +
      "\"\n"
      "allowlistedCertificates:\n"
      "- pemCertificate: \"" +
      Escaped(P().leaf.cert.ToPem()) + "\"\n";
  EXPECT_EQ(RenderYaml(c), expected);
  EXPECT_THAT(expected, HasSubstr("\"-----BEGIN CERTIFICATE-----\\nMII"));
}

TEST(TrustConfig, RenderOmitsWhatIsEmpty) {
  TrustConfig allowlist_only;
  allowlist_only.allowlisted = {P().leaf.cert};
  EXPECT_EQ(RenderYaml(allowlist_only), "allowlistedCertificates:\n- pemCertificate: \"" +
                                            Escaped(P().leaf.cert.ToPem()) + "\"\n");
  auto json = nlohmann::ordered_json::parse(RenderJson(allowlist_only));
  EXPECT_FALSE(json.contains("trustStores"));
  EXPECT_FALSE(json.contains("name"));

  TrustConfig intermediates_only;
  intermediates_only.intermediates = {P().inter.cert};
  EXPECT_EQ(RenderYaml(intermediates_only),
            "trustStores:\n- intermediateCas:\n  - pemCertificate: \"" +
                Escaped(P().inter.cert.ToPem()) + "\"\n");

  EXPECT_EQ(RenderYaml(TrustConfig{}), "{}\n");
  EXPECT_EQ(RenderJson(TrustConfig{}), "{}\n");
  auto reparsed = ParseTrustConfig(RenderYaml(TrustConfig{}));
  ASSERT_TRUE(reparsed.ok()) << reparsed.status().ToString();
  EXPECT_EQ(*reparsed, TrustConfig{});
}

TEST(TrustConfig, RenderJsonHasTheSameKeysInOrder) {
  const TrustConfig c = Full();
  const std::string text = RenderJson(c);
  auto json = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& [k, v] : json.items()) keys.push_back(k);
  EXPECT_THAT(keys, ::testing::ElementsAre("name", "description", "trustStores",
                                           "allowlistedCertificates"));
  EXPECT_EQ(json["trustStores"].size(), 1u);
  EXPECT_EQ(json["trustStores"][0]["trustAnchors"][1]["pemCertificate"], c.anchors[1].ToPem());
  EXPECT_EQ(json["trustStores"][0]["intermediateCas"][0]["pemCertificate"], P().inter.cert.ToPem());
  EXPECT_EQ(json["allowlistedCertificates"][0]["pemCertificate"], P().leaf.cert.ToPem());
  EXPECT_THAT(text, HasSubstr("\n  \"name\": \"my-tc\",\n"));  // 2-space indent
  EXPECT_EQ(text.back(), '\n');
}

TEST(TrustConfig, RenderIsByteIdenticalForTheSameSet) {
  TrustConfig shuffled;
  shuffled.id = "my-tc";
  shuffled.description = "tenant CAs";
  shuffled.anchors = {P().root_a.cert, P().root_b.cert, P().root_a.cert};
  shuffled.intermediates = {P().inter.cert, P().inter.cert};
  shuffled.allowlisted = {P().leaf.cert, P().leaf.cert};
  shuffled.Canonicalize();
  EXPECT_EQ(RenderYaml(shuffled), RenderYaml(Full()));
  EXPECT_EQ(RenderJson(shuffled), RenderJson(Full()));
}

TEST(TrustConfig, ParseOfRenderGivesTheSameConfig) {
  TrustConfig c = Full();
  // Text that YAML must quote and escape: quotes, backslash, newline, tab,
  // non-ASCII, U+2028 (a line break to YAML 1.1), an astral code point.
  c.description =
      "it's \"quoted\" \\ back\nslash\ttab caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x94\x92: #x";
  for (const std::string& text : {RenderYaml(c), RenderJson(c)}) {
    auto parsed = ParseTrustConfig(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << text;
    EXPECT_EQ(*parsed, c) << text;
  }
  EXPECT_THAT(RenderYaml(c), Not(HasSubstr("\xe2\x80\xa8")));  // escaped, not raw
}

// gcloud reads the file with Python's YAML library; it must see the same strings.
TEST(TrustConfig, PythonYamlReadsThePemsExactly) {
  if (testing::RunProcess({"/usr/bin/python3", "-c", "import yaml"}).exit_code != 0) {
    GTEST_SKIP() << "python3 with the yaml module (Debian: python3-yaml) is not installed";
  }
  TrustConfig c = Full();
  c.description = "caf\xc3\xa9 \xe2\x80\xa8 \"q\" \xf0\x9f\x94\x92";
  auto run = testing::RunProcess(
      {"/usr/bin/python3", "-c",
       "import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin.read()), sys.stdout)"},
      {}, RenderYaml(c));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["name"], "my-tc");
  EXPECT_EQ(doc["description"], c.description);
  ASSERT_EQ(doc["trustStores"].size(), 1u);
  const auto& store = doc["trustStores"][0];
  ASSERT_EQ(store["trustAnchors"].size(), 2u);
  EXPECT_EQ(store["trustAnchors"][0]["pemCertificate"], c.anchors[0].ToPem());
  EXPECT_EQ(store["trustAnchors"][1]["pemCertificate"], c.anchors[1].ToPem());
  EXPECT_EQ(store["intermediateCas"][0]["pemCertificate"], P().inter.cert.ToPem());
  EXPECT_EQ(doc["allowlistedCertificates"][0]["pemCertificate"], P().leaf.cert.ToPem());
}

TEST(TrustConfigLimits, WithinEveryLimitIsOk) {
  auto certs = DistinctCerts(1100);
  TrustConfig c;
  c.anchors.assign(certs.begin(), certs.begin() + 100);
  c.intermediates.assign(certs.begin() + 100,
                         certs.begin() + 200);  // 200 together, 100 intermediates
  c.allowlisted.assign(certs.begin() + 200, certs.begin() + 700);  // 500
  Status s = CheckLimits(c);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(TrustConfigLimits, AnchorsPlusIntermediates) {
  auto certs = DistinctCerts(214);
  TrustConfig c;
  c.anchors.assign(certs.begin(), certs.begin() + 150);
  c.intermediates.assign(certs.begin() + 150, certs.begin() + 201);
  Status s = CheckLimits(c);
  EXPECT_EQ(s.code(), ErrorCode::kPolicy);
  EXPECT_EQ(s.message(),
            "trust config exceeds Certificate Manager's limit of 200 trust anchors and "
            "intermediate CAs per trust store: has 201 (1 over)");

  c.anchors.assign(certs.begin(), certs.begin() + 163);
  EXPECT_THAT(CheckLimits(c).message(), HasSubstr("has 214 (14 over)"));
}

TEST(TrustConfigLimits, Intermediates) {
  auto certs = DistinctCerts(101);
  TrustConfig c;
  c.intermediates = certs;
  Status s = CheckLimits(c);
  EXPECT_EQ(s.code(), ErrorCode::kPolicy);
  EXPECT_EQ(s.message(),
            "trust config exceeds Certificate Manager's limit of 100 intermediate CAs per trust "
            "store: has 101 (1 over)");
}

TEST(TrustConfigLimits, Allowlisted) {
  auto certs = DistinctCerts(501);
  TrustConfig c;
  c.allowlisted = certs;
  Status s = CheckLimits(c);
  EXPECT_EQ(s.code(), ErrorCode::kPolicy);
  EXPECT_EQ(s.message(),
            "trust config exceeds Certificate Manager's limit of 500 allowlisted certificates: "
            "has 501 (1 over)");
}

TEST(TrustConfigLimits, ReportsEveryLimitExceeded) {
  auto certs = DistinctCerts(702);
  TrustConfig c;
  c.intermediates.assign(certs.begin(), certs.begin() + 201);
  c.allowlisted.assign(certs.begin() + 201, certs.begin() + 702);
  const std::string m = CheckLimits(c).message();
  EXPECT_THAT(
      m, HasSubstr("200 trust anchors and intermediate CAs per trust store: has 201 (1 over)"));
  EXPECT_THAT(m, HasSubstr("100 intermediate CAs per trust store: has 201 (101 over)"));
  EXPECT_THAT(m, HasSubstr("500 allowlisted certificates: has 501 (1 over)"));
}

TEST(TrustConfigLimits, OversizedPem) {
  CertSpec spec;
  spec.cn = "many-sans";
  spec.is_ca = true;
  for (int i = 0; i < 120; ++i) {
    spec.dns.push_back("service-" + std::to_string(i) + ".tenant.example.com");
  }
  const x509::Certificate big = MakeSelfSigned(spec).cert;
  const size_t bytes = big.ToPem().size();
  ASSERT_GT(bytes, 5000u);
  TrustConfig c;
  c.anchors = {big};
  Status s = CheckLimits(c);
  EXPECT_EQ(s.code(), ErrorCode::kPolicy);
  EXPECT_EQ(s.message(), "trust anchor certificate " + big.sha256_hex() + " (" + big.subject() +
                             ") is " + std::to_string(bytes) +
                             " bytes as PEM; Certificate Manager accepts at most 5000 (" +
                             std::to_string(bytes - 5000) + " over)");
  EXPECT_THAT(s.message(), HasSubstr("CN=many-sans"));

  // The limit is inclusive.
  TrustConfigLimits limits;
  limits.max_pem_bytes = bytes;
  EXPECT_TRUE(CheckLimits(c, limits).ok());
  limits.max_pem_bytes = bytes - 1;
  EXPECT_THAT(CheckLimits(c, limits).message(),
              HasSubstr("at most " + std::to_string(bytes - 1) + " (1 over)"));

  c.anchors.clear();
  c.allowlisted = {big};
  EXPECT_THAT(CheckLimits(c).message(), HasSubstr("allowlisted certificate " + big.sha256_hex()));
}

TEST(TrustConfig, DiffOfTheSameSetIsEmpty) {
  TrustConfig other = Full();
  other.id = "other";
  other.anchors.push_back(P().root_a.cert);  // a duplicate, not a difference
  EXPECT_TRUE(Diff(Full(), other).empty());
}

TEST(TrustConfig, DiffNamesEachSideAndKindChanges) {
  const auto root_c = MakeRootCa("root c");
  TrustConfig store;  // left
  store.anchors = {P().root_a.cert, P().root_b.cert};
  store.intermediates = {P().inter.cert};
  store.allowlisted = {P().leaf.cert};
  TrustConfig file;  // right: drops root a, adds root c, moves the intermediate to anchors
  file.anchors = {root_c.cert, P().root_b.cert, P().inter.cert};
  file.allowlisted = {P().leaf.cert};

  auto d = Diff(store, file);
  EXPECT_FALSE(d.empty());
  ASSERT_EQ(d.only_in_left.size(), 1u);
  EXPECT_EQ(d.only_in_left[0].kind, TrustKind::kAnchor);
  EXPECT_EQ(d.only_in_left[0].cert, P().root_a.cert);
  ASSERT_EQ(d.only_in_right.size(), 1u);
  EXPECT_EQ(d.only_in_right[0].kind, TrustKind::kAnchor);
  EXPECT_EQ(d.only_in_right[0].cert, root_c.cert);
  ASSERT_EQ(d.kind_changed_left.size(), 1u);
  EXPECT_EQ(d.kind_changed_left[0].kind, TrustKind::kIntermediate);
  EXPECT_EQ(d.kind_changed_left[0].cert, P().inter.cert);
  ASSERT_EQ(d.kind_changed_right.size(), 1u);
  EXPECT_EQ(d.kind_changed_right[0].kind, TrustKind::kAnchor);
  EXPECT_EQ(d.kind_changed_right[0].cert, P().inter.cert);

  auto reverse = Diff(file, store);
  EXPECT_EQ(reverse.only_in_left[0].cert, root_c.cert);
  EXPECT_EQ(reverse.only_in_right[0].cert, P().root_a.cert);
}

TEST(TrustConfig, DiffListsAreSortedByKindThenFingerprint) {
  TrustConfig empty;
  TrustConfig c;
  c.allowlisted = {P().leaf.cert};
  c.anchors = {P().root_b.cert, P().root_a.cert};
  auto d = Diff(empty, c);
  ASSERT_EQ(d.only_in_right.size(), 3u);
  EXPECT_EQ(d.only_in_right[0].kind, TrustKind::kAnchor);
  EXPECT_LT(d.only_in_right[0].cert.sha256_hex(), d.only_in_right[1].cert.sha256_hex());
  EXPECT_EQ(d.only_in_right[2].kind, TrustKind::kAllowlisted);
  EXPECT_TRUE(d.only_in_left.empty());
}

}  // namespace
}  // namespace trustplane::trust
