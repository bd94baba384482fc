#include "trustplane/x509/certificate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include "openssl_cli.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::x509 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using trustplane::testing::CertSpec;
using trustplane::testing::KeyKind;
using trustplane::testing::MakeIssued;
using trustplane::testing::MakeSelfSigned;
using trustplane::testing::OpenSsl;
using trustplane::testing::TempDir;
using trustplane::testing::ValueAfterEquals;
using trustplane::testing::WriteFile;

class FingerprintTest : public ::testing::TestWithParam<KeyKind> {
 protected:
  // openssl's fingerprint of a certificate file, in our format.
  static std::string OpenSslFingerprint(const std::string& path, const std::string& form,
                                        const std::string& digest) {
    return ValueAfterEquals(
        OpenSsl({"x509", "-in", path, "-inform", form, "-noout", "-fingerprint", "-" + digest}));
  }
};

TEST_P(FingerprintTest, EqualsOpenSslForPemDerAndPkcs7) {
  TempDir dir;
  CertSpec spec;
  spec.cn = "fingerprint root";
  spec.is_ca = true;
  spec.key = GetParam();
  auto root = MakeSelfSigned(spec);
  const std::string pem = dir.Join("root.pem"), der = dir.Join("root.der");
  WriteFile(pem, root.cert_pem);
  WriteFile(der, testing::DerOf(root));
  const std::string sha256 = OpenSslFingerprint(pem, "PEM", "sha256");
  const std::string sha1 = OpenSslFingerprint(pem, "PEM", "sha1");
  ASSERT_EQ(sha256.size(), 64u);
  ASSERT_EQ(sha1.size(), 40u);
  EXPECT_EQ(OpenSslFingerprint(der, "DER", "sha256"), sha256);

  // The .p7b files are written by openssl itself, the way users make them.
  const std::string p7_pem = dir.Join("root.p7b"), p7_der = dir.Join("root.p7b.der");
  OpenSsl({"crl2pkcs7", "-nocrl", "-certfile", pem, "-out", p7_pem});
  OpenSsl({"crl2pkcs7", "-nocrl", "-certfile", pem, "-outform", "DER", "-out", p7_der});

  for (const std::string& path : {pem, der, p7_pem, p7_der}) {
    auto bundle = ReadBundleFile(path);
    ASSERT_TRUE(bundle.ok()) << path << ": " << bundle.status().message();
    ASSERT_EQ(bundle->certificates.size(), 1u) << path;
    EXPECT_EQ(bundle->certificates[0].sha256_hex(), sha256) << path;
    EXPECT_EQ(bundle->certificates[0].sha1_hex(), sha1) << path;
    EXPECT_EQ(bundle->certificates[0].sha256_raw().size(), 32u);
  }
}

INSTANTIATE_TEST_SUITE_P(KeyKinds, FingerprintTest,
                         ::testing::Values(KeyKind::kRsa2048, KeyKind::kEcP256, KeyKind::kEd25519),
                         [](const auto& info) {
                           switch (info.param) {
                             case KeyKind::kRsa2048:
                               return std::string("Rsa");
                             case KeyKind::kEcP256:
                               return std::string("Ecdsa");
                             default:
                               return std::string("Ed25519");
                           }
                         });

TEST(CertificateTest, SerialMatchesOpenSsl) {
  TempDir dir;
  // Random, one with the high bit set (DER adds a 00 octet), and a tiny one.
  for (const std::string& serial : {std::string(), std::string("ff01"), std::string("0a")}) {
    CertSpec spec;
    spec.serial_hex = serial;
    auto cert = MakeSelfSigned(spec);
    WriteFile(dir.Join("c.pem"), cert.cert_pem);
    const std::string expected =
        ValueAfterEquals(OpenSsl({"x509", "-in", dir.Join("c.pem"), "-noout", "-serial"}));
    EXPECT_EQ(cert.cert.serial_hex(), expected);
    if (!serial.empty()) {
      EXPECT_EQ(cert.cert.serial_hex(), serial);
    }
  }
  CertSpec spec;
  spec.serial_hex = "ff01";
  auto cert = MakeSelfSigned(spec).cert;
  EXPECT_EQ(cert.serial_decimal(), "65281");
  EXPECT_EQ(cert.serial_der_content(), std::string("\x00\xff\x01", 3));
}

