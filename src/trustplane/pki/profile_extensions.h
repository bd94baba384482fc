// Private to pki/: the extensions a signing profile puts into every
// certificate it issues, encoded once when the signer is created (encoding
// them per certificate would cost more than the rest of the certificate).
#pragma once

#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/pki/native.h"
#include "trustplane/pki/signing_profile.h"

namespace trustplane::pki {

struct ProfileExtensions {
  // Written in Go's order around the per-certificate ones, so certificates
  // read like cfssl's: before_ski, SKI, before_san, SAN, after_san.
  std::vector<ExtensionPtr> before_ski;  // keyUsage, extKeyUsage, basicConstraints
  std::vector<ExtensionPtr> before_san;  // authorityKeyIdentifier, authorityInfoAccess
  std::vector<ExtensionPtr> after_san;   // CRL distribution point, policies, OCSP no-check
};

// issuer_key_id: the raw key identifier for the authorityKeyIdentifier; ""
// to omit it (self-signed certificates).
Result<ProfileExtensions> BuildProfileExtensions(const SigningProfile& profile,
                                                 const std::string& issuer_key_id);

}  // namespace trustplane::pki
