#include "trustplane/pki/serial_number.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "trustplane/base/encoding.h"
#include "trustplane/base/openssl_ptr.h"

namespace trustplane::pki {
namespace {

std::string_view StripLeadingZeros(std::string_view b) {
  while (!b.empty() && b.front() == '\0') b.remove_prefix(1);
  return b;
}

// Bumped in a forked child, whose copy of a thread's pool must not hand out
// the serials its parent will also hand out.
std::atomic<unsigned> fork_generation{0};

// CSPRNG output fetched a few kilobytes at a time: each RAND_bytes call
// costs ~6 µs here whatever its size (locks, a fork check by getpid, the
// DRBG's update), 3 % of signing a certificate; 20 bytes of a pool cost
// nothing. The bytes are used once each and never leave the thread.
class SerialPool {
 public:
  void Take(unsigned char* out, size_t n) {
    static std::once_flag registered;
    std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, [] { ++fork_generation; }); });
    const unsigned generation = fork_generation.load(std::memory_order_relaxed);
    if (used_ + n > bytes_.size() || generation != generation_) {
      if (RAND_bytes(bytes_.data(), static_cast<int>(bytes_.size())) != 1) std::abort();
      used_ = 0;
      generation_ = generation;
    }
    std::memcpy(out, bytes_.data() + used_, n);
    OPENSSL_cleanse(bytes_.data() + used_, n);
    used_ += n;
  }

 private:
  std::array<unsigned char, 4096> bytes_{};
  size_t used_ = sizeof bytes_;
  unsigned generation_ = 0;
};

}  // namespace

std::string RandomSerialNumber() {
  thread_local SerialPool pool;
  std::string serial(kMaxSerialOctets, '\0');
  do {
    pool.Take(reinterpret_cast<unsigned char*>(serial.data()), serial.size());
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

Result<std::string> ParseSerialNumber(std::string_view text) {
  std::string digits;
  bool hex = false;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    hex = true;
    digits = text.substr(2);
  } else if (text.find(':') != std::string_view::npos) {
    hex = true;
    for (char c : text) {
      if (c != ':') digits += c;
    }
  } else {
    digits = text;
  }
  const auto is_digit = [hex](char c) {
    return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
  };
  const bool well_formed = !digits.empty() && std::all_of(digits.begin(), digits.end(), is_digit);
  if (!well_formed) {
    return Status::InvalidArgument("serial number '" + std::string(text) +
                                   "' is neither decimal nor hex (0x... or colon-separated)");
  }
  BIGNUM* raw = nullptr;
  if ((hex ? BN_hex2bn(&raw, digits.c_str()) : BN_dec2bn(&raw, digits.c_str())) == 0) {
    return Status::InvalidArgument("serial number '" + std::string(text) + "' cannot be read");
  }
  OpenSslPtr<BIGNUM, BN_free> bn(raw);
  std::string magnitude(static_cast<size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(magnitude.data()));
  if (const std::string why = SerialNumberError(magnitude); !why.empty()) {
    return Status::InvalidArgument("serial number '" + std::string(text) + "' is not valid: " + why);
  }
  return magnitude;
}

}  // namespace trustplane::pki
