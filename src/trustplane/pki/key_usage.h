// cfssl's usage names and the keyUsage bits / extendedKeyUsage purposes they mean.
#pragma once

#include <string>
#include <vector>

#include "trustplane/base/status.h"

namespace trustplane::pki {

struct Usages {
  int key_usage = 0;           // OpenSSL's KU_* bits (KU_DIGITAL_SIGNATURE, KU_KEY_CERT_SIGN, ...)
  std::vector<int> ext_key_usage;  // NIDs in first-mention order, no duplicates
  bool empty() const { return key_usage == 0 && ext_key_usage.empty(); }
  bool cert_sign() const;
};

// Key usages: "signing" and "digital signature", "content commitment", "key
// encipherment", "key agreement", "data encipherment", "cert sign", "crl
// sign", "encipher only", "decipher only". Extended: "any", "server auth",
// "client auth", "code signing", "email protection" and "s/mime", "ipsec end
// system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
// "microsoft sgc", "netscape sgc". cfssl skips unknown names; trustplane
// refuses them (kInvalidArgument naming the name), so a typo cannot drop a usage.
Result<Usages> ParseUsages(const std::vector<std::string>& names);

}  // namespace trustplane::pki
