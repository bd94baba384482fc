// Private to pki/: the extensions a signing profile puts into every
// certificate it issues, encoded once when the signer is created (encoding
// them per certificate would cost more than the rest of the certificate).
#pragma once

#include <optional>
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
  // CRL distribution point, policies, name constraints, OCSP no-check
  std::vector<ExtensionPtr> after_san;
};

// issuer_key_id: the raw key identifier for the authorityKeyIdentifier; ""
// to omit it (self-signed certificates).
Result<ProfileExtensions> BuildProfileExtensions(const SigningProfile& profile,
                                                 const std::string& issuer_key_id);

// The nameConstraints extension (OpenSSL's NAME_CONSTRAINTS encoder).
// kInvalidArgument naming the entry for one NameConstraintEntryError refuses.
Result<ExtensionPtr> NameConstraintsExtension(const NameConstraints& nc);
// The DNS, IP (as CIDR), email and URI subtrees of a certificate's
// nameConstraints; nullopt when it has none. Other name forms (directory
// names, ...) are left out: OpenSSL's chain verification enforces those.
std::optional<NameConstraints> ReadNameConstraints(const X509* cert);

}  // namespace trustplane::pki
