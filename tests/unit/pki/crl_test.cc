#include "trustplane/pki/crl.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/pem.h"
#include "trustplane/pki/serial_number.h"
#include "unit/x509/openssl_cli.h"

namespace trustplane::pki {
namespace {

using testing::OpenSsl;
using testing::TempDir;

PrivateKey KeyOf(const testing::Issued& issued) {
  auto key = PrivateKey::FromPem(issued.key_pem);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return std::move(key).value();
}

std::string Magnitude(const std::string& hex) {
  auto m = ParseSerialNumber("0x" + hex);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : "";
}

TEST(CrlTest, OpensslVerifiesTheSignatureAndReadsEntriesReasonsAndNumber) {
  auto ca = testing::MakeRootCa("CRL Root");
  const UnixSeconds now = NowUnix();
  CrlSpec spec;
  spec.number = 42;
  spec.this_update = now;
  spec.next_update = now + 7 * 86400;
  spec.entries = {{Magnitude("0badc0de"), now - 60, 1},      // keyCompromise
                  {Magnitude("01"), now - 120, 0},           // unspecified: no reason extension
                  {Magnitude("7fff"), now - 30, 6},          // certificateHold
                  {Magnitude("0abc"), now - 10, 8}};         // removeFromCRL: dropped
  auto der = SignCrl(ca.cert, KeyOf(ca), spec);
  ASSERT_TRUE(der.ok()) << der.status().ToString();

  TempDir dir;
  testing::WriteFile(dir.Join("crl.pem"), PemEncode("X509 CRL", *der));
  testing::WriteFile(dir.Join("ca.pem"), ca.cert_pem);
  const std::string text = OpenSsl({"crl", "-in", dir.Join("crl.pem"), "-CAfile", dir.Join("ca.pem"),
                                    "-noout", "-text"});
  EXPECT_NE(text.find("X509v3 CRL Number: \n                42"), std::string::npos) << text;
  EXPECT_NE(text.find("Serial Number: 0BADC0DE"), std::string::npos) << text;
  EXPECT_NE(text.find("Key Compromise"), std::string::npos);
  EXPECT_NE(text.find("Certificate Hold"), std::string::npos);
  EXPECT_NE(text.find("Serial Number: 01"), std::string::npos);
  EXPECT_EQ(text.find("Serial Number: 0ABC"), std::string::npos) << "removeFromCRL belongs in delta CRLs";
  EXPECT_EQ(text.find("Unspecified"), std::string::npos) << "RFC 5280 5.3.1: leave unspecified out";
  EXPECT_NE(text.find("Authority Key Identifier"), std::string::npos);
  // openssl crl prints "verify OK" on stderr; -CAfile made it check the signature.
  testing::ProcessResult r = testing::RunProcess(
      {"openssl", "crl", "-in", dir.Join("crl.pem"), "-CAfile", dir.Join("ca.pem"), "-noout"});
  EXPECT_NE(r.err.find("verify OK"), std::string::npos) << r.err;
}

TEST(CrlTest, RefusesACaWithoutCrlSignAndAnEmptyWindow) {
  auto root = testing::MakeRootCa("CRL Root");
  CrlSpec spec;
  spec.number = 1;
  spec.this_update = NowUnix();
  spec.next_update = spec.this_update;
  auto empty = SignCrl(root.cert, KeyOf(root), spec);
  EXPECT_EQ(empty.status().code(), ErrorCode::kInvalidArgument);

  auto leaf = testing::MakeClientLeaf("not a ca", root);
  spec.next_update = spec.this_update + 60;
  auto refused = SignCrl(leaf.cert, KeyOf(leaf), spec);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kPolicy);
  EXPECT_NE(refused.status().message().find("lint ca-without-crlsign"), std::string::npos);

  auto other = testing::MakeRootCa("Other Root", testing::KeyKind::kEcP384);
  auto mismatch = SignCrl(root.cert, KeyOf(other), spec);
  EXPECT_EQ(mismatch.status().code(), ErrorCode::kInvalidArgument);
}

TEST(SerialNumberTest, ReadsDecimalAndHexFormsPeopleType) {
  EXPECT_EQ(SerialHex(*ParseSerialNumber("255")), "ff");
  EXPECT_EQ(SerialHex(*ParseSerialNumber("0xFF")), "ff");
  EXPECT_EQ(SerialHex(*ParseSerialNumber("01:00")), "0100");
  EXPECT_EQ(SerialDecimal(*ParseSerialNumber("0x0100")), "256");
  EXPECT_TRUE(ParseSerialNumber("0x0102030405060708090a0b0c0d0e0f1011121314").ok()) << "20 octets";
  for (const char* bad : {"", "0", "0x", "12a", "-5", "0xZZ", "1 2",
                          "0x0102030405060708090a0b0c0d0e0f101112131415"}) {
    auto r = ParseSerialNumber(bad);
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace trustplane::pki