TEST(CertificateTest, NamesInRfc2253Order) {
  CertSpec spec;
  spec.cn = "client, one";
  spec.org = "Acme Corp";
  auto cert = MakeSelfSigned(spec).cert;
  EXPECT_EQ(cert.subject(), "CN=client\\, one,O=Acme Corp");
  EXPECT_EQ(cert.issuer(), cert.subject());
  EXPECT_EQ(cert.common_name(), "client, one");
  EXPECT_EQ(cert.subject_der(), cert.issuer_der());
  EXPECT_TRUE(cert.IsSelfIssued());
}

TEST(CertificateTest, SubjectAltNamesAndSpiffeId) {
  auto root = testing::MakeRootCa("san root");
  CertSpec spec;
  spec.dns = {"api.example.com", "*.example.com"};
  spec.ip = {"10.1.2.3", "2001:db8::1", "::1"};
  spec.email = {"ops@example.com"};
  spec.uri = {"spiffe://example.org/ns/prod/sa/api"};
  auto cert = MakeIssued(spec, root).cert;
  EXPECT_THAT(cert.sans().dns, ElementsAre("api.example.com", "*.example.com"));
  EXPECT_THAT(cert.sans().ip, ElementsAre("10.1.2.3", "2001:db8::1", "::1"));
  EXPECT_THAT(cert.sans().email, ElementsAre("ops@example.com"));
  EXPECT_THAT(cert.sans().uri, ElementsAre("spiffe://example.org/ns/prod/sa/api"));
  EXPECT_EQ(cert.spiffe_id(), "spiffe://example.org/ns/prod/sa/api");

  spec.uri = {"spiffe://example.org/a", "spiffe://example.org/b"};  // an SVID has exactly one
  EXPECT_EQ(MakeIssued(spec, root).cert.spiffe_id(), std::nullopt);
  spec.uri = {"https://example.org/a"};
  EXPECT_EQ(MakeIssued(spec, root).cert.spiffe_id(), std::nullopt);
  EXPECT_TRUE(root.cert.sans().dns.empty());
}

// The gateway wraps the certificate libssl decoded from the handshake; it must
// read exactly like one parsed from DER, and outlive OpenSSL's own copy.
TEST(CertificateTest, FromOpenSslReadsLikeFromDerAndKeepsItsOwnReference) {
  auto root = testing::MakeRootCa("wrap root");
  CertSpec spec;
  spec.cn = "wrapped client";
  spec.uri = {"spiffe://example.org/wrapped"};
  const Certificate parsed = MakeIssued(spec, root).cert;
  const auto* p = reinterpret_cast<const unsigned char*>(parsed.der().data());
  X509* native = d2i_X509(nullptr, &p, static_cast<long>(parsed.der().size()));
  ASSERT_NE(native, nullptr);
  auto wrapped = Certificate::FromOpenSsl(native);
  X509_free(native);  // the handshake's copy goes away; ours stays
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().message();
  EXPECT_EQ(*wrapped, parsed);
  EXPECT_EQ(wrapped->sha256_hex(), parsed.sha256_hex());
  EXPECT_EQ(wrapped->subject(), parsed.subject());
  EXPECT_EQ(wrapped->spiffe_id(), "spiffe://example.org/wrapped");
  EXPECT_TRUE(wrapped->IsSignedBy(root.cert));
  EXPECT_FALSE(Certificate::FromOpenSsl(nullptr).ok());
}

