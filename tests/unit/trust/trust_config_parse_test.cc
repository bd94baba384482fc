// ParseTrustConfig on files as `gcloud certificate-manager trust-configs
// export` writes them, and on bad files, each with its own message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_pki.h"
#include "trustplane/trust/trust_config.h"

namespace trustplane::trust {
namespace {

using ::testing::HasSubstr;
using testing::Issued;
using ::testing::StartsWith;

// A YAML literal block: every line of `pem` indented.
std::string Block(const std::string& pem, const std::string& indent) {
  std::string out;
  size_t start = 0;
  for (size_t nl; (nl = pem.find('\n', start)) != std::string::npos; start = nl + 1) {
    out += indent + pem.substr(start, nl - start + 1);
  }
  return out;
}

// A PEM as one double-quoted line with "\n" escapes (JSON, or YAML as Google's docs write it).
std::string OneLine(const std::string& pem) {
  std::string out;
  for (char c : pem) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out;
}

struct Pki {
  Issued root, root2, inter, leaf;
};
// Made once per process; tests only read them.
const Pki& P() {
  static const Pki pki = [] {
    Issued root = testing::MakeRootCa("export root");
    Issued inter = testing::MakeIntermediateCa("export issuing", root);
    Issued leaf = testing::MakeClientLeaf("export client", inter);
    return Pki{root, testing::MakeRootCa("export root 2"), inter, leaf};
  }();
  return pki;
}

// A trust store whose trustAnchors holds these PEMs as `|` blocks.
std::string AnchorsYaml(const std::vector<std::string>& pems) {
  std::string out = "trustStores:\n- trustAnchors:\n";
  for (const auto& pem : pems) out += "  - pemCertificate: |\n" + Block(pem, "      ");
  return out;
}

Status ParseError(const std::string& text) {
  auto parsed = ParseTrustConfig(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.status();
}

// Keys sorted as gcloud's export writes them, output-only fields included,
// PEMs as multi-line `|` blocks, one anchor listed twice.
TEST(ParseTrustConfig, GcloudExport) {
  const std::string text =
      "allowlistedCertificates:\n"
      "- pemCertificate: |\n" +
      Block(P().leaf.cert_pem, "    ") +
      "createTime: '2025-04-18T09:30:12.123456789Z'\n"
      "description: Tenant CAs for the payments API\n"
      "etag: W3sicGF0aCI6InRydXN0U3RvcmVzIn1d\n"
      "labels:\n"
      "  env: prod\n"
      "name: projects/p/locations/global/trustConfigs/my-tc\n"
      "trustStores:\n"
      "- intermediateCas:\n"
      "  - pemCertificate: |\n" +
      Block(P().inter.cert_pem, "      ") +
      "  trustAnchors:\n"
      "  - pemCertificate: |\n" +
      Block(P().root2.cert_pem, "      ") + "  - pemCertificate: |\n" +
      Block(P().root.cert_pem, "      ") + "  - pemCertificate: \"" + OneLine(P().root2.cert_pem) +
      "\"\n" + "updateTime: '2025-04-18T09:31:00Z'\n";
  auto parsed = ParseTrustConfig(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->id, "my-tc");
  EXPECT_EQ(parsed->description, "Tenant CAs for the payments API");
  TrustConfig expected;
  expected.id = "my-tc";
  expected.description = parsed->description;
  expected.anchors = {P().root.cert, P().root2.cert};
  expected.intermediates = {P().inter.cert};
  expected.allowlisted = {P().leaf.cert};
  expected.Canonicalize();
  EXPECT_EQ(*parsed, expected);
}

TEST(ParseTrustConfig, GcloudJsonExport) {
  const std::string text = R"({
  "allowlistedCertificates": [{"pemCertificate": ")" +
                           OneLine(P().leaf.cert_pem) + R"("}],
  "createTime": "2025-04-18T09:30:12Z",
  "etag": "abc",
  "labels": {"env": "prod"},
  "name": "projects/p/locations/europe-west1/trustConfigs/eu-tc",
  "updateTime": "2025-04-18T09:30:12Z"
})";
  auto parsed = ParseTrustConfig(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->id, "eu-tc");
  ASSERT_EQ(parsed->allowlisted.size(), 1u);
  EXPECT_EQ(parsed->allowlisted[0], P().leaf.cert);
  EXPECT_TRUE(parsed->anchors.empty());
}

TEST(ParseTrustConfig, PlainIdNullsAndCrlf) {
  std::string text = "name: plain-id\ndescription:\nallowlistedCertificates: []\n" +
                     AnchorsYaml({P().root.cert_pem});
  std::string crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  for (const auto& t : {text, crlf}) {
    auto parsed = ParseTrustConfig(t);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->id, "plain-id");
    EXPECT_EQ(parsed->description, "");
    ASSERT_EQ(parsed->anchors.size(), 1u);
    EXPECT_EQ(parsed->anchors[0], P().root.cert);
  }
}

TEST(ParseTrustConfig, YamlFlowMappingIsNotMistakenForJson) {
  auto parsed = ParseTrustConfig("{name: flow-style, description: not json}");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->id, "flow-style");
}

struct BadCase {
  std::string name, text;
  ErrorCode code;
  std::string message;  // expected substring
};

