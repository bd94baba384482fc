// PEM (RFC 7468) encoding and the decoding of one labelled block.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane::pki {

// "-----BEGIN label-----", base64 in 64-column lines, "-----END label-----\n".
std::string PemEncode(std::string_view label, std::string_view der);

// The DER of the first block whose label is one of `labels`, skipping other
// text. kInvalidArgument "not a PEM <what>" (naming the label found instead,
// if any), or for an unterminated block or bad base64.
Result<std::string> PemDecode(std::string_view text, std::initializer_list<std::string_view> labels,
                              std::string_view what);

}  // namespace trustplane::pki