TEST(CertificateTest, PublicKeyInfo) {
  struct Case {
    KeyKind kind;
    KeyType type;
    int bits;
    std::string curve, description;
  };
  for (const Case& c : {Case{KeyKind::kRsa2048, KeyType::kRsa, 2048, "", "RSA 2048"},
                        Case{KeyKind::kRsa1024, KeyType::kRsa, 1024, "", "RSA 1024"},
                        Case{KeyKind::kEcP256, KeyType::kEc, 256, "P-256", "ECDSA P-256"},
                        Case{KeyKind::kEcP384, KeyType::kEc, 384, "P-384", "ECDSA P-384"},
                        Case{KeyKind::kEcP521, KeyType::kEc, 521, "P-521", "ECDSA P-521"},
                        Case{KeyKind::kEd25519, KeyType::kEd25519, 256, "", "Ed25519"}}) {
    CertSpec spec;
    spec.key = c.kind;
    const PublicKeyInfo k = MakeSelfSigned(spec).cert.public_key();
    EXPECT_EQ(k.type, c.type) << c.description;
    EXPECT_EQ(k.bits, c.bits) << c.description;
    EXPECT_EQ(k.curve, c.curve) << c.description;
    EXPECT_EQ(k.description, c.description);
  }
  EXPECT_EQ(KeyTypeName(KeyType::kEc), "EC");
}

TEST(CertificateTest, SignatureAlgorithmAndDigest) {
  struct Case {
    KeyKind kind;
    std::string digest, algorithm, expected_digest;
  };
  for (const Case& c : {Case{KeyKind::kEcP256, "SHA256", "ecdsa-with-SHA256", "SHA256"},
                        Case{KeyKind::kEcP384, "SHA384", "ecdsa-with-SHA384", "SHA384"},
                        Case{KeyKind::kRsa2048, "SHA256", "sha256WithRSAEncryption", "SHA256"},
                        Case{KeyKind::kRsa2048, "SHA1", "sha1WithRSAEncryption", "SHA1"},
                        Case{KeyKind::kRsa2048, "MD5", "md5WithRSAEncryption", "MD5"},
                        Case{KeyKind::kEd25519, "SHA256", "ED25519", ""}}) {
    CertSpec spec;
    spec.key = c.kind;
    spec.digest = c.digest;
    auto cert = MakeSelfSigned(spec).cert;
    EXPECT_EQ(cert.signature_algorithm(), c.algorithm);
    EXPECT_EQ(cert.signature_digest(), c.expected_digest) << c.algorithm;
  }
}

TEST(CertificateTest, BasicConstraintsAndKeyUsage) {
  CertSpec ca_spec;
  ca_spec.is_ca = true;
  ca_spec.path_len = 2;
  auto ca = MakeSelfSigned(ca_spec).cert;
  EXPECT_TRUE(ca.basic_constraints().present);
  EXPECT_TRUE(ca.basic_constraints().critical);
  EXPECT_TRUE(ca.basic_constraints().is_ca);
  EXPECT_EQ(ca.basic_constraints().path_len, 2);
  EXPECT_TRUE(ca.key_usage().present);
  EXPECT_THAT(ca.key_usage().Names(), ElementsAre("keyCertSign", "cRLSign"));

  auto leaf = MakeSelfSigned(CertSpec{}).cert;
  EXPECT_TRUE(leaf.basic_constraints().present);
  EXPECT_FALSE(leaf.basic_constraints().is_ca);
  EXPECT_EQ(leaf.basic_constraints().path_len, std::nullopt);
  EXPECT_THAT(leaf.key_usage().Names(), ElementsAre("digitalSignature"));

  CertSpec bare;
  bare.basic_constraints = false;
  bare.key_usage_leaf = false;
  auto bare_cert = MakeSelfSigned(bare).cert;
  EXPECT_FALSE(bare_cert.basic_constraints().present);
  EXPECT_FALSE(bare_cert.key_usage().present);
  EXPECT_TRUE(bare_cert.key_usage().Names().empty());
}

TEST(CertificateTest, ExtendedKeyUsageNames) {
  CertSpec spec;
  spec.eku = {"clientAuth",   "serverAuth",  "codeSigning",        "emailProtection",
              "timeStamping", "OCSPSigning", "1.3.6.1.4.1.99999.1"};
  auto cert = MakeSelfSigned(spec).cert;
  EXPECT_TRUE(cert.extended_key_usage().present);
  EXPECT_EQ(cert.extended_key_usage().purposes, spec.eku);
  EXPECT_TRUE(cert.extended_key_usage().Has("OCSPSigning"));
  EXPECT_FALSE(MakeSelfSigned(CertSpec{}).cert.extended_key_usage().present);
}