TEST(ParseTrustConfig, BadFilesGetSpecificErrors) {
  const std::string root = P().root.cert_pem, root2 = P().root2.cert_pem;
  std::string corrupt = root;
  corrupt.replace(corrupt.find("MII") + 10, 8, "!!!!!!!!");
  const BadCase cases[] = {
      {"empty", "", ErrorCode::kInvalidArgument, "the trust config is empty"},
      {"comments only", "# nothing here\n\n", ErrorCode::kInvalidArgument,
       "the trust config is empty"},
      {"not yaml", "trustStores: [unclosed\n", ErrorCode::kInvalidArgument,
       "not valid YAML or JSON: line 2, column 1: "},
      {"binary", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), ErrorCode::kInvalidArgument,
       "not valid YAML or JSON: a NUL byte at offset 8 (a binary file?)"},
      {"broken json", "{\"name\": \"x\",\n \"trustStores\": [\n", ErrorCode::kInvalidArgument,
       "not valid JSON: parse error at line 3"},
      {"a pem file", root, ErrorCode::kInvalidArgument,
       "not a trust config: expected a YAML or JSON mapping"},
      {"a list", "- a\n- b\n", ErrorCode::kInvalidArgument, "got a list"},
      {"two documents", "name: a\n---\nname: b\n", ErrorCode::kInvalidArgument,
       "2 YAML documents found"},
      {"unknown top-level key", "name: x\ntrustStore: []\n", ErrorCode::kInvalidArgument,
       "unknown key \"trustStore\" at the top level"},
      {"spiffe trust stores", "spiffeTrustStores: {}\n", ErrorCode::kInvalidArgument,
       "unknown key \"spiffeTrustStores\" at the top level"},
      {"unknown key in a store", "trustStores:\n- trustAnchor: []\n", ErrorCode::kInvalidArgument,
       "unknown key \"trustAnchor\" in trustStores[0]; a trust store holds trustAnchors and "
       "intermediateCas"},
      {"allowlist inside the store", "trustStores:\n- allowlistedCertificates: []\n",
       ErrorCode::kInvalidArgument,
       "allowlistedCertificates in trustStores[0]: it belongs at the top level"},
      {"unknown key in an entry", "allowlistedCertificates:\n- pem: x\n",
       ErrorCode::kInvalidArgument,
       "unknown key \"pem\" in allowlistedCertificates[0]; an entry holds only pemCertificate"},
      {"missing pemCertificate", "allowlistedCertificates:\n- {}\n", ErrorCode::kInvalidArgument,
       "allowlistedCertificates[0] has no pemCertificate"},
      {"pemCertificate is a list", "allowlistedCertificates:\n- pemCertificate: [a]\n",
       ErrorCode::kInvalidArgument,
       "allowlistedCertificates[0].pemCertificate must be text, got a list"},
      {"entries not a list", "allowlistedCertificates: abc\n", ErrorCode::kInvalidArgument,
       "allowlistedCertificates must be a list of pemCertificate entries, got a text value"},
      {"duplicate key", "name: a\nname: b\n", ErrorCode::kInvalidArgument,
       "key \"name\" appears twice at the top level"},
      {"duplicate key in a store", AnchorsYaml({root}) + "  trustAnchors: []\n",
       ErrorCode::kInvalidArgument, "key \"trustAnchors\" appears twice in trustStores[0]"},
      {"duplicate json key", "{\"etag\": \"a\", \"etag\": \"b\"}", ErrorCode::kInvalidArgument,
       "key \"etag\" appears twice"},
      {"two trust stores", "trustStores:\n- trustAnchors: []\n- trustAnchors: []\n",
       ErrorCode::kPolicy,
       "trustStores: trust config exceeds Certificate Manager's limit of 1 trust store per trust "
       "config: has 2 (1 over)"},
      {"bad pem at index 3", AnchorsYaml({root, root2, root, corrupt}), ErrorCode::kInvalidArgument,
       "trustStores[0].trustAnchors[3].pemCertificate: "},
      {"two certificates in one entry", AnchorsYaml({root + root2}), ErrorCode::kInvalidArgument,
       "trustStores[0].trustAnchors[0].pemCertificate holds 2 certificates; Certificate Manager "
       "takes one certificate per pemCertificate"},
      {"a private key", AnchorsYaml({P().root.key_pem}), ErrorCode::kInvalidArgument,
       "trustStores[0].trustAnchors[0].pemCertificate: "},
      {"empty pem", "allowlistedCertificates:\n- pemCertificate: ''\n", ErrorCode::kInvalidArgument,
       "allowlistedCertificates[0].pemCertificate is empty"},
      {"bad resource name", "name: projects/p/trustConfigs/x\n", ErrorCode::kInvalidArgument,
       "name \"projects/p/trustConfigs/x\" is neither a trust config id nor "
       "projects/PROJECT/locations/LOCATION/trustConfigs/ID"},
      {"bad id in resource name", "name: projects/p/locations/global/trustConfigs/My_TC\n",
       ErrorCode::kInvalidArgument, "name: trust config id \"My_TC\" has \"M\" at position 1"},
      {"description not text", "description: {a: b}\n", ErrorCode::kInvalidArgument,
       "description must be text, got a mapping"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Status s = ParseError(c.text);
    EXPECT_EQ(s.code(), c.code) << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr(c.message));
  }
}

TEST(ParseTrustConfig, PemErrorsCarryTheBundleParsersReason) {
  Status key = ParseError(AnchorsYaml({P().root.key_pem}));
  EXPECT_THAT(key.message(), HasSubstr("private key"));
  Status pem_file = ParseError(P().root.cert_pem);
  EXPECT_THAT(pem_file.message(), HasSubstr("looks like a PEM file"));
}

TEST(ParseTrustConfig, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = "labels: " + std::string(100000, '[');
  Status s = ParseError(deep);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), StartsWith("not valid YAML or JSON"));
  Status json = ParseError("{\"labels\": " + std::string(100000, '['));
  EXPECT_EQ(json.code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace trustplane::trust
