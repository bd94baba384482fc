#include "trustplane/gateway/client_cert_variables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "trustplane/base/encoding.h"
#include "trustplane/x509/bundle.h"
#include "trustplane/x509/verify_errors.h"

namespace trustplane::gateway {
namespace {

using ::testing::HasSubstr;
using trustplane::testing::ProcessResult;
using trustplane::testing::RunProcess;
using trustplane::testing::TempDir;
using trustplane::testing::WriteFile;
using V = CertVariable;

// stdout of a shell pipeline of openssl commands; failure fails the test.
std::string Sh(const std::string& script) {
  ProcessResult r = RunProcess({"sh", "-c", script});
  EXPECT_EQ(r.exit_code, 0) << script << "\n" << r.err;
  return r.out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Certificates made by the openssl CLI, as an operator would make them.
class OpenSslPki {
 public:
  OpenSslPki() {
    Sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
       Path("root.key") + " -out " + Path("root.pem") +
       " -subj '/CN=Test Root/O=Acme' -days 30 -addext basicConstraints=critical,CA:TRUE"
       " -addext keyUsage=keyCertSign -addext extendedKeyUsage=clientAuth 2>/dev/null");
  }

  std::string Path(const std::string& name) const { return dir_.Join(name); }

  // Issues `name` under `issuer` with the given subject and extension lines;
  // returns the PEM path.
  std::string Issue(const std::string& name, const std::string& subject, const std::string& ext,
                    const std::string& issuer = "root", const std::string& serial = "") {
    WriteFile(Path(name + ".ext"), ext + "\n");
    Sh("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
       Path(name + ".key") + " -out " + Path(name + ".csr") + " -subj '" + subject +
       "' 2>/dev/null && openssl x509 -req -in " + Path(name + ".csr") + " -CA " +
       Path(issuer + ".pem") + " -CAkey " + Path(issuer + ".key") + " -days 10 -extfile " +
       Path(name + ".ext") + (serial.empty() ? "" : " -set_serial " + serial) + " -out " +
       Path(name + ".pem") + " 2>/dev/null");
    return Path(name + ".pem");
  }

  static x509::Certificate Load(const std::string& pem_path) {
    auto bundle = x509::ReadBundleFile(pem_path);
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    return bundle->certificates.at(0);
  }

 private:
  TempDir dir_;
};

constexpr const char* kLeafExt =
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth";

class ClientCertVariablesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = std::make_unique<OpenSslPki>(); }
  static void TearDownTestSuite() { pki_.reset(); }

  static ClientCertVariables Verified(const std::string& pem,
                                      const std::vector<std::string>& presented = {},
                                      CertVariableSet needed = CertVariableSet().set()) {
    HandshakeOutcome o;
    o.leaf = OpenSslPki::Load(pem);
    for (const auto& p : presented) o.presented.push_back(OpenSslPki::Load(p));
    o.chain_verified = true;
    return ClientCertVariables::Compute(o, needed);
  }

  // openssl's base64 of a string, independent of our encoder.
  static std::string OpenSslBase64(const std::string& text) {
    return Trim(Sh("printf %s '" + text + "' | openssl base64 -A"));
  }

  static inline std::unique_ptr<OpenSslPki> pki_;
};

