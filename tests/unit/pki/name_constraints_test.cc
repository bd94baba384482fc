// Name constraints on CA certificates: the JSON forms (signing profile and
// CSR JSON "ca"), what OpenSSL reads back from the encoded extension, the
// lint that keeps them off leaves and keeps leaves inside an issuer's, and
// `openssl verify` enforcing them on a leaf openssl itself signs under an
// intermediate trustplane issued.
#include "trustplane/pki/name_constraints.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "trustplane/pki/certificate_request.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/signer.h"
#include "trustplane/pki/signing_config.h"
#include "unit/x509/openssl_cli.h"

namespace trustplane::pki {
namespace {

using testing::OpenSsl;
using testing::RunProcess;
using testing::TempDir;
using testing::WriteFile;
using Json = nlohmann::json;

constexpr char kConstraints[] = R"({
  "permitted": {"dns": ["example.com", ".svc.example.org"], "ip": ["10.0.0.0/8", "fd00::/8"],
                "email": ["example.com", "ops@example.net"], "uri": [".example.com"]},
  "excluded": {"dns": ["secret.example.com"], "ip": ["10.66.0.0/16"]}
})";

// A root, an intermediate issued by it under `profile_json` (a CA profile),
// and a signer on the intermediate for leaves.
struct Chain {
  x509::Certificate root, intermediate;
  PrivateKey root_key, intermediate_key;
};

PrivateKey NewKey() {
  return *PrivateKey::Generate(KeySpec{"ecdsa", 256});
}

Csr MakeCsr(const std::string& cn, const std::vector<std::string>& hosts, const PrivateKey& key) {
  CertificateRequest r;
  r.subject.cn = cn;
  r.hosts = hosts;
  auto csr = Csr::Generate(r, key);
  EXPECT_TRUE(csr.ok()) << csr.status().ToString();
  return std::move(csr).value();
}

SigningConfig ConfigWith(const std::string& profiles_json) {
  auto config =
      ParseSigningConfig(R"({"signing": {"default": {"usages": ["signing"], "expiry": "24h"},
                                       "profiles": )" +
                         profiles_json + "}}");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return std::move(config).value();
}

Chain MakeConstrainedChain() {
  const PrivateKey root_key = NewKey(), intermediate_key = NewKey();
  auto root =
      SelfSign(MakeCsr("NC Root", {}, root_key), root_key, SigningProfile::ForCa(CaSettings{}));
  EXPECT_TRUE(root.ok()) << root.status().ToString();
  const x509::Certificate root_cert = *x509::Certificate::FromDer(root->der);
  auto signer =
      Signer::Create(root_cert, root_key,
                     ConfigWith(R"({"ica": {"usages": ["cert sign", "crl sign"], "expiry": "8760h",
                                   "ca_constraint": {"is_ca": true}, "name_constraints": )" +
                                std::string(kConstraints) + "}}"));
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  SignOptions options;
  options.profile = "ica";
  auto ica = signer->Sign(MakeCsr("NC Intermediate", {}, intermediate_key), options);
  EXPECT_TRUE(ica.ok()) << ica.status().ToString();
  return Chain{root_cert, *x509::Certificate::FromDer(ica->der), root_key, intermediate_key};
}

Signer LeafSigner(const Chain& c) {
  auto signer =
      Signer::Create(c.intermediate, c.intermediate_key,
                     ConfigWith(R"({"leaf": {"usages": ["digital signature", "server auth"],
                                              "expiry": "24h"}})"));
  EXPECT_TRUE(signer.ok()) << signer.status().ToString();
  return std::move(signer).value();
}

Result<SignedCertificate> SignLeaf(const Signer& signer, const std::string& cn,
                                   const std::vector<std::string>& hosts) {
  SignOptions options;
  options.profile = "leaf";
  return signer.Sign(MakeCsr(cn, hosts, NewKey()), options);
}

