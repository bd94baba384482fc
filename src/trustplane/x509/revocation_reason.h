// RFC 5280 CRLReason codes under their RFC names, which cfssl's revoke
// accepts too: the CA parses them, the CA and the gateway print them.
#pragma once

#include <string>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane::x509 {

// A reason name, any case ("keyCompromise", "keycompromise", "superseded",
// ...) or its number ("1"), as cfssl's ReasonStringToCode reads it. Code 7 is
// unused in RFC 5280 and refused. kInvalidArgument lists the valid names.
Result<int> ParseRevocationReason(std::string_view text);
// "keyCompromise" for 1; `unknown` for a code RFC 5280 does not define.
std::string RevocationReasonName(int code, std::string_view unknown = "unspecified");

}  // namespace trustplane::x509