TEST_F(ClientCertVariablesTest, VerifiedLeafMatchesOpenSslEncodings) {
  // A serial with its high bit set: DER prepends 00, and the load balancer shows it.
  std::string leaf = pki_->Issue("alice", "/CN=alice/O=Acme", kLeafExt, "root",
                                 "0xad3e0102030405060708090a0b0c0d0ea1");
  ClientCertVariables v = Verified(leaf);

  EXPECT_EQ(v.Get(V::kPresent), "true");
  EXPECT_EQ(v.Get(V::kChainVerified), "true");
  EXPECT_EQ(v.Get(V::kError), "");

  std::string fp = Trim(Sh("openssl x509 -in " + leaf +
                           " -outform DER | openssl dgst -sha256 -binary | openssl base64 -A"));
  ASSERT_EQ(fp.back(), '=');
  fp.pop_back();  // the load balancer drops the padding
  EXPECT_EQ(v.Get(V::kSha256Fingerprint), fp);
  EXPECT_EQ(v.Get(V::kSha256Fingerprint).size(), 43u);

  EXPECT_EQ(v.Get(V::kSerialNumber), "00:ad:3e:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:a1");

  auto iso = [&](const std::string& flag) {  // "notBefore=2026-11-29 13:46:07Z"
    std::string s = Trim(Sh("openssl x509 -in " + leaf + " -noout -dateopt iso_8601 " + flag));
    s = s.substr(s.find('=') + 1);
    s[10] = 'T';
    return s.substr(0, 19) + "+00:00";
  };
  EXPECT_EQ(v.Get(V::kValidNotBefore), iso("-startdate"));
  EXPECT_EQ(v.Get(V::kValidNotAfter), iso("-enddate"));

  // The DN variables are base64 DER Names: openssl must parse them back.
  std::string subject = Sh("printf %s '" + v.Get(V::kSubjectDn) +
                           "' | openssl base64 -d -A | openssl asn1parse -inform DER");
  EXPECT_THAT(subject, HasSubstr(":alice"));
  EXPECT_THAT(subject, HasSubstr(":Acme"));
  std::string issuer = Sh("printf %s '" + v.Get(V::kIssuerDn) +
                          "' | openssl base64 -d -A | openssl asn1parse -inform DER");
  EXPECT_THAT(issuer, HasSubstr(":Test Root"));
  EXPECT_NE(v.Get(V::kIssuerDn), v.Get(V::kSubjectDn));

  std::string der_b64 = Trim(Sh("openssl x509 -in " + leaf + " -outform DER | openssl base64 -A"));
  EXPECT_EQ(v.Get(V::kLeaf), ":" + der_b64 + ":");
  EXPECT_EQ(v.Get(V::kChain), "");  // the client sent no intermediates
  EXPECT_EQ(v.Get(V::kSpiffeId), "");
  EXPECT_EQ(v.Get(V::kUriSans), "");
  EXPECT_EQ(v.Get(V::kDnsnameSans), "");
}

TEST_F(ClientCertVariablesTest, RandomSerialEqualsOpenSslSerial) {
  std::string leaf = pki_->Issue("random-serial", "/CN=bob", kLeafExt);
  std::string hex = Sh("openssl x509 -in " + leaf + " -noout -serial");
  std::string digits;
  for (char c : hex.substr(hex.find('=') + 1)) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      digits += static_cast<char>(std::tolower(c));
    }
  }
  std::string expected;
  if (digits[0] >= '8') expected = "00";  // DER sign byte
  for (size_t i = 0; i < digits.size(); i += 2) {
    if (!expected.empty()) expected += ':';
    expected += digits.substr(i, 2);
  }
  EXPECT_EQ(Verified(leaf).Get(V::kSerialNumber), expected);
}

TEST_F(ClientCertVariablesTest, SansAreCommaSeparatedBase64AndSpiffeIdIsSeparate) {
  std::string leaf = pki_->Issue(
      "svc", "/CN=svc-payments",
      std::string(kLeafExt) +
          "\nsubjectAltName=DNS:payments.example.com,URI:https://id.example.com/payments,"
          "DNS:pay.example.com,URI:spiffe://acme.org/ns/prod/sa/payments,"
          "email:ops@example.com");
  ClientCertVariables v = Verified(leaf);
  EXPECT_EQ(v.Get(V::kDnsnameSans),
            OpenSslBase64("payments.example.com") + "," + OpenSslBase64("pay.example.com"));
  EXPECT_EQ(v.Get(V::kSpiffeId), "");  // two URI SANs: not an X509-SVID
  EXPECT_EQ(v.Get(V::kUriSans), OpenSslBase64("https://id.example.com/payments") + "," +
                                    OpenSslBase64("spiffe://acme.org/ns/prod/sa/payments"));

  std::string svid = pki_->Issue(
      "svid", "/CN=svid",
      std::string(kLeafExt) + "\nsubjectAltName=URI:spiffe://acme.org/ns/prod/sa/payments");
  ClientCertVariables s = Verified(svid);
  EXPECT_EQ(s.Get(V::kSpiffeId), "spiffe://acme.org/ns/prod/sa/payments");
  EXPECT_EQ(s.Get(V::kUriSans), "");  // the SPIFFE ID is not repeated among URI SANs
  EXPECT_EQ(s.Get(V::kError), "");
}

