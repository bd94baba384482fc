// CertificateRequest: cfssl's CSR JSON, what a new key and certificate should be.
//   {"CN": "svc", "names": [{"C": "US", "ST": "", "L": "", "O": "Acme", "OU": ""}],
//    "hosts": ["svc.example.com", "10.0.0.1", "ops@example.com", "spiffe://acme/svc"],
//    "key": {"algo": "ecdsa", "size": 256},
//    "ca": {"expiry": "87600h", "pathlen": 1, "pathlenzero": false, "backdate": "1h",
//           "name_constraints": {"permitted": {"dns": ["example.com"]}}}}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/pki/name_constraints.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/pki/subject.h"

namespace trustplane::pki {

// The "ca" block, for `ca init`. Path length follows cfssl: pathlen N > 0
// limits to N, pathlenzero limits to 0, and pathlen 0 without pathlenzero
// means no limit (Go cannot tell 0 from absent).
struct CaSettings {
  int64_t expiry_seconds = 43800 * 3600;  // cfssl's CA default: 5 years
  int64_t backdate_seconds = 0;           // 0: cfssl's default of 5 minutes
  int path_len = 0;
  bool path_len_zero = false;
  // trustplane's own (cfssl has none): the new CA's nameConstraints.
  std::optional<NameConstraints> name_constraints;
};

struct CertificateRequest {
  Subject subject;
  std::vector<std::string> hosts;  // see ClassifyHosts
  KeySpec key;                     // absent: ECDSA P-256; rsa without size: 2048
  std::optional<CaSettings> ca;
  std::string crl_url;             // "crl_url": the CRL URL of a new CA's certificates
};

// kInvalidArgument naming the field for anything malformed: unknown fields
// (so a typo is not silently ignored), wrong JSON types, bad key specs or
// durations, and a request with neither CN, names nor hosts.
Result<CertificateRequest> ParseCertificateRequest(std::string_view json);

}  // namespace trustplane::pki
