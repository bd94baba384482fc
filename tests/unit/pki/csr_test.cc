#include "trustplane/pki/csr.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "trustplane/pki/certificate_request.h"
#include "trustplane/pki/pem.h"
#include "trustplane/pki/private_key.h"
#include "unit/x509/openssl_cli.h"

namespace trustplane::pki {
namespace {

using testing::OpenSsl;
using testing::TempDir;
using testing::WriteFile;
using Names = std::vector<std::string>;

PrivateKey NewKey(const std::string& algo = "ecdsa", int size = 256) {
  auto key = PrivateKey::Generate(KeySpec{algo, size});
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

CertificateRequest ServiceRequest() {
  CertificateRequest r;
  r.subject.cn = "svc.example.com";
  NameEntry n;
  n.c = "US";
  n.o = "Acme";
  n.ou = "Platform";
  r.subject.names.push_back(n);
  r.hosts = {"svc.example.com", "10.0.0.1", "2001:db8::1", "ops@example.com",
             "spiffe://acme/ns/prod/sa/svc"};
  return r;
}

Csr MustGenerate(const CertificateRequest& request, const PrivateKey& key) {
  auto csr = Csr::Generate(request, key);
  EXPECT_TRUE(csr.ok()) << csr.status().ToString();
  return std::move(csr).value();
}

void ExpectInvalid(const Result<Csr>& csr, const std::string& piece) {
  ASSERT_FALSE(csr.ok()) << "accepted";
  EXPECT_EQ(csr.status().code(), ErrorCode::kInvalidArgument) << csr.status().ToString();
  EXPECT_NE(csr.status().message().find(piece), std::string::npos) << csr.status().message();
}

TEST(CsrTest, GenerateRoundTripsThroughPem) {
  const PrivateKey key = NewKey();
  const Csr csr = MustGenerate(ServiceRequest(), key);
  const std::string pem = csr.ToPem();
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE REQUEST-----\n", 0), 0u);

  auto back = Csr::FromPem(pem);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->der(), csr.der());
  EXPECT_EQ(back->common_name(), "svc.example.com");
  EXPECT_NE(back->subject().find("CN=svc.example.com"), std::string::npos) << back->subject();
  EXPECT_NE(back->subject().find("O=Acme"), std::string::npos) << back->subject();
  EXPECT_NE(back->subject().find("OU=Platform"), std::string::npos) << back->subject();
  EXPECT_NE(back->subject().find("C=US"), std::string::npos) << back->subject();
  EXPECT_FALSE(back->subject_empty());
  EXPECT_EQ(back->sans().dns, Names{"svc.example.com"});
  EXPECT_EQ(back->sans().ip, (Names{"10.0.0.1", "2001:db8::1"}));
  EXPECT_EQ(back->sans().email, Names{"ops@example.com"});
  EXPECT_EQ(back->sans().uri, Names{"spiffe://acme/ns/prod/sa/svc"});
  EXPECT_FALSE(back->has_other_sans());
  EXPECT_FALSE(back->requests_ca());
  EXPECT_EQ(back->public_key().type, x509::KeyType::kEc);
  EXPECT_EQ(back->public_key().curve, "P-256");

  // The same through DER.
  auto from_der = Csr::FromDer(csr.der());
  ASSERT_TRUE(from_der.ok()) << from_der.status().ToString();
  EXPECT_EQ(from_der->sans().Hosts(), csr.sans().Hosts());
}

TEST(CsrTest, OpensslVerifiesAndReadsTheGeneratedRequest) {
  TempDir dir;
  const Csr csr = MustGenerate(ServiceRequest(), NewKey());
  WriteFile(dir.Join("csr.pem"), csr.ToPem());
  testing::ProcessResult verify =
      testing::RunProcess({"openssl", "req", "-in", dir.Join("csr.pem"), "-noout", "-verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_NE((verify.out + verify.err).find("verify OK"), std::string::npos)
      << verify.out << verify.err;

  const std::string text = OpenSsl({"req", "-in", dir.Join("csr.pem"), "-noout", "-text"});
  for (const std::string& piece :
       Names{"DNS:svc.example.com", "IP Address:10.0.0.1", "IP Address:2001:DB8:0:0:0:0:0:1",
             "email:ops@example.com", "URI:spiffe://acme/ns/prod/sa/svc", "CN = svc.example.com"}) {
    EXPECT_NE(text.find(piece), std::string::npos) << piece << " not in:\n" << text;
  }
  EXPECT_EQ(text.find("CA:TRUE"), std::string::npos);
}

TEST(CsrTest, CaRequestCarriesCriticalBasicConstraints) {
  TempDir dir;
  CertificateRequest request;
  request.subject.cn = "Acme Intermediate";
  request.ca = CaSettings{};
  request.ca->path_len = 1;
  const Csr csr = MustGenerate(request, NewKey());
  EXPECT_TRUE(csr.requests_ca());
  auto back = Csr::FromPem(csr.ToPem());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->requests_ca());

  WriteFile(dir.Join("ca.csr"), csr.ToPem());
  const std::string text = OpenSsl({"req", "-in", dir.Join("ca.csr"), "-noout", "-text"});
  EXPECT_NE(text.find("X509v3 Basic Constraints: critical"), std::string::npos) << text;
  EXPECT_NE(text.find("CA:TRUE, pathlen:1"), std::string::npos) << text;
}

TEST(CsrTest, EmptySubjectMakesTheSanCritical) {
  TempDir dir;
  CertificateRequest request;
  request.hosts = {"svc.example.com"};
  const Csr csr = MustGenerate(request, NewKey());
  EXPECT_TRUE(csr.subject_empty());
  EXPECT_EQ(csr.subject(), "");
  EXPECT_EQ(csr.common_name(), "");
  WriteFile(dir.Join("csr.pem"), csr.ToPem());
  const std::string text = OpenSsl({"req", "-in", dir.Join("csr.pem"), "-noout", "-text"});
  EXPECT_NE(text.find("X509v3 Subject Alternative Name: critical"), std::string::npos) << text;
}

TEST(CsrTest, GeneratesForEveryKeyKind) {
  struct Case {
    std::string algo;
    int size;
    x509::KeyType type;
    int bits;
  };
  for (const Case& c :
       {Case{"ecdsa", 384, x509::KeyType::kEc, 384}, Case{"ecdsa", 521, x509::KeyType::kEc, 521},
        Case{"rsa", 2048, x509::KeyType::kRsa, 2048},
        Case{"ed25519", 0, x509::KeyType::kEd25519, 256}}) {
    const Csr csr = MustGenerate(ServiceRequest(), NewKey(c.algo, c.size));
    auto back = Csr::FromPem(csr.ToPem());
    ASSERT_TRUE(back.ok()) << c.algo << ": " << back.status().ToString();
    EXPECT_EQ(back->public_key().type, c.type) << c.algo;
    EXPECT_EQ(back->public_key().bits, c.bits) << c.algo;
  }
}

// The SubjectPublicKeyInfo trustplane assembles itself (no OpenSSL encoder)
// must be byte for byte what openssl writes for the same key, in the key's
// own public_key_der() and in a generated request, which openssl verifies.
TEST(CsrTest, PublicKeyInfoIsWhatOpensslEncodesForEveryKeyKind) {
  TempDir dir;
  for (const auto& [algo, size] : std::vector<std::pair<std::string, int>>{
           {"ecdsa", 256}, {"ecdsa", 384}, {"ecdsa", 521}, {"rsa", 2048}, {"ed25519", 0}}) {
    const std::string name = algo + std::to_string(size);
    const PrivateKey key = NewKey(algo, size);
    ASSERT_TRUE(key.WriteFile(dir.Join(name + "-key.pem")).ok());
    OpenSsl({"pkey", "-in", dir.Join(name + "-key.pem"), "-pubout", "-outform", "DER", "-out",
             dir.Join(name + "-pub.der")});
    EXPECT_EQ(key.public_key_der(), testing::ReadFile(dir.Join(name + "-pub.der"))) << name;

    WriteFile(dir.Join(name + ".csr"), MustGenerate(ServiceRequest(), key).ToPem());
    testing::ProcessResult verify =
        testing::RunProcess({"openssl", "req", "-in", dir.Join(name + ".csr"), "-noout", "-verify"});
    EXPECT_NE((verify.out + verify.err).find("verify OK"), std::string::npos) << name << verify.err;
    EXPECT_EQ(OpenSsl({"req", "-in", dir.Join(name + ".csr"), "-noout", "-pubkey"}),
              OpenSsl({"pkey", "-in", dir.Join(name + "-key.pem"), "-pubout"}))
        << name;
  }
}

TEST(CsrTest, KeySpecRefusesWeakOrUnknownKeys) {
  for (const KeySpec& spec : {KeySpec{"rsa", 1024}, KeySpec{"rsa", 16384}, KeySpec{"ecdsa", 255},
                              KeySpec{"ecdsa", 224}, KeySpec{"dsa", 2048}, KeySpec{"ECDSA", 256}}) {
    EXPECT_EQ(spec.Validate().code(), ErrorCode::kInvalidArgument) << spec.algo << " " << spec.size;
    EXPECT_FALSE(PrivateKey::Generate(spec).ok()) << spec.algo << " " << spec.size;
  }
}

TEST(CsrTest, ReadsRequestsMadeByOpenssl) {
  TempDir dir;
  testing::ProcessResult r = testing::RunProcess(
      {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes",
       "-keyout", dir.Join("k.pem"), "-subj", "/O=Acme/CN=cli.example.com", "-addext",
       "subjectAltName=DNS:cli.example.com,IP:192.0.2.1,email:cli@example.com,URI:spiffe://acme/"
       "cli",
       "-out", dir.Join("csr.pem")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto csr = Csr::FromPem(testing::ReadFile(dir.Join("csr.pem")));
  ASSERT_TRUE(csr.ok()) << csr.status().ToString();
  EXPECT_EQ(csr->common_name(), "cli.example.com");
  EXPECT_EQ(csr->sans().dns, Names{"cli.example.com"});
  EXPECT_EQ(csr->sans().ip, Names{"192.0.2.1"});
  EXPECT_EQ(csr->sans().email, Names{"cli@example.com"});
  EXPECT_EQ(csr->sans().uri, Names{"spiffe://acme/cli"});
  EXPECT_EQ(csr->public_key().curve, "P-384");
  EXPECT_FALSE(csr->has_other_sans());
  EXPECT_FALSE(csr->requests_ca());
}

TEST(CsrTest, NotesSanKindsItDoesNotCopy) {
  TempDir dir;
  testing::ProcessResult r = testing::RunProcess(
      {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-keyout", dir.Join("k.pem"), "-subj", "/CN=other", "-addext",
       "subjectAltName=DNS:other.example.com,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example."
       "com",
       "-out", dir.Join("csr.pem")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto csr = Csr::FromPem(testing::ReadFile(dir.Join("csr.pem")));
  ASSERT_TRUE(csr.ok()) << csr.status().ToString();
  EXPECT_TRUE(csr->has_other_sans());
  EXPECT_EQ(csr->sans().dns, Names{"other.example.com"});
}

TEST(CsrTest, RefusesATamperedSignature) {
  const Csr csr = MustGenerate(ServiceRequest(), NewKey());
  // The last byte belongs to the signature value.
  std::string der = csr.der();
  der.back() ^= 0x01;
  ExpectInvalid(Csr::FromDer(der), "signature");
  ExpectInvalid(Csr::FromPem(PemEncode("CERTIFICATE REQUEST", der)), "signature");
}

TEST(CsrTest, RefusesATamperedSubjectOrSan) {
  const Csr csr = MustGenerate(ServiceRequest(), NewKey());
  for (const std::string& target : Names{"Acme", "spiffe://acme/ns/prod/sa/svc"}) {
    std::string der = csr.der();
    const size_t at = der.find(target);
    ASSERT_NE(at, std::string::npos) << target;
    der[at] ^= 0x20;  // same length, different text: the request still parses
    ExpectInvalid(Csr::FromDer(der), "signature");
  }
}

TEST(CsrTest, RefusesWhatIsNotARequest) {
  const Csr csr = MustGenerate(ServiceRequest(), NewKey());
  ExpectInvalid(Csr::FromPem("hello"), "not a PEM");
  ExpectInvalid(Csr::FromPem(""), "not a PEM");
  ExpectInvalid(Csr::FromPem(PemEncode("CERTIFICATE", csr.der())), "not a PEM");
  EXPECT_FALSE(Csr::FromDer(csr.der().substr(0, csr.der().size() / 2)).ok());
  EXPECT_FALSE(Csr::FromDer("").ok());
  ExpectInvalid(Csr::FromDer(csr.der() + std::string(4, '\0')), "trailing");
  EXPECT_FALSE(Csr::FromDer(std::string(70 * 1024, '\x30')).ok());
}

TEST(CsrTest, AcceptsTheOldNewCertificateRequestLabel) {
  const Csr csr = MustGenerate(ServiceRequest(), NewKey());
  auto back = Csr::FromPem("leading text\n" + PemEncode("NEW CERTIFICATE REQUEST", csr.der()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->der(), csr.der());
}

TEST(CsrTest, ParsedCsrJsonGeneratesTheSameRequest) {
  auto request = ParseCertificateRequest(R"({
    "CN": "svc.example.com",
    "names": [{"C": "US", "O": "Acme", "OU": "Platform"}],
    "hosts": ["svc.example.com", "10.0.0.1", "ops@example.com", "spiffe://acme/svc"],
    "key": {"algo": "ecdsa", "size": 384}
  })");
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->key.size, 384);
  const Csr csr = MustGenerate(*request, NewKey(request->key.algo, request->key.size));
  EXPECT_EQ(csr.sans().Hosts(),
            (Names{"svc.example.com", "10.0.0.1", "ops@example.com", "spiffe://acme/svc"}));
  EXPECT_EQ(csr.public_key().curve, "P-384");

  auto typo = ParseCertificateRequest(R"({"CN": "x", "host": ["x"]})");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(typo.status().message().find("host"), std::string::npos);
}

}  // namespace
}  // namespace trustplane::pki
