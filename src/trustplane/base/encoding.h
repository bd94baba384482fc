// Text encodings used in file names, headers and formats: hex and base64.
#pragma once

#include <string>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane {

// Lowercase hex, no separators ("3fa0...").
std::string HexEncode(std::string_view bytes);
// Lowercase hex bytes joined by ':' ("00:ad:3e").
std::string HexEncodeColons(std::string_view bytes);
// Accepts upper- or lowercase hex, optional ':' separators.
Result<std::string> HexDecode(std::string_view hex);

// Standard alphabet (RFC 4648 section 4), with '=' padding.
std::string Base64Encode(std::string_view bytes);
// Standard alphabet without '=' padding.
std::string Base64EncodeUnpadded(std::string_view bytes);
// Accepts padded or unpadded standard base64; whitespace is ignored.
Result<std::string> Base64Decode(std::string_view text);

// URL percent-decoding (RFC 3986 2.1): "%2B" is '+'; a '%' without two hex
// digits after it stays as it is. With plus_is_space (query strings, HTML
// forms) a '+' is a space; in a path it is itself.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// True when both strings are equal; time depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace trustplane
