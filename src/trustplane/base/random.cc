#include "trustplane/base/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "trustplane/base/encoding.h"

namespace trustplane {

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    std::fputs("trustplane: the OpenSSL random generator failed\n", stderr);
    std::abort();
  }
  return HexEncode(raw);
}

}  // namespace trustplane
