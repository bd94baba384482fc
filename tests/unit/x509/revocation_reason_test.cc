#include "trustplane/x509/revocation_reason.h"

#include <gtest/gtest.h>

namespace trustplane::x509 {
namespace {

TEST(RevocationReasonTest, AcceptsCfsslNamesAnyCaseAndNumbers) {
  EXPECT_EQ(*ParseRevocationReason("keyCompromise"), 1);
  EXPECT_EQ(*ParseRevocationReason("KEYCOMPROMISE"), 1);
  EXPECT_EQ(*ParseRevocationReason("superseded"), 4);
  EXPECT_EQ(*ParseRevocationReason("10"), 10);
  EXPECT_EQ(RevocationReasonName(6), "certificateHold");
  EXPECT_EQ(RevocationReasonName(7), "unspecified");
  EXPECT_EQ(RevocationReasonName(-1, "no reason given"), "no reason given");
  auto seven = ParseRevocationReason("7");
  EXPECT_EQ(seven.status().code(), ErrorCode::kInvalidArgument);
  auto bad = ParseRevocationReason("stolen");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("keyCompromise"), std::string::npos);
}

}  // namespace
}  // namespace trustplane::x509
