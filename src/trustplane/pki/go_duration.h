// Go's time.ParseDuration syntax, which cfssl's config and CSR JSON use for
// "expiry" and "backdate": a sequence of decimal numbers with units ("8760h",
// "1h30m", "1.5h", "300ms"), units ns, us (or µs), ms, s, m, h; an optional
// sign; "0" alone. No days: Go has none.
#pragma once

#include <cstdint>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane::pki {

// Whole seconds (sub-second parts truncated toward zero). kInvalidArgument
// naming the text for anything Go would refuse, including values past Go's
// limit of about 292 years.
Result<int64_t> ParseGoDurationSeconds(std::string_view text);

}  // namespace trustplane::pki
