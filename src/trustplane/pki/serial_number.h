// Certificate serial numbers as big-endian magnitude bytes.
#pragma once

#include <string>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane::pki {

// RFC 5280 4.1.2.2: at most 20 octets, positive.
constexpr size_t kMaxSerialOctets = 20;

// 20 bytes from OpenSSL's CSPRNG with the top bit cleared, as cfssl makes
// them: 159 random bits, so positive and at most 20 octets once DER-encoded;
// never zero. Aborts if the CSPRNG fails (nothing safe is left to do).
std::string RandomSerialNumber();

// Why a serial cannot be used ("" when it can): zero, or longer than 20
// octets once leading zero bytes are dropped and a sign octet is added.
std::string SerialNumberError(std::string_view magnitude);

std::string SerialHex(std::string_view magnitude);      // lowercase, no leading zero bytes
std::string SerialDecimal(std::string_view magnitude);  // as cfssl's certdb stores it

// A serial as people type it: decimal (cfssl's form, "2734..."), or hex with
// a 0x prefix or colons ("0x1a2b", "1a:2b"), as openssl prints it. Returns the
// magnitude. kInvalidArgument for anything else, zero, or over 20 octets.
Result<std::string> ParseSerialNumber(std::string_view text);

}  // namespace trustplane::pki
