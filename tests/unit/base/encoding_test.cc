#include "trustplane/base/encoding.h"

#include <gtest/gtest.h>

namespace trustplane {
namespace {

TEST(Encoding, HexRoundTrip) {
  EXPECT_EQ(HexEncode(std::string("\x00\xad\xff", 3)), "00adff");
  EXPECT_EQ(HexEncodeColons(std::string("\x00\xad\xff", 3)), "00:ad:ff");
  EXPECT_EQ(HexDecode("00:AD:ff").value(), std::string("\x00\xad\xff", 3));
  EXPECT_EQ(HexDecode("abc").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(HexDecode("zz").status().code(), ErrorCode::kInvalidArgument);
}

TEST(Encoding, Base64PaddedAndUnpadded) {
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64EncodeUnpadded("ab"), "YWI");
  EXPECT_EQ(Base64Decode("YWI=").value(), "ab");
  EXPECT_EQ(Base64Decode("YWI").value(), "ab");
  EXPECT_EQ(Base64Decode("YW\nI=").value(), "ab");
  EXPECT_FALSE(Base64Decode("Y").ok());
  EXPECT_FALSE(Base64Decode("Y$$=").ok());
  // A 32-byte SHA-256 encodes to 43 characters without padding, like the LB header.
  EXPECT_EQ(Base64EncodeUnpadded(std::string(32, '\x01')).size(), 43u);
}

TEST(Encoding, PercentDecodeTreatsPlusByContext) {
  // A base64 OCSP request in a GET path keeps its '+'; a query value's '+' is a space.
  EXPECT_EQ(PercentDecode("MFEw%2BTz+a%2f", /*plus_is_space=*/false), "MFEw+Tz+a/");
  EXPECT_EQ(PercentDecode("a+b%20c", /*plus_is_space=*/true), "a b c");
  // A '%' without two hex digits is kept as written.
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%4", false), "%4");
  EXPECT_EQ(PercentDecode("%zz%41", false), "%zzA");
}

TEST(Encoding, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret1"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace trustplane
