// Csr::FromDer's fast path (no eager key decode) must agree with the
// straightforward d2i_X509_REQ + X509_REQ_verify on every request: the same
// accept/refuse decision, the same error, the same facts.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "trustplane/pki/certificate_request.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/pem.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/pki/signer.h"
#include "unit/x509/openssl_cli.h"

namespace trustplane::pki {
namespace {

using testing::OpenSsl;
using testing::TempDir;

void ExpectSameResult(const std::string& der, const std::string& what) {
  SCOPED_TRACE(what);
  Result<Csr> fast = Csr::FromDer(der);
  Result<Csr> plain = Csr::FromDerStraightforward(der);
  ASSERT_EQ(fast.ok(), plain.ok()) << (fast.ok() ? plain.status() : fast.status()).ToString();
  if (!fast.ok()) {
    EXPECT_EQ(fast.status().code(), plain.status().code());
    EXPECT_EQ(fast.status().message(), plain.status().message());
    return;
  }
  EXPECT_EQ(fast->der(), plain->der());
  EXPECT_EQ(fast->ToPem(), plain->ToPem());
  EXPECT_EQ(fast->subject(), plain->subject());
  EXPECT_EQ(fast->common_name(), plain->common_name());
  EXPECT_EQ(fast->subject_empty(), plain->subject_empty());
  EXPECT_EQ(fast->sans().dns, plain->sans().dns);
  EXPECT_EQ(fast->sans().ip, plain->sans().ip);
  EXPECT_EQ(fast->sans().email, plain->sans().email);
  EXPECT_EQ(fast->sans().uri, plain->sans().uri);
  EXPECT_EQ(fast->has_other_sans(), plain->has_other_sans());
  EXPECT_EQ(fast->requests_ca(), plain->requests_ca());
  EXPECT_EQ(fast->public_key().type, plain->public_key().type);
  EXPECT_EQ(fast->public_key().bits, plain->public_key().bits);
  EXPECT_EQ(fast->public_key().curve, plain->public_key().curve);
  EXPECT_EQ(fast->public_key().description, plain->public_key().description);
}

std::vector<CertificateRequest> Requests() {
  std::vector<CertificateRequest> out;
  CertificateRequest svc;
  svc.subject.cn = "svc.example.com";
  NameEntry n;
  n.c = "US";
  n.o = "Acme";
  n.ou = "Platform";
  svc.subject.names.push_back(n);
  svc.hosts = {"svc.example.com", "10.0.0.1", "2001:db8::1", "ops@example.com", "spiffe://acme/ns/prod/sa/svc"};
  out.push_back(svc);
  CertificateRequest bare;
  bare.subject.cn = "bare";
  out.push_back(bare);
  CertificateRequest sans_only;
  sans_only.hosts = {"only.example.com"};
  out.push_back(sans_only);
  CertificateRequest ca;
  ca.subject.cn = "Sub CA";
  ca.ca = CaSettings{};
  ca.ca->path_len = 1;
  out.push_back(ca);
  return out;
}

const std::vector<KeySpec> kKeys = {{"ecdsa", 256}, {"ecdsa", 384}, {"ecdsa", 521}, {"rsa", 2048}, {"ed25519", 0}};

TEST(CsrFastPathTest, AgreesOnGeneratedRequestsOfEveryKeyType) {
  for (const KeySpec& spec : kKeys) {
    for (int round = 0; round < 3; ++round) {  // fresh keys: different encodings (leading zeros, ...)
      auto key = PrivateKey::Generate(spec);
      ASSERT_TRUE(key.ok()) << key.status().ToString();
      for (const CertificateRequest& request : Requests()) {
        auto csr = Csr::Generate(request, *key);
        ASSERT_TRUE(csr.ok()) << csr.status().ToString();
        ExpectSameResult(csr->der(), spec.algo + " " + std::to_string(spec.size) + " " + csr->subject());
      }
    }
  }
}

// Every byte changed in turn: the fast path refuses what the straightforward
// path refuses (bad signature, bad encoding, off-curve points) with its error.
TEST(CsrFastPathTest, AgreesOnCorruptedRequests) {
  for (const KeySpec& spec : kKeys) {
    auto key = PrivateKey::Generate(spec);
    ASSERT_TRUE(key.ok());
    auto csr = Csr::Generate(Requests().front(), *key);
    ASSERT_TRUE(csr.ok());
    const std::string der = csr->der();
    const size_t step = spec.algo == "rsa" ? 3 : 1;
    for (size_t i = 0; i < der.size(); i += step) {
      for (unsigned char flip : {0x01, 0x80}) {
        std::string bad = der;
        bad[i] = static_cast<char>(bad[i] ^ flip);
        ExpectSameResult(bad, spec.algo + " byte " + std::to_string(i) + " ^ " + std::to_string(flip));
      }
    }
    ExpectSameResult(der.substr(0, der.size() - 1), spec.algo + " truncated");
    ExpectSameResult(der + std::string(1, '\0'), spec.algo + " trailing byte");
  }
}

TEST(CsrFastPathTest, BadSignatureIsRefusedWithTheUsualError) {
  auto key = PrivateKey::Generate({"ecdsa", 256});
  ASSERT_TRUE(key.ok());
  auto csr = Csr::Generate(Requests().front(), *key);
  ASSERT_TRUE(csr.ok());
  std::string bad = csr->der();
  bad[bad.size() - 5] = static_cast<char>(bad[bad.size() - 5] ^ 0x10);  // inside the signature value
  auto parsed = Csr::FromDer(bad);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
}

// Requests made by the openssl CLI with digests and key types trustplane does
// not produce itself; the unusual ones (RSA-PSS) take the straightforward path.
TEST(CsrFastPathTest, AgreesOnOpensslMadeRequests) {
  TempDir dir;
  struct Case {
    std::vector<std::string> keyopts;
    std::string digest;
  };
  const std::vector<Case> cases = {
      {{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}, "-sha256"},
      {{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"}, "-sha512"},
      {{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"}, "-sha384"},
      {{"-newkey", "rsa:2048"}, "-sha256"},
      {{"-newkey", "rsa:2048"}, "-sha1"},
      {{"-newkey", "rsa:3072"}, "-sha384"},
      {{"-newkey", "ed25519"}, ""},
      {{"-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"}, "-sha256"},
      {{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"}, "-sha256"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string out = dir.path() + "/req" + std::to_string(i++) + ".der";
    std::vector<std::string> args = {"req", "-new", "-nodes", "-keyout", dir.path() + "/key.pem",
                                     "-subj", "/C=DE/O=Example/CN=cli.example", "-addext",
                                     "subjectAltName=DNS:cli.example,IP:192.0.2.1", "-outform", "DER",
                                     "-out", out};
    args.insert(args.begin() + 2, c.keyopts.begin(), c.keyopts.end());
    if (!c.digest.empty()) args.push_back(c.digest);
    OpenSsl(args);
    std::string der = testing::ReadFile(out);
    ExpectSameResult(der, c.keyopts[1] + (c.keyopts.size() > 2 ? " " + c.keyopts.back() : "") + " " + c.digest);
  }
}

// A CSR parsed on the fast path carries no decoded key inside its X509_REQ;
// self-signing still checks that the key belongs to the request.
TEST(CsrFastPathTest, SelfSignOfAParsedRequestChecksItsKey) {
  CertificateRequest request;
  request.subject.cn = "Root";
  request.ca = CaSettings{};
  auto key = PrivateKey::Generate({"ecdsa", 256});
  auto other = PrivateKey::Generate({"ecdsa", 256});
  ASSERT_TRUE(key.ok() && other.ok());
  auto generated = Csr::Generate(request, *key);
  ASSERT_TRUE(generated.ok());
  auto parsed = Csr::FromDer(generated->der());
  ASSERT_TRUE(parsed.ok());
  const SigningProfile profile = SigningProfile::ForCa(*request.ca);
  EXPECT_TRUE(SelfSign(*parsed, *key, profile).ok());
  auto wrong = SelfSign(*parsed, *other, profile);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "the key does not belong to the CSR");
}

}  // namespace
}  // namespace trustplane::pki
