// Time points as Unix seconds, RFC 3339 text and human durations ("90d").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane {

using UnixSeconds = int64_t;

UnixSeconds NowUnix();
// "2026-11-22T11:21:08Z"
std::string FormatRfc3339(UnixSeconds t);
// "2026-11-22T11:21:08+00:00", the load balancer's header form.
std::string FormatRfc3339Offset(UnixSeconds t);
// "Sun, 06 Nov 1994 08:49:37 GMT": HTTP's date form (RFC 9110 5.6.7), in
// English whatever the locale.
std::string FormatHttpDate(UnixSeconds t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"; fractions are dropped.
Result<UnixSeconds> ParseRfc3339(std::string_view text);
// Accepts a sum of <number><unit> with units s, m, h, d, w ("90d", "1h30m").
Result<int64_t> ParseDurationSeconds(std::string_view text);

}  // namespace trustplane
