// RFC 5280 CRLReason codes under the names cfssl's revoke accepts.
#pragma once

#include <string>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane::pki {

// A reason name, any case ("keyCompromise", "keycompromise", "superseded",
// ...) or its number ("1"), as cfssl's ReasonStringToCode reads it. Code 7 is
// unused in RFC 5280 and refused. kInvalidArgument lists the valid names.
Result<int> ParseRevocationReason(std::string_view text);
// "keyCompromise" for 1; "unspecified" for anything unknown.
std::string RevocationReasonName(int code);

}  // namespace trustplane::pki
