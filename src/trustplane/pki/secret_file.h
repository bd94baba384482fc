// Writing files that hold secrets (private keys).
#pragma once

#include <string>

#include "trustplane/base/status.h"

namespace trustplane::pki {

// Writes content to path: a new temporary file created with mode 0600
// (O_CREAT|O_EXCL, never chmod'ed afterwards, so the secret is never readable
// by others even briefly), fsync'ed, then renamed over path.
Status WriteSecretFile(const std::string& path, const std::string& content);

}  // namespace trustplane::pki