TEST(CertificateTest, KeyIdentifiersMatchOpenSsl) {
  TempDir dir;
  auto root = testing::MakeRootCa("kid root");
  auto leaf = testing::MakeClientLeaf("kid leaf", root);
  WriteFile(dir.Join("leaf.pem"), leaf.cert_pem);
  const std::string ext =
      OpenSsl({"x509", "-in", dir.Join("leaf.pem"), "-noout", "-ext", "subjectKeyIdentifier"});
  EXPECT_EQ(ValueAfterEquals("=" + ext.substr(ext.find('\n') + 1)), leaf.cert.subject_key_id());
  EXPECT_EQ(leaf.cert.subject_key_id().size(), 40u);
  EXPECT_EQ(leaf.cert.authority_key_id(), root.cert.subject_key_id());
  EXPECT_EQ(root.cert.authority_key_id(), "");

  CertSpec no_ids;
  no_ids.skid_akid = false;
  auto bare = MakeIssued(no_ids, root).cert;
  EXPECT_EQ(bare.subject_key_id(), "");
  EXPECT_EQ(bare.authority_key_id(), "");
}

TEST(CertificateTest, ValidityAsUnixSeconds) {
  CertSpec spec;
  spec.not_before = 1'800'000'000;  // 2027-01-15, UTCTime
  spec.not_after = 2'600'000'000;   // 2052-05-22, GeneralizedTime
  auto cert = MakeSelfSigned(spec).cert;
  EXPECT_EQ(cert.not_before(), 1'800'000'000);
  EXPECT_EQ(cert.not_after(), 2'600'000'000);
  EXPECT_TRUE(cert.IsValidAt(1'800'000'000));
  EXPECT_FALSE(cert.IsValidAt(1'799'999'999));
  EXPECT_FALSE(cert.IsValidAt(2'600'000'001));
}

TEST(CertificateTest, NameConstraintCount) {
  CertSpec spec;
  spec.is_ca = true;
  spec.name_constraints = 3;
  EXPECT_EQ(MakeSelfSigned(spec).cert.name_constraint_count(), 3);
  EXPECT_EQ(MakeSelfSigned(CertSpec{}).cert.name_constraint_count(), 0);
}

TEST(CertificateTest, SignatureChecks) {
  auto root = testing::MakeRootCa("sig root");
  auto other_root = testing::MakeRootCa("sig other root");
  auto leaf = testing::MakeClientLeaf("sig leaf", root);
  EXPECT_TRUE(root.cert.VerifySelfSignature());
  EXPECT_TRUE(leaf.cert.IsSignedBy(root.cert));
  EXPECT_FALSE(leaf.cert.IsSignedBy(other_root.cert));
  EXPECT_FALSE(leaf.cert.VerifySelfSignature());
  EXPECT_FALSE(leaf.cert.IsSelfIssued());
}

TEST(CertificateTest, ToPemIsRfc7468) {
  auto cert = MakeSelfSigned(CertSpec{});
  const std::string pem = cert.cert.ToPem();
  EXPECT_EQ(pem, cert.cert_pem);  // byte-identical to OpenSSL's PEM writer
  size_t start = 0, end = 0;
  while ((end = pem.find('\n', start)) != std::string::npos) {
    EXPECT_LE(end - start, 64u);
    start = end + 1;
  }
  EXPECT_EQ(start, pem.size());  // ends with a newline
}

TEST(CertificateTest, FromDerRejectsBadInput) {
  const std::string der = testing::DerOf(MakeSelfSigned(CertSpec{}));
  EXPECT_THAT(Certificate::FromDer("").status().message(), HasSubstr("empty"));
  EXPECT_THAT(Certificate::FromDer(der + "xyz").status().message(),
              HasSubstr("followed by 3 trailing bytes"));
  EXPECT_THAT(Certificate::FromDer(der.substr(0, der.size() - 1)).status().message(),
              HasSubstr("not a valid X.509 certificate"));
  auto ok = Certificate::FromDer(der);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->der(), der);
  EXPECT_EQ(Certificate::FromDer(der).value(), ok.value());
}

}  // namespace
}  // namespace trustplane::x509