TEST(NameConstraintsParse, ReadsEveryKindAndDefaultsToCritical) {
  auto nc = ParseNameConstraints(Json::parse(kConstraints), "nc");
  ASSERT_TRUE(nc.ok()) << nc.status().ToString();
  EXPECT_TRUE(nc->critical);
  EXPECT_EQ(nc->permitted.dns, (std::vector<std::string>{"example.com", ".svc.example.org"}));
  EXPECT_EQ(nc->permitted.ip, (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
  EXPECT_EQ(nc->permitted.email, (std::vector<std::string>{"example.com", "ops@example.net"}));
  EXPECT_EQ(nc->permitted.uri, (std::vector<std::string>{".example.com"}));
  EXPECT_EQ(nc->excluded.ip, (std::vector<std::string>{"10.66.0.0/16"}));
  auto lax = ParseNameConstraints(
      Json::parse(R"({"critical": false, "excluded": {"dns": ["x.com"]}})"), "nc");
  ASSERT_TRUE(lax.ok());
  EXPECT_FALSE(lax->critical);
}

TEST(NameConstraintsParse, RefusesMalformedEntriesNamingThem) {
  struct Case {
    const char* json;
    const char* fragment;
  };
  const Case cases[] = {
      {R"({"permitted": {"ip": ["10.0.0.0/8", "10.0.0.0/33"]}})",
       "nc.permitted.ip[1]: '10.0.0.0/33' is not a CIDR block: the prefix length must be 0-32"},
      {R"({"permitted": {"ip": ["10.1.2.3/8"]}})",
       "'10.1.2.3/8' is not a CIDR block: host bits are set after /8"},
      {R"({"permitted": {"ip": ["10.0.0.0"]}})", "needs a prefix length"},
      {R"({"permitted": {"ip": ["fd00::/129"]}})", "0-128"},
      {R"({"excluded": {"ip": ["ten/8"]}})",
       "nc.excluded.ip[0]: 'ten/8' is not a CIDR block: 'ten' is not an IPv4"},
      {R"({"permitted": {"dns": [""]}})", "nc.permitted.dns[0]: '' is empty"},
      {R"({"permitted": {"dns": ["*.example.com"]}})",
       "'*.example.com' is a wildcard, which RFC 5280"},
      {R"({"permitted": {"email": ["*@example.com"]}})", "is a wildcard"},
      {R"({"permitted": {"dns": ["exa mple.com"]}})", "'exa mple.com' is not valid"},
      {R"({"permitted": {"dns": ["."]}})", "names no domain"},
      {R"({"permitted": {"uri": ["https://example.com/"]}})", "a URI constraint names a host"},
      {R"({"permitted": {"email": ["a@@b"]}})", "nc.permitted.email[0]"},
      {R"({"permitted": {"dns": "example.com"}})", "nc.permitted.dns: must be a list of strings"},
      {R"({"permitted": {"dns": [7]}})", "nc.permitted.dns[0]: must be a string"},
      {R"({"permitted": {"dirname": ["CN=x"]}})", "nc.permitted.dirname: unknown field"},
      {R"({"allowed": {}})", "nc.allowed: unknown field"},
      {R"({"critical": "yes", "permitted": {"dns": ["a.com"]}})",
       "nc.critical: must be true or false"},
      {R"({"permitted": {}})", "constrains nothing"},
  };
  for (const Case& c : cases) {
    auto nc = ParseNameConstraints(Json::parse(c.json), "nc");
    ASSERT_FALSE(nc.ok()) << c.json;
    EXPECT_EQ(nc.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(nc.status().message().find(c.fragment), std::string::npos) << nc.status().message();
  }
}

TEST(NameConstraintsParse, SigningProfilesAndCsrJsonCarryThem) {
  auto config = ParseSigningConfig(
      R"({"signing": {"profiles": {"ica": {"usages": ["cert sign"], "expiry": "1h",
      "ca_constraint": {"is_ca": true}, "name_constraints": {"permitted": {"dns": ["example.com"]}}}}}})");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_TRUE(config->profiles.at("ica").name_constraints.has_value());
  EXPECT_EQ(config->profiles.at("ica").name_constraints->permitted.dns,
            std::vector<std::string>{"example.com"});

  auto bad = ParseSigningConfig(
      R"({"signing": {"profiles": {"ica": {"usages": ["cert sign"], "expiry": "1h",
      "name_constraints": {"permitted": {"ip": ["300.0.0.0/8"]}}}}}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "signing.profiles.ica.name_constraints.permitted.ip[0]: '300.0.0.0/8'"),
            std::string::npos)
      << bad.status().message();

  auto req = ParseCertificateRequest(
      R"({"CN": "Root", "ca": {"expiry": "1h", "name_constraints": {"excluded": {"email": [".example.com"]}}}})");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_TRUE(req->ca->name_constraints.has_value());
  EXPECT_EQ(req->ca->name_constraints->excluded.email, std::vector<std::string>{".example.com"});
  EXPECT_EQ(SigningProfile::ForCa(*req->ca).name_constraints, req->ca->name_constraints);
  auto bad_req = ParseCertificateRequest(
      R"({"CN": "Root", "ca": {"name_constraints": {"permitted": {"uri": [""]}}}})");
  ASSERT_FALSE(bad_req.ok());
  EXPECT_NE(bad_req.status().message().find("ca.name_constraints.permitted.uri[0]"),
            std::string::npos)
      << bad_req.status().message();
}

