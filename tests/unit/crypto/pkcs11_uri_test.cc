#include "trustplane/crypto/pkcs11_uri.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace trustplane::crypto {
namespace {

TEST(Pkcs11UriTest, ParsesTokenObjectModuleAndPin) {
  auto uri = ParsePkcs11Uri(
      "pkcs11:token=trust%20plane;object=kek-1;type=secret-key"
      "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=12%3B4");
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_EQ(uri->token, "trust plane");
  EXPECT_EQ(uri->object, "kek-1");
  EXPECT_EQ(uri->module_path, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(uri->pin, "12;4");
}

TEST(Pkcs11UriTest, DefaultsToSoftHsmAndChecksTheKeyType) {
  auto uri = ParsePkcs11Uri("pkcs11:token=t;object=o;type=private", Pkcs11KeyType::kPrivateKey);
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_EQ(uri->module_path, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_FALSE(ParsePkcs11Uri("pkcs11:token=t;object=o;type=secret-key", Pkcs11KeyType::kPrivateKey).ok());
}

TEST(Pkcs11UriTest, ReadsThePinFromAFile) {
  testing::TempDir dir;
  testing::WriteFile(dir.Join("pin"), "9876\n");
  auto uri = ParsePkcs11Uri("pkcs11:token=t;object=o?module-path=/m.so&pin-source=file:" +
                            dir.Join("pin"));
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_EQ(uri->pin, "9876");
}

TEST(Pkcs11UriTest, RefusesIncompleteOrUnknownAttributesWithoutEchoingThePin) {
  for (const char* bad : {
           "token=t;object=o?module-path=/m.so",                         // no scheme
           "pkcs11:object=o?module-path=/m.so",                          // no token
           "pkcs11:token=t?module-path=/m.so",                           // no object
           "pkcs11:token=t;object=o;slot-id=3?module-path=/m.so",        // unsupported
           "pkcs11:token=t;object=o;type=private?module-path=/m.so",     // not a secret key
           "pkcs11:token=t;object=o?module-path=/m.so&pin-valu=s3cr3t",  // typo
           "pkcs11:token=t%2;object=o?module-path=/m.so",                // truncated escape
           "pkcs11:token=t;object=o?module-path=/m.so&pin-value=1&pin-source=/x",
       }) {
    auto uri = ParsePkcs11Uri(bad);
    EXPECT_EQ(uri.status().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(uri.status().message().find("s3cr3t"), std::string::npos);
  }
}

}  // namespace
}  // namespace trustplane::crypto
