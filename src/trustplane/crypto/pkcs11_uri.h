// The subset of RFC 7512 PKCS#11 URIs that names a key on a token:
//   pkcs11:token=<label>;object=<label>?module-path=<.so>&pin-value=<pin>
// module-path defaults to $TRUSTPLANE_PKCS11_MODULE, then SoftHSM2's module.
// pin-source=file:/path (or a plain path) reads the PIN from a file instead.
// Values are percent-decoded; unknown attributes are refused so a typo does
// not silently select something else.
#pragma once

#include <string>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane::crypto {

struct Pkcs11Uri {
  std::string token;        // token label
  std::string object;       // key object label
  std::string module_path;  // the PKCS#11 module to dlopen
  std::string pin;          // secret: never log it
  ~Pkcs11Uri();
};

// What the URI must name; a `type` attribute naming anything else is refused.
enum class Pkcs11KeyType { kSecretKey, kPrivateKey };

Result<Pkcs11Uri> ParsePkcs11Uri(std::string_view uri, Pkcs11KeyType type = Pkcs11KeyType::kSecretKey);

}  // namespace trustplane::crypto
