#include "trustplane/pki/go_duration.h"

#include <limits>
#include <string>

namespace trustplane::pki {
namespace {

struct Unit {
  std::string_view name;
  int64_t nanos;
};

constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xC2\xB5s", 1000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1000},  // U+03BC Greek mu
    {"ms", 1000 * 1000},
    {"s", 1000 * 1000 * 1000},
    {"m", int64_t{60} * 1000 * 1000 * 1000},
    {"h", int64_t{3600} * 1000 * 1000 * 1000},
};

}  // namespace

Result<int64_t> ParseGoDurationSeconds(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid duration '" + std::string(text) + "': " + why +
                                   " (Go syntax, e.g. 8760h, 90m, 1h30m)");
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return bad("it is empty");
  // Accumulated in nanoseconds with __int128, so the 2^63 ns bound is checked exactly.
  __int128 total = 0;
  while (!s.empty()) {
    __int128 whole = 0, frac = 0, scale = 1;
    size_t i = 0;
    bool digits = false;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, digits = true) {
      whole = whole * 10 + (s[i] - '0');
      if (whole > std::numeric_limits<int64_t>::max()) return bad("it is too large");
    }
    if (i < s.size() && s[i] == '.') {
      for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, digits = true) {
        if (scale < int64_t{1000000000000000000}) {  // digits past 1e-18 cannot matter
          frac = frac * 10 + (s[i] - '0');
          scale *= 10;
        }
      }
    }
    if (!digits) return bad("expected a number at '" + std::string(s) + "'");
    s.remove_prefix(i);
    size_t unit_len = 0;
    while (unit_len < s.size() && s[unit_len] != '.' && (s[unit_len] < '0' || s[unit_len] > '9')) {
      ++unit_len;
    }
    if (unit_len == 0) return bad("a number lacks its unit");
    const std::string_view unit = s.substr(0, unit_len);
    const Unit* found = nullptr;
    for (const auto& u : kUnits) {
      if (u.name == unit) found = &u;
    }
    if (found == nullptr) return bad("unknown unit '" + std::string(unit) + "'");
    s.remove_prefix(unit_len);
    total += whole * found->nanos + frac * found->nanos / scale;
    if (total > std::numeric_limits<int64_t>::max()) return bad("it is too large");
  }
  const int64_t seconds = static_cast<int64_t>(total / 1000000000);
  return negative ? -seconds : seconds;
}

}  // namespace trustplane::pki
