// CertificateRequest: cfssl's CSR JSON — what a certificate should say.
//   {"CN": "svc", "names": [{"C": "US", "ST": "", "L": "", "O": "Acme", "OU": ""}],
//    "hosts": ["svc.example.com", "10.0.0.1", "ops@example.com", "spiffe://acme/svc"],
//    "key": {"algo": "ecdsa", "size": 256}, "ca": {"expiry": "87600h", "pathlen": 1}}
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/pki/private_key.h"

namespace trustplane::pki {

struct NameEntry {
  std::string c, st, l, o, ou;
};

struct SubjectAltNameSet {
  std::vector<std::string> dns, ip, email, uri;
  bool empty() const { return dns.empty() && ip.empty() && email.empty() && uri.empty(); }
};

struct CaSettings {
  int64_t expiry_seconds = 5 * 365 * 86400;  // cfssl's default for a new CA
  int path_len = -1;                          // -1: no pathlen constraint
  bool path_len_zero = false;
};

struct CertificateRequest {
  std::string cn;
  std::vector<NameEntry> names;
  std::vector<std::string> hosts;
  KeySpec key;
  std::optional<CaSettings> ca;

  // Each host becomes the SAN its form says: an IP address, an email
  // address (has '@'), a URI (has a scheme such as spiffe:// or https://),
  // otherwise a DNS name.
  SubjectAltNameSet Sans() const;
};

// kInvalidArgument naming the field for anything malformed.
Result<CertificateRequest> ParseCertificateRequest(std::string_view json);

}  // namespace trustplane::pki
