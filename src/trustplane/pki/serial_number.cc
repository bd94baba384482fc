#include "trustplane/pki/serial_number.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "trustplane/base/encoding.h"
#include "trustplane/base/openssl_ptr.h"

namespace trustplane::pki {
namespace {

std::string_view StripLeadingZeros(std::string_view b) {
  while (!b.empty() && b.front() == '\0') b.remove_prefix(1);
  return b;
}

}  // namespace

std::string RandomSerialNumber() {
  std::string serial(kMaxSerialOctets, '\0');
  do {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(serial.data()), static_cast<int>(serial.size())) != 1) {
      std::abort();
    }
    serial[0] = static_cast<char>(serial[0] & 0x7f);
  } while (StripLeadingZeros(serial).empty());
  return serial;
}

std::string SerialNumberError(std::string_view magnitude) {
  const std::string_view m = StripLeadingZeros(magnitude);
  if (m.empty()) return "it is zero";
  const size_t octets = m.size() + ((static_cast<unsigned char>(m[0]) & 0x80) ? 1 : 0);
  if (octets > kMaxSerialOctets) {
    return "it takes " + std::to_string(octets) + " octets, more than RFC 5280's 20";
  }
  return "";
}

std::string SerialHex(std::string_view magnitude) {
  const std::string_view m = StripLeadingZeros(magnitude);
  return m.empty() ? "00" : HexEncode(m);
}

std::string SerialDecimal(std::string_view magnitude) {
  OpenSslPtr<BIGNUM, BN_free> bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(magnitude.data()),
                                           static_cast<int>(magnitude.size()), nullptr));
  char* text = bn ? BN_bn2dec(bn.get()) : nullptr;
  std::string out = text ? text : "";
  OPENSSL_free(text);
  return out;
}

}  // namespace trustplane::pki
