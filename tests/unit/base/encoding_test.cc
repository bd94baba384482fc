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

TEST(Encoding, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret1"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace trustplane
