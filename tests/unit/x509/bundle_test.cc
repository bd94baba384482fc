#include "trustplane/x509/bundle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <optional>

#include "openssl_cli.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"

namespace trustplane::x509 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using trustplane::testing::DerOf;
using trustplane::testing::Issued;
using trustplane::testing::PemOf;
using trustplane::testing::Pkcs7Of;
using trustplane::testing::TempDir;
using trustplane::testing::WriteFile;

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string PemWrap(const std::string& label, const std::string& der) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio(bio, label.c_str(), "", reinterpret_cast<const unsigned char*>(der.data()),
                static_cast<long>(der.size()));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

// A CSR and a CRL, DER-encoded, to check they are named as such.
std::string CsrDer(const Issued& subject) {
  X509_REQ* req = X509_REQ_new();
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("csr"), -1, -1, 0);
  X509_REQ_set_pubkey(req, subject.key.get());
  X509_REQ_sign(req, subject.key.get(), EVP_sha256());
  unsigned char* buf = nullptr;
  int n = i2d_X509_REQ(req, &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
  OPENSSL_free(buf);
  X509_REQ_free(req);
  return out;
}

std::string CrlDer(const Issued& ca) {
  const std::string ca_der = DerOf(ca);
  const auto* p = reinterpret_cast<const unsigned char*>(ca_der.data());
  X509* ca_x509 = d2i_X509(nullptr, &p, static_cast<long>(ca_der.size()));
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_x509));
  ASN1_TIME* now = ASN1_TIME_set(nullptr, time(nullptr));
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_sign(crl, ca.key.get(), EVP_sha256());
  unsigned char* buf = nullptr;
  int n = i2d_X509_CRL(crl, &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
  OPENSSL_free(buf);
  ASN1_TIME_free(now);
  X509_CRL_free(crl);
  X509_free(ca_x509);
  return out;
}

class BundleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_.emplace(testing::MakeRootCa("bundle root", testing::KeyKind::kRsa2048));
    inter_.emplace(testing::MakeIntermediateCa("bundle inter", *root_));
    leaf_.emplace(testing::MakeClientLeaf("bundle leaf", *inter_));
  }
  static void TearDownTestSuite() {
    leaf_.reset();
    inter_.reset();
    root_.reset();
  }

  static std::vector<std::string> Subjects(const ParsedBundle& b) {
    std::vector<std::string> out;
    for (const auto& c : b.certificates) out.push_back(c.common_name());
    return out;
  }

  // The message of a parse that must fail with kInvalidArgument.
  static std::string ErrorOf(std::string_view input) {
    auto r = ParseBundle(input);
    EXPECT_FALSE(r.ok());
    if (r.ok()) return "";
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << r.status().message();
    return r.status().message();
  }

  // Shared by the suite: building them once keeps the tests fast.
  static inline std::optional<Issued> root_, inter_, leaf_;
};

TEST_F(BundleTest, PemKeepsInputOrder) {
  auto b = ParseBundle(PemOf({*leaf_, *root_, *inter_}));
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->format, BundleFormat::kPem);
  EXPECT_THAT(Subjects(*b), ElementsAre("bundle leaf", "bundle root", "bundle inter"));
  EXPECT_EQ(b->certificates[1], root_->cert);
}

TEST_F(BundleTest, PemWithCrlfAndTextAroundBlocks) {
  const std::string input = "Bag Attributes\n    friendlyName: tenant bundle\nsubject=CN = root\n" +
                            root_->cert_pem + "\nsome notes between blocks\n\n" + inter_->cert_pem +
                            "trailing text without newline";
  auto b = ParseBundle(ReplaceAll(input, "\n", "\r\n"));
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_THAT(Subjects(*b), ElementsAre("bundle root", "bundle inter"));
}

TEST_F(BundleTest, SingleDer) {
  auto b = ParseBundle(DerOf(*leaf_));
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->format, BundleFormat::kDer);
  EXPECT_THAT(Subjects(*b), ElementsAre("bundle leaf"));
}

TEST_F(BundleTest, Pkcs7PemAndDer) {
  auto pem = ParseBundle(Pkcs7Of({*inter_, *root_}, /*pem=*/true));
  ASSERT_TRUE(pem.ok()) << pem.status().message();
  EXPECT_EQ(pem->format, BundleFormat::kPkcs7Pem);
  EXPECT_THAT(Subjects(*pem), ElementsAre("bundle inter", "bundle root"));

  auto der = ParseBundle(Pkcs7Of({*root_, *inter_, *leaf_}, /*pem=*/false));
  ASSERT_TRUE(der.ok()) << der.status().message();
  EXPECT_EQ(der->format, BundleFormat::kPkcs7Der);
  EXPECT_THAT(Subjects(*der), ElementsAre("bundle root", "bundle inter", "bundle leaf"));
  EXPECT_EQ(BundleFormatName(BundleFormat::kPkcs7Der), "PKCS#7 DER");
}

TEST_F(BundleTest, OurPkcs7IsReadableByOpenSsl) {
  TempDir dir;
  WriteFile(dir.Join("b.p7b"), Pkcs7Of({*root_, *inter_}, /*pem=*/true));
  const std::string out = testing::OpenSsl({"pkcs7", "-in", dir.Join("b.p7b"), "-print_certs"});
  auto b = ParseBundle(out);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_THAT(Subjects(*b), ElementsAre("bundle root", "bundle inter"));
}

