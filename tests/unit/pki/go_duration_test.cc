#include "trustplane/pki/go_duration.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace trustplane::pki {
namespace {

constexpr int64_t kHour = 3600;

TEST(GoDurationTest, AcceptsWhatCfsslConfigsUse) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"8760h", 8760 * kHour},    // cfssl's one-year default
      {"43800h", 43800 * kHour},  // cfssl's CA default
      {"1h30m", 90 * 60},
      {"90m", 90 * 60},
      {"1.5h", 90 * 60},
      {".5h", 30 * 60},
      {"1h1m1s", kHour + 61},
      {"45s", 45},
      {"0", 0},
      {"-0", 0},
      {"0h", 0},
      {"+5m", 300},
      {"-1h", -kHour},
      {"1500ms", 1},  // sub-second parts truncated
      {"300ms", 0},
      {"2000000us", 2},
      {"3000000000ns", 3},
      {"1\xC2\xB5s", 0},              // micro sign
      {"1\xCE\xBCs", 0},              // Greek mu
      {"2562047h", 2562047 * kHour},  // just under Go's 2^63 ns limit
  };
  for (const auto& [text, seconds] : cases) {
    auto got = ParseGoDurationSeconds(text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status().ToString();
    EXPECT_EQ(*got, seconds) << text;
  }
}

TEST(GoDurationTest, RefusesWhatGoRefusesAndNamesTheText) {
  for (const std::string& text : std::vector<std::string>{
           "", "1", "00", "h", "1y", "1d", "365days", "1h30", "1 h", "1h 30m", "-", "+", ".h",
           "1..5h", "8760H", "abc", "2562048h", "99999999999999999999h"}) {
    auto got = ParseGoDurationSeconds(text);
    ASSERT_FALSE(got.ok()) << "'" << text << "' was accepted as " << *got;
    EXPECT_EQ(got.status().code(), ErrorCode::kInvalidArgument) << text;
    EXPECT_NE(got.status().message().find("'" + text + "'"), std::string::npos)
        << got.status().message();
  }
}

}  // namespace
}  // namespace trustplane::pki