TEST_F(ClientCertVariablesTest, InvalidSpiffeIdIsEmptyWithoutErrorAndStaysAUriSan) {
  std::string leaf =
      pki_->Issue("bad-svid", "/CN=bad",
                  std::string(kLeafExt) + "\nsubjectAltName=URI:spiffe://Acme.org/ns//x");
  ClientCertVariables v = Verified(leaf);
  EXPECT_EQ(v.Get(V::kSpiffeId), "");
  EXPECT_EQ(v.Get(V::kError), "");
  EXPECT_EQ(v.Get(V::kUriSans), OpenSslBase64("spiffe://Acme.org/ns//x"));
}

TEST_F(ClientCertVariablesTest, ChainHoldsPresentedIntermediatesInRfc9440Form) {
  pki_->Issue("inter", "/CN=Test Inter",
              "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n"
              "extendedKeyUsage=clientAuth");
  std::string leaf = pki_->Issue("carol", "/CN=carol", kLeafExt, "inter");
  ClientCertVariables v = Verified(leaf, {pki_->Path("inter.pem")});
  std::string inter_b64 =
      Trim(Sh("openssl x509 -in " + pki_->Path("inter.pem") + " -outform DER | openssl base64 -A"));
  EXPECT_EQ(v.Get(V::kChain), ":" + inter_b64 + ":");
  std::string issuer = Sh("printf %s '" + v.Get(V::kIssuerDn) +
                          "' | openssl base64 -d -A | openssl asn1parse -inform DER");
  EXPECT_THAT(issuer, HasSubstr(":Test Inter"));

  ClientCertVariables two = Verified(leaf, {pki_->Path("inter.pem"), pki_->Path("root.pem")});
  std::string root_b64 =
      Trim(Sh("openssl x509 -in " + pki_->Path("root.pem") + " -outform DER | openssl base64 -A"));
  EXPECT_EQ(two.Get(V::kChain), ":" + inter_b64 + ":, :" + root_b64 + ":");
}

TEST_F(ClientCertVariablesTest, NoCertificate) {
  ClientCertVariables v = ClientCertVariables::Compute(HandshakeOutcome{});
  EXPECT_EQ(v.Get(V::kPresent), "false");
  EXPECT_EQ(v.Get(V::kChainVerified), "false");
  EXPECT_EQ(v.Get(V::kError), "client_cert_not_provided");
  for (size_t i = static_cast<size_t>(V::kSha256Fingerprint); i < kCertVariableCount; ++i) {
    EXPECT_EQ(v.Get(static_cast<V>(i)), "") << CertVariableName(static_cast<V>(i));
  }
}

TEST_F(ClientCertVariablesTest, FailedValidationShowsOnlyTheFingerprint) {
  std::string leaf = pki_->Issue("no-eku", "/CN=no-eku",
                                 "basicConstraints=CA:FALSE\nsubjectAltName=DNS:x.example.com");
  HandshakeOutcome o;
  o.leaf = OpenSslPki::Load(leaf);
  o.chain_verified = false;
  o.error = std::string(x509::errors::kInvalidEku);
  ClientCertVariables v = ClientCertVariables::Compute(o);
  EXPECT_EQ(v.Get(V::kPresent), "true");
  EXPECT_EQ(v.Get(V::kChainVerified), "false");
  EXPECT_EQ(v.Get(V::kError), "client_cert_chain_invalid_eku");
  EXPECT_EQ(v.Get(V::kSha256Fingerprint), Base64EncodeUnpadded(o.leaf->sha256_raw()));
  for (V empty : {V::kSerialNumber, V::kDnsnameSans, V::kValidNotBefore, V::kValidNotAfter,
                  V::kSubjectDn, V::kIssuerDn, V::kLeaf, V::kChain}) {
    EXPECT_EQ(v.Get(empty), "") << CertVariableName(empty);
  }

  o.error.clear();  // a failure without a reason still reads as one
  EXPECT_EQ(ClientCertVariables::Compute(o).Get(V::kError), "client_cert_validation_failed");
}

