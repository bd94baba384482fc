#include "trustplane/pki/auth_key.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "trustplane/base/encoding.h"

namespace trustplane::pki {
namespace {

using testing::TempDir;
using testing::WriteFile;

constexpr char kHexKey[] = "0123456789abcdef0123456789abcdef";
constexpr char kRequest[] = R"({"certificate_request":"-----BEGIN CERTIFICATE REQUEST-----\n..."})";

std::string RawKey() {
  return HexDecode(kHexKey).value();
}

TEST(StandardAuthTokenTest, MatchesRfc4231TestCase2) {
  // RFC 4231 4.3: HMAC-SHA-256 with key "Jefe".
  EXPECT_EQ(HexEncode(StandardAuthToken("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(StandardAuthTokenTest, MatchesOpensslHmacWithAHexConfigKey) {
  // Computed with: printf '%s' "$REQ" | openssl dgst -sha256 -mac HMAC -macopt hexkey:0123...ef
  EXPECT_EQ(HexEncode(StandardAuthToken(RawKey(), R"({"certificate_request":"x"})")),
            "a9b58d1ef40a523e6ce8a4b69682f87405c7d23ded07b2385b4d10b8da64f1c5");

  // And the same against the installed openssl for a longer request body.
  testing::ProcessResult r = testing::RunProcess(
      {"openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", std::string("hexkey:") + kHexKey},
      {}, kRequest);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string expected = r.out.substr(r.out.find("= ") + 2, 64);
  EXPECT_EQ(HexEncode(StandardAuthToken(RawKey(), kRequest)), expected);
}

TEST(StandardAuthTokenTest, IsThirtyTwoBytes) {
  EXPECT_EQ(StandardAuthToken(RawKey(), kRequest).size(), 32u);
  EXPECT_EQ(StandardAuthToken(RawKey(), "").size(), 32u);
}

TEST(VerifyStandardAuthTokenTest, AcceptsTheRightTokenOnly) {
  const std::string key = RawKey();
  const std::string token = StandardAuthToken(key, kRequest);
  EXPECT_TRUE(VerifyStandardAuthToken(key, kRequest, token));

  std::string tampered_request = kRequest;
  tampered_request[5] ^= 0x01;
  EXPECT_FALSE(VerifyStandardAuthToken(key, tampered_request, token));
  EXPECT_FALSE(VerifyStandardAuthToken(key, std::string(kRequest) + " ", token));

  std::string tampered_token = token;
  tampered_token.back() ^= 0x80;
  EXPECT_FALSE(VerifyStandardAuthToken(key, kRequest, tampered_token));
  EXPECT_FALSE(VerifyStandardAuthToken(key, kRequest, token.substr(0, 31)));
  EXPECT_FALSE(VerifyStandardAuthToken(key, kRequest, token + "x"));
  EXPECT_FALSE(VerifyStandardAuthToken(key, kRequest, ""));

  std::string other_key = key;
  other_key[0] ^= 0x01;
  EXPECT_FALSE(VerifyStandardAuthToken(other_key, kRequest, token));
}

TEST(ResolveAuthKeyTest, PlainHexInEitherCase) {
  auto key = ResolveAuthKey(kHexKey);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key, RawKey());
  auto upper = ResolveAuthKey("0123456789ABCDEF0123456789ABCDEF");
  ASSERT_TRUE(upper.ok()) << upper.status().ToString();
  EXPECT_EQ(*upper, RawKey());
}

TEST(ResolveAuthKeyTest, EnvPrefixReadsTheVariable) {
  ASSERT_EQ(setenv("TP_PKITESTS_AUTH_KEY", kHexKey, 1), 0);
  auto key = ResolveAuthKey("env:TP_PKITESTS_AUTH_KEY");
  unsetenv("TP_PKITESTS_AUTH_KEY");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key, RawKey());
}

TEST(ResolveAuthKeyTest, EnvPrefixRefusesUnsetOrEmptyVariables) {
  unsetenv("TP_PKITESTS_UNSET_KEY");
  auto unset = ResolveAuthKey("env:TP_PKITESTS_UNSET_KEY");
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(unset.status().message().find("TP_PKITESTS_UNSET_KEY"), std::string::npos);

  ASSERT_EQ(setenv("TP_PKITESTS_EMPTY_KEY", "", 1), 0);
  auto empty = ResolveAuthKey("env:TP_PKITESTS_EMPTY_KEY");
  unsetenv("TP_PKITESTS_EMPTY_KEY");
  EXPECT_FALSE(empty.ok());

  ASSERT_EQ(setenv("TP_PKITESTS_BAD_KEY", "not-hex", 1), 0);
  auto bad = ResolveAuthKey("env:TP_PKITESTS_BAD_KEY");
  unsetenv("TP_PKITESTS_BAD_KEY");
  EXPECT_FALSE(bad.ok());
}

TEST(ResolveAuthKeyTest, FilePrefixReadsHexIgnoringSurroundingWhitespace) {
  TempDir dir;
  const std::string path = dir.Join("auth.key");
  WriteFile(path, std::string("  \n") + kHexKey + "\r\n\n");
  auto key = ResolveAuthKey("file:" + path);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(*key, RawKey());
}

TEST(ResolveAuthKeyTest, FilePrefixRefusesMissingOrBadFiles) {
  TempDir dir;
  auto missing = ResolveAuthKey("file:" + dir.Join("absent.key"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidArgument);

  WriteFile(dir.Join("bad.key"), "0123 4567\n");
  EXPECT_FALSE(ResolveAuthKey("file:" + dir.Join("bad.key")).ok());
  WriteFile(dir.Join("empty.key"), "\n");
  EXPECT_FALSE(ResolveAuthKey("file:" + dir.Join("empty.key")).ok());
}

TEST(ResolveAuthKeyTest, RefusesBadTextWithInvalidArgument) {
  for (const std::string& text :
       std::vector<std::string>{"", "xyz", "0123456789abcdeg", "0123456789abcde", "http:0123",
                                "ENV:TP_X", "01:23:45", "0123 4567"}) {
    auto key = ResolveAuthKey(text);
    ASSERT_FALSE(key.ok()) << "'" << text << "' accepted";
    EXPECT_EQ(key.status().code(), ErrorCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace trustplane::pki
