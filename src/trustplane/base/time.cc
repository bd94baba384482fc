#include "trustplane/base/time.h"

#include <chrono>
#include <ctime>

namespace trustplane {
namespace {

bool ReadDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

UnixSeconds NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatRfc3339(UnixSeconds t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatRfc3339Offset(UnixSeconds t) {
  std::string s = FormatRfc3339(t);
  s.pop_back();
  return s + "+00:00";
}

std::string FormatHttpDate(UnixSeconds t) {
  // Calendar arithmetic, not gmtime_r + snprintf: servers stamp every answer
  // with it, and glibc's gmtime_r takes the time-zone lock.
  static constexpr char kDays[] = "SunMonTueWedThuFriSat";
  static constexpr char kMonths[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  using namespace std::chrono;
  const sys_seconds at{seconds{t}};
  const sys_days day = floor<days>(at);
  const year_month_day date{day};
  const hh_mm_ss<seconds> time{at - day};
  std::string out = "Sun, 00 Jan 0000 00:00:00 GMT";
  const auto put = [&out](size_t pos, unsigned value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) out[pos + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  out.replace(0, 3, kDays + 3 * weekday{day}.c_encoding(), 3);
  put(5, static_cast<unsigned>(date.day()), 2);
  out.replace(8, 3, kMonths + 3 * (static_cast<unsigned>(date.month()) - 1), 3);
  put(12, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  put(17, static_cast<unsigned>(time.hours().count()), 2);
  put(20, static_cast<unsigned>(time.minutes().count()), 2);
  put(23, static_cast<unsigned>(time.seconds().count()), 2);
  return out;
}

Result<UnixSeconds> ParseRfc3339(std::string_view s) {
  std::tm tm{};
  int year, mon, day, hour, min, sec;
  if (s.size() < 20 || !ReadDigits(s, 0, 4, &year) || s[4] != '-' || !ReadDigits(s, 5, 2, &mon) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !ReadDigits(s, 11, 2, &hour) || s[13] != ':' || !ReadDigits(s, 14, 2, &min) ||
      s[16] != ':' || !ReadDigits(s, 17, 2, &sec)) {
    return Status::InvalidArgument("not an RFC 3339 time: '" + std::string(s) +
                                   "' (expected e.g. 2026-01-31T12:00:00Z)");
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return Status::InvalidArgument("RFC 3339 time out of range: '" + std::string(s) + "'");
  }
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  }
  int offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
    offset = 0;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    int oh, om;
    if (!ReadDigits(s, pos + 1, 2, &oh) || !ReadDigits(s, pos + 4, 2, &om)) {
      return Status::InvalidArgument("bad UTC offset in '" + std::string(s) + "'");
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
  } else {
    return Status::InvalidArgument("RFC 3339 time needs a zone (Z or +hh:mm): '" + std::string(s) + "'");
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return static_cast<UnixSeconds>(timegm(&tm)) - offset;
}

Result<int64_t> ParseDurationSeconds(std::string_view s) {
  if (s.empty()) return Status::InvalidArgument("empty duration");
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    int64_t n = 0;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + (s[i] - '0');
      if (n > (int64_t{1} << 40)) return Status::InvalidArgument("duration too large");
      ++i;
    }
    if (i == start || i == s.size()) {
      return Status::InvalidArgument("bad duration '" + std::string(s) +
                                     "' (use e.g. 30d, 12h, 90m, 2w)");
    }
    switch (s[i]) {
      case 's': total += n; break;
      case 'm': total += n * 60; break;
      case 'h': total += n * 3600; break;
      case 'd': total += n * 86400; break;
      case 'w': total += n * 7 * 86400; break;
      default:
        return Status::InvalidArgument("bad duration unit '" + std::string(1, s[i]) + "' in '" +
                                       std::string(s) + "' (units: s, m, h, d, w)");
    }
    ++i;
  }
  return total;
}

}  // namespace trustplane