TEST_F(BundleTest, EachBadInputHasItsOwnMessage) {
  const std::string der = DerOf(*leaf_);
  const std::string csr = CsrDer(*leaf_);
  const std::string crl = CrlDer(*root_);
  const std::string body = root_->cert_pem.substr(28, 64);  // one line of base64
  struct Case {
    std::string name, input, message;
  };
  const std::vector<Case> cases = {
      {"empty", "", "input is empty"},
      {"whitespace", " \r\n\t\n", "input contains only whitespace"},
      {"binary garbage", std::string("\x01\x02\xff\xfe garbage", 12),
       "input is neither PEM nor DER: no -----BEGIN line, and the first byte 0x01"},
      {"plain text", "hello, this is not a certificate\n",
       "input is text without any -----BEGIN line"},
      {"base64 without armor", body + "\n", "input looks like base64 without PEM armor"},
      {"truncated DER", der.substr(0, 100),
       "truncated DER: declares " + std::to_string(der.size()) + " bytes, has 100"},
      {"DER with trailing bytes", der + "abc", "DER input has 3 trailing bytes"},
      {"DER that is no certificate", std::string("\x30\x03\x02\x01\x05", 5),
       "DER input is neither an X.509 certificate nor a PKCS#7 bundle"},
      {"private key PEM", leaf_->key_pem, "input is a private key, not a certificate"},
      {"traditional EC key",
       "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n",
       "input is a private key, not a certificate"},
      {"encrypted key",
       "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
       "input is a private key, not a certificate"},
      {"certificate with its key", leaf_->cert_pem + leaf_->key_pem,
       "input includes a private key (PEM block 2, PRIVATE KEY); refusing the whole input"},
      {"CSR PEM", PemWrap("CERTIFICATE REQUEST", csr),
       "input is a certificate signing request (CSR), not a certificate"},
      {"CSR DER", csr, "input is a certificate signing request (CSR), not a certificate"},
      {"CSR among certificates", root_->cert_pem + PemWrap("CERTIFICATE REQUEST", csr),
       "PEM block 2 is a certificate signing request (CSR), not a certificate"},
      {"CRL PEM", PemWrap("X509 CRL", crl),
       "input is a certificate revocation list (CRL), not a certificate"},
      {"CRL DER", crl, "input is a certificate revocation list (CRL), not a certificate"},
      {"public key", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
       "input is a bare public key, not a certificate"},
      {"trusted certificate", PemWrap("TRUSTED CERTIFICATE", der),
       "input is an OpenSSL TRUSTED CERTIFICATE"},
      {"unknown label", PemWrap("OPENSSH THING", der), "input is a PEM \"OPENSSH THING\" block"},
      {"bad base64 in block 2",
       root_->cert_pem + "-----BEGIN CERTIFICATE-----\nMIIB*!!\n-----END CERTIFICATE-----\n",
       "PEM block 2 (CERTIFICATE) is not valid base64"},
      {"only a BEGIN line", "-----BEGIN CERTIFICATE-----\n",
       "PEM block 1 (CERTIFICATE) has no -----END CERTIFICATE----- line"},
      {"END line missing before next block",
       "-----BEGIN CERTIFICATE-----\n" + body + "\n" + root_->cert_pem,
       "PEM block 1 (CERTIFICATE) has no -----END CERTIFICATE----- line before the next block"},
      {"only an END line", "-----END CERTIFICATE-----\n",
       "input has a -----END line but no -----BEGIN line"},
      {"empty block", "-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n",
       "PEM block 1 (CERTIFICATE) is empty"},
      {"block holding a truncated certificate", PemWrap("CERTIFICATE", der.substr(0, 200)),
       "PEM block 1 (CERTIFICATE): not a valid X.509 certificate"},
      {"PKCS7 block holding a certificate", PemWrap("PKCS7", der),
       "PEM block 1 (PKCS7) is not valid PKCS#7 data"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ErrorOf(c.input), HasSubstr(c.message)) << c.name;
  }
}

TEST_F(BundleTest, PrivateKeyDerIsNamed) {
  const std::string pem = leaf_->key_pem;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  ASSERT_NE(key, nullptr);
  unsigned char* buf = nullptr;
  int n = i2d_PrivateKey(key, &buf);
  std::string der(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
  OPENSSL_free(buf);
  EVP_PKEY_free(key);
  BIO_free(bio);
  EXPECT_EQ(ErrorOf(der), "input is a private key, not a certificate");
}

TEST_F(BundleTest, RefusesMoreThanTheCertificateLimit) {
  std::string input;
  for (int i = 0; i < 1001; ++i) input += root_->cert_pem;
  EXPECT_THAT(ErrorOf(input), HasSubstr("more than 1000"));
}

TEST_F(BundleTest, ReadBundleFileErrorsNameThePath) {
  TempDir dir;
  const std::string missing = dir.Join("missing.pem");
  auto r = ReadBundleFile(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "cannot read " + missing + ": No such file or directory");

  const std::string big = dir.Join("big.pem");
  WriteFile(big, std::string(2000, 'A'));
  r = ReadBundleFile(big, 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), big + ": file is 2000 bytes, more than the limit 1000");

  const std::string key = dir.Join("key.pem");
  WriteFile(key, leaf_->key_pem);
  r = ReadBundleFile(key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), key + ": input is a private key, not a certificate");

  r = ReadBundleFile(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("Is a directory"));

  const std::string good = dir.Join("good.pem");
  WriteFile(good, PemOf({*root_, *inter_}));
  r = ReadBundleFile(good);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->certificates.size(), 2u);
}

}  // namespace
}  // namespace trustplane::x509