// A name list of n entries "nameNNN.example.com" for one SAN type.
std::string ManyDns(int n, const std::string& tag) {
  std::string out = "subjectAltName=";
  for (int i = 0; i < n; ++i) {
    out += (i ? ",DNS:" : "DNS:") + tag + std::to_string(i) + ".example.com";
  }
  return out;
}

TEST_F(ClientCertVariablesTest, OverLimitValuesAreEmptyAndTheirErrorsJoinTheError) {
  std::string long_ou;
  for (int i = 0; i < 8; ++i) long_ou += "/OU=" + std::string(60, static_cast<char>('a' + i));
  std::string spiffe = "spiffe://acme.org/" + std::string(2100, 'p');
  std::string serial = "0x" + std::string(102, '7');  // 51 bytes
  std::string leaf = pki_->Issue(
      "huge", "/CN=huge" + long_ou,
      std::string(kLeafExt) + "\n" + ManyDns(40, "dns") + ",URI:" + spiffe, "root", serial);
  ClientCertVariables v = Verified(leaf);
  EXPECT_EQ(v.Get(V::kError),
            "client_cert_serial_number_exceeded_size_limit,"
            "client_cert_spiffe_id_exceeded_size_limit,"
            "client_cert_dnsname_sans_exceeded_size_limit,"
            "client_cert_subject_dn_exceeded_size_limit");
  for (V empty : {V::kSerialNumber, V::kSpiffeId, V::kDnsnameSans, V::kSubjectDn}) {
    EXPECT_EQ(v.Get(empty), "") << CertVariableName(empty);
  }
  // The over-long SPIFFE ID is still the SPIFFE ID: it is not moved to the URI SANs.
  EXPECT_EQ(v.Get(V::kUriSans), "");
  EXPECT_NE(v.Get(V::kIssuerDn), "");
  EXPECT_NE(v.Get(V::kLeaf), "");
  EXPECT_EQ(v.Get(V::kPresent), "true");
  EXPECT_EQ(v.Get(V::kChainVerified), "true");
}

TEST_F(ClientCertVariablesTest, UriSansLimitIs512BytesOfHeaderValue) {
  // Two URIs whose base64 list is 505 bytes (under), then 4 bytes more (513, over).
  std::string a = "https://a.example.com/" + std::string(168, 'x');  // 190 bytes -> 256 base64
  std::string b = "https://b.example.com/" + std::string(164, 'y');  // 186 bytes -> 248 base64
  std::string under = pki_->Issue(
      "uri-under", "/CN=u", std::string(kLeafExt) + "\nsubjectAltName=URI:" + a + ",URI:" + b);
  ClientCertVariables u = Verified(under);
  EXPECT_EQ(u.Get(V::kUriSans).size(), 256u + 1 + 248u);
  EXPECT_EQ(u.Get(V::kError), "");

  std::string over =
      pki_->Issue("uri-over", "/CN=o",
                  std::string(kLeafExt) + "\nsubjectAltName=URI:" + a + ",URI:" + b + "zzzz");
  ClientCertVariables o = Verified(over);
  EXPECT_EQ(o.Get(V::kUriSans), "");
  EXPECT_EQ(o.Get(V::kError), "client_cert_uri_sans_exceeded_size_limit");
}