TEST(NameConstraintsEncoding, OpensslReadsWhatTheProfileSays) {
  TempDir dir;
  const Chain c = MakeConstrainedChain();
  WriteFile(dir.Join("ica.pem"), c.intermediate.ToPem());
  const std::string text = OpenSsl({"x509", "-in", dir.Join("ica.pem"), "-noout", "-text"});
  const size_t at = text.find("X509v3 Name Constraints: critical");
  ASSERT_NE(at, std::string::npos) << text;
  const size_t permitted = text.find("Permitted:", at), excluded = text.find("Excluded:", at);
  ASSERT_NE(permitted, std::string::npos) << text;
  ASSERT_NE(excluded, std::string::npos) << text;
  for (const char* entry : {"DNS:example.com", "DNS:.svc.example.org", "IP:10.0.0.0/255.0.0.0",
                            "IP:FD00:0:0:0:0:0:0:0/FF00:0:0:0:0:0:0:0", "email:example.com",
                            "email:ops@example.net", "URI:.example.com"}) {
    const size_t pos = text.find(entry, permitted);
    EXPECT_TRUE(pos != std::string::npos && pos < excluded) << entry << " not permitted in\n"
                                                            << text;
  }
  EXPECT_NE(text.find("DNS:secret.example.com", excluded), std::string::npos) << text;
  EXPECT_NE(text.find("IP:10.66.0.0/255.255.0.0", excluded), std::string::npos) << text;

  // From the CSR JSON of `ca init`: a self-signed root, non-critical when asked.
  auto req = ParseCertificateRequest(
      R"({"CN": "Lax Root", "ca": {"expiry": "1h", "name_constraints": {"critical": false,
          "permitted": {"dns": ["corp.example"]}}}})");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  const PrivateKey key = NewKey();
  auto root = SelfSign(*Csr::Generate(*req, key), key, SigningProfile::ForCa(*req->ca));
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  WriteFile(dir.Join("root.pem"), root->ToPem());
  const std::string root_text = OpenSsl({"x509", "-in", dir.Join("root.pem"), "-noout", "-text"});
  EXPECT_NE(root_text.find("X509v3 Name Constraints: \n"), std::string::npos) << root_text;
  EXPECT_NE(root_text.find("DNS:corp.example"), std::string::npos) << root_text;
}

TEST(NameConstraintsLint, RefusesThemOnALeafProfile) {
  const PrivateKey ca_key = NewKey();
  auto root = SelfSign(MakeCsr("Root", {}, ca_key), ca_key, SigningProfile::ForCa(CaSettings{}));
  ASSERT_TRUE(root.ok());
  auto signer = Signer::Create(*x509::Certificate::FromDer(root->der), ca_key,
                               ConfigWith(R"({"leafy": {"usages": ["server auth"], "expiry": "1h",
                                   "name_constraints": {"permitted": {"dns": ["example.com"]}}}})"));
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  SignOptions options;
  options.profile = "leafy";
  auto leaf = signer->Sign(MakeCsr("a.example.com", {"a.example.com"}, NewKey()), options);
  ASSERT_FALSE(leaf.ok());
  EXPECT_EQ(leaf.status().code(), ErrorCode::kPolicy);
  EXPECT_NE(leaf.status().message().find("lint name-constraints-on-leaf"), std::string::npos)
      << leaf.status().message();
}

