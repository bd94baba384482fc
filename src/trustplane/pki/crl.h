// CRL signing (RFC 5280 section 5): a v2 CRL with a CRL number, the issuer's
// authority key identifier and a reason code per entry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::pki {

struct RevokedEntry {
  std::string serial;  // big-endian magnitude
  UnixSeconds revoked_at = 0;
  int reason = 0;  // RFC 5280 CRLReason; 0 (unspecified) is left out, as 5.3.1 asks
};

struct CrlSpec {
  int64_t number = 0;  // strictly increasing per CA (5.2.3)
  UnixSeconds this_update = 0;
  UnixSeconds next_update = 0;
  std::vector<RevokedEntry> entries;
};

// The DER CRL signed by `ca_key` as `ca`. Entries are sorted by serial so the
// same input gives the same list; removeFromCRL (8) entries are dropped,
// since they only mean something in a delta CRL. kPolicy "lint
// ca-without-crlsign" when the CA's keyUsage lacks cRLSign; kInvalidArgument
// when the key does not belong to the CA or nextUpdate is not after thisUpdate.
Result<std::string> SignCrl(const x509::Certificate& ca, const PrivateKey& ca_key, const CrlSpec& spec);

}  // namespace trustplane::pki
