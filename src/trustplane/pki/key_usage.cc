#include "trustplane/pki/key_usage.h"

#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string_view>

namespace trustplane::pki {
namespace {

struct UsageName {
  std::string_view name;
  int key_usage;  // 0 for an extended key usage
  int eku_nid;    // NID_undef for a key usage
};

constexpr UsageName kUsages[] = {
    {"signing", KU_DIGITAL_SIGNATURE, NID_undef},
    {"digital signature", KU_DIGITAL_SIGNATURE, NID_undef},
    {"content commitment", KU_NON_REPUDIATION, NID_undef},
    {"content committment", KU_NON_REPUDIATION, NID_undef},  // cfssl 1.2's spelling
    {"key encipherment", KU_KEY_ENCIPHERMENT, NID_undef},
    {"key agreement", KU_KEY_AGREEMENT, NID_undef},
    {"data encipherment", KU_DATA_ENCIPHERMENT, NID_undef},
    {"cert sign", KU_KEY_CERT_SIGN, NID_undef},
    {"crl sign", KU_CRL_SIGN, NID_undef},
    {"encipher only", KU_ENCIPHER_ONLY, NID_undef},
    {"decipher only", KU_DECIPHER_ONLY, NID_undef},
    {"any", 0, NID_anyExtendedKeyUsage},
    {"server auth", 0, NID_server_auth},
    {"client auth", 0, NID_client_auth},
    {"code signing", 0, NID_code_sign},
    {"email protection", 0, NID_email_protect},
    {"s/mime", 0, NID_email_protect},
    {"ipsec end system", 0, NID_ipsecEndSystem},
    {"ipsec tunnel", 0, NID_ipsecTunnel},
    {"ipsec user", 0, NID_ipsecUser},
    {"timestamping", 0, NID_time_stamp},
    {"ocsp signing", 0, NID_OCSP_sign},
    {"microsoft sgc", 0, NID_ms_sgc},
    {"netscape sgc", 0, NID_ns_sgc},
};

}  // namespace

bool Usages::cert_sign() const { return (key_usage & KU_KEY_CERT_SIGN) != 0; }

Result<Usages> ParseUsages(const std::vector<std::string>& names) {
  Usages out;
  for (const auto& name : names) {
    const auto it = std::find_if(std::begin(kUsages), std::end(kUsages),
                                 [&](const UsageName& u) { return u.name == name; });
    if (it == std::end(kUsages)) {
      return Status::InvalidArgument("unknown usage '" + name +
                                     "' (e.g. signing, key encipherment, cert sign, crl sign, "
                                     "server auth, client auth, ocsp signing)");
    }
    out.key_usage |= it->key_usage;
    if (it->eku_nid != NID_undef &&
        std::find(out.ext_key_usage.begin(), out.ext_key_usage.end(), it->eku_nid) ==
            out.ext_key_usage.end()) {
      out.ext_key_usage.push_back(it->eku_nid);
    }
  }
  return out;
}

}  // namespace trustplane::pki
