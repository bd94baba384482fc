// Random identifiers from OpenSSL's CSPRNG.
#pragma once

#include <string>

namespace trustplane {

// Lowercase hex of `bytes` random bytes; aborts if the CSPRNG fails (it cannot
// be seeded, which leaves nothing safe to do).
std::string RandomHex(size_t bytes);

}  // namespace trustplane
