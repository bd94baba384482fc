#include "trustplane/base/time.h"

#include <gtest/gtest.h>

namespace trustplane {
namespace {

TEST(Time, Rfc3339RoundTrip) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Offset(86400), "1970-01-02T00:00:00+00:00");
  EXPECT_EQ(ParseRfc3339("2026-11-22T11:21:08Z").value(), 1795346468);
  EXPECT_EQ(ParseRfc3339("2026-11-22T12:21:08.123+01:00").value(), 1795346468);
}

TEST(Time, HttpDate) {
  EXPECT_EQ(FormatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(FormatHttpDate(1795346468), "Sun, 22 Nov 2026 11:21:08 GMT");
  EXPECT_EQ(FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(Time, Rfc3339RejectsBadInput) {
  EXPECT_EQ(ParseRfc3339("2026-11-22").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(ParseRfc3339("2026-11-22T11:21:08").ok());  // no zone
  EXPECT_FALSE(ParseRfc3339("2026-13-22T11:21:08Z").ok());
}

TEST(Time, Durations) {
  EXPECT_EQ(ParseDurationSeconds("90d").value(), 90 * 86400);
  EXPECT_EQ(ParseDurationSeconds("1h30m").value(), 5400);
  EXPECT_EQ(ParseDurationSeconds("2w").value(), 14 * 86400);
  EXPECT_FALSE(ParseDurationSeconds("10").ok());
  EXPECT_FALSE(ParseDurationSeconds("5y").ok());
  EXPECT_FALSE(ParseDurationSeconds("").ok());
}

}  // namespace
}  // namespace trustplane