TEST_F(ClientCertVariablesTest, LeafAndChainLimitsCountDerBeforeBase64) {
  // A leaf of about 9.5 KB and an intermediate of about 8 KB: the leaf fits
  // its 16 KB limit, leaf plus chain does not.
  pki_->Issue("big-inter", "/CN=Big Inter",
              "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n" + ManyDns(400, "ca"));
  std::string leaf = pki_->Issue("big-leaf", "/CN=big",
                                 std::string(kLeafExt) + "\n" + ManyDns(500, "n"), "big-inter");
  ClientCertVariables v = Verified(leaf, {pki_->Path("big-inter.pem")});
  EXPECT_EQ(v.Get(V::kError),
            "client_cert_dnsname_sans_exceeded_size_limit,"
            "client_cert_validated_chain_exceeded_size_limit");
  EXPECT_NE(v.Get(V::kLeaf), "");
  EXPECT_EQ(v.Get(V::kChain), "");

  std::string huge =
      pki_->Issue("huge-leaf", "/CN=huge", std::string(kLeafExt) + "\n" + ManyDns(1000, "h"));
  ClientCertVariables h = Verified(huge);
  EXPECT_EQ(h.Get(V::kError),
            "client_cert_dnsname_sans_exceeded_size_limit,"
            "client_cert_validated_leaf_exceeded_size_limit,"
            "client_cert_validated_chain_exceeded_size_limit");
  EXPECT_EQ(h.Get(V::kLeaf), "");
}

TEST_F(ClientCertVariablesTest, UnneededVariablesStayEmptyButLimitsStillReachTheError) {
  std::string leaf =
      pki_->Issue("lazy", "/CN=lazy", std::string(kLeafExt) + "\n" + ManyDns(40, "lazy"));
  CertVariableSet needed;
  needed.set(static_cast<size_t>(V::kSha256Fingerprint));
  ClientCertVariables v = Verified(leaf, {}, needed);
  EXPECT_EQ(v.Get(V::kSha256Fingerprint).size(), 43u);
  EXPECT_EQ(v.Get(V::kSerialNumber), "");
  EXPECT_EQ(v.Get(V::kLeaf), "");
  EXPECT_EQ(v.Get(V::kError), "client_cert_dnsname_sans_exceeded_size_limit");
}

TEST(CertVariableNames, EveryNameRoundTrips) {
  EXPECT_EQ(CertVariableName(V::kSha256Fingerprint), "client_cert_sha256_fingerprint");
  EXPECT_EQ(CertVariableName(V::kDnsnameSans), "client_cert_dnsname_sans");
  for (size_t i = 0; i < kCertVariableCount; ++i) {
    auto v = static_cast<V>(i);
    EXPECT_EQ(CertVariableFromName(CertVariableName(v)), v);
  }
  EXPECT_EQ(CertVariableFromName("client_cert_unknown"), std::nullopt);
  EXPECT_EQ(CertVariableFromName("CLIENT_CERT_PRESENT"), std::nullopt);
}

TEST(SpiffeId, ValidityFollowsTheSpiffeIdSpec) {
  EXPECT_TRUE(IsValidSpiffeId("spiffe://acme.org"));
  EXPECT_TRUE(IsValidSpiffeId("spiffe://acme.org/ns/prod/sa/a_b-c.d"));
  EXPECT_TRUE(IsValidSpiffeId("spiffe://td-1_x.example/Path"));
  EXPECT_FALSE(IsValidSpiffeId("https://acme.org/x"));
  EXPECT_FALSE(IsValidSpiffeId("SPIFFE://acme.org/x"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe:///x"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://Acme.org/x"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://acme.org/"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://acme.org//x"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://acme.org/./x"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://acme.org/x/.."));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://acme.org:443/x"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://user@acme.org/x"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://acme.org/x?y=1"));
  EXPECT_FALSE(IsValidSpiffeId("spiffe://acme.org/x%20y"));
}

}  // namespace
}  // namespace trustplane::gateway