TEST(NameConstraintsLint, LeavesMustStayInsideTheIssuersConstraints) {
  const Chain c = MakeConstrainedChain();
  const Signer signer = LeafSigner(c);
  for (const auto& hosts :
       std::vector<std::vector<std::string>>{{"example.com", "a.b.example.com"},
                                             {"api.svc.example.org"},
                                             {"10.1.2.3", "fd00::1"},
                                             {"ops@example.net", "dev@example.com"},
                                             {"spiffe://mesh.example.com/ns/a"}}) {
    auto leaf = SignLeaf(signer, "inside", hosts);
    EXPECT_TRUE(leaf.ok()) << hosts.front() << ": " << leaf.status().ToString();
  }
  struct Refused {
    std::string cn;
    std::vector<std::string> hosts;
    std::string fragment;
  };
  const Refused refused[] = {
      {"x",
       {"a.example.com", "a.other.com"},
       "DNS name 'a.other.com' is outside permitted dns [example.com, .svc.example.org]"},
      {"x", {"notexample.com"}, "DNS name 'notexample.com' is outside permitted dns"},
      {"x",
       {"svc.example.org"},
       "'svc.example.org' is outside"},  // ".svc.example.org": below it only
      {"x",
       {"secret.example.com"},
       "DNS name 'secret.example.com' is within excluded dns secret.example.com"},
      {"x", {"db.secret.example.com"}, "is within excluded dns secret.example.com"},
      {"x",
       {"192.168.1.1"},
       "IP address '192.168.1.1' is outside permitted ip [10.0.0.0/8, fd00::/8]"},
      {"x", {"10.66.1.1"}, "IP address '10.66.1.1' is within excluded ip 10.66.0.0/16"},
      {"x", {"2001:db8::1"}, "IP address '2001:db8::1' is outside"},
      {"x", {"someone@example.net"}, "email 'someone@example.net' is outside permitted email"},
      {"x",
       {"ops@mail.example.com"},
       "email 'ops@mail.example.com' is outside"},  // "example.com": that host only
      {"x",
       {"spiffe://example.com/x"},
       "URI 'spiffe://example.com/x' is outside permitted uri [.example.com]"},
      {"x",
       {"urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"},
       "has no host to match against the uri name constraints"},
      {"www.evil.test", {}, "subject CN 'www.evil.test' is outside permitted dns"},
  };
  for (const Refused& r : refused) {
    auto leaf = SignLeaf(signer, r.cn, r.hosts);
    ASSERT_FALSE(leaf.ok()) << r.fragment;
    EXPECT_EQ(leaf.status().code(), ErrorCode::kPolicy);
    EXPECT_EQ(leaf.status().message().rfind("lint name-constraints-violated: ", 0), 0u)
        << leaf.status().message();
    EXPECT_NE(leaf.status().message().find(r.fragment), std::string::npos)
        << leaf.status().message();
    EXPECT_NE(leaf.status().message().find("of the CA certificate CN=NC Intermediate"),
              std::string::npos)
        << leaf.status().message();
  }
}

// The peer check: OpenSSL, not trustplane, signs leaves under the
// trustplane-issued constrained intermediate; `openssl verify` must accept
// the one inside and refuse the one outside.
TEST(NameConstraintsPeer, OpensslVerifyEnforcesThemOnLeavesOpensslSigns) {
  TempDir dir;
  const Chain c = MakeConstrainedChain();
  WriteFile(dir.Join("root.pem"), c.root.ToPem());
  WriteFile(dir.Join("ica.pem"), c.intermediate.ToPem());
  WriteFile(dir.Join("ica-key.pem"), c.intermediate_key.ToPem());
  const auto leaf = [&](const std::string& name, const std::string& san) {
    OpenSsl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", dir.Join(name + "-key.pem"), "-subj", "/CN=" + name, "-out",
             dir.Join(name + ".csr")});
    WriteFile(dir.Join(name + ".ext"), "subjectAltName=" + san + "\n");
    OpenSsl({"x509", "-req", "-in", dir.Join(name + ".csr"), "-CA", dir.Join("ica.pem"), "-CAkey",
             dir.Join("ica-key.pem"), "-CAcreateserial", "-days", "1", "-extfile",
             dir.Join(name + ".ext"), "-out", dir.Join(name + ".pem")});
    return RunProcess({"openssl", "verify", "-CAfile", dir.Join("root.pem"), "-untrusted",
                       dir.Join("ica.pem"), dir.Join(name + ".pem")});
  };
  auto inside = leaf("inside", "DNS:api.example.com,IP:10.1.2.3");
  EXPECT_EQ(inside.exit_code, 0) << inside.out << inside.err;
  auto outside = leaf("outside", "DNS:api.example.net");
  EXPECT_NE(outside.exit_code, 0) << outside.out;
  EXPECT_NE((outside.out + outside.err).find("permitted subtree violation"), std::string::npos)
      << outside.out << outside.err;
  auto excluded = leaf("excluded", "IP:10.66.0.9");
  EXPECT_NE(excluded.exit_code, 0) << excluded.out;
  EXPECT_NE((excluded.out + excluded.err).find("excluded subtree violation"), std::string::npos)
      << excluded.out << excluded.err;
}

}  // namespace
}  // namespace trustplane::pki
