// SigningConfig: cfssl's JSON config file, the signing half and its auth keys.
//   {"signing": {"default": {...profile...}, "profiles": {"client": {...}}},
//    "auth_keys": {"key1": {"type": "standard", "key": "0123...ef"}},
//    "remotes": {"ca-server": "https://ca.example:8888"}}
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"
#include "trustplane/pki/auth_key.h"
#include "trustplane/pki/signing_profile.h"

namespace trustplane::pki {

struct SigningConfig {
  // cfssl's built-in default when the config has no "default".
  SigningProfile default_profile = SigningProfile::Default();
  std::map<std::string, SigningProfile> profiles;
  std::map<std::string, AuthKey> auth_keys;  // keys resolved to raw bytes
  std::map<std::string, std::string> remotes;

  // The named profile, or the default for "". kNotFound naming the known
  // profiles for any other name.
  Result<const SigningProfile*> Profile(const std::string& name) const;
};

// Parses and validates cfssl's config. Keys match case-insensitively, as Go's
// JSON decoder does. Every error is kInvalidArgument and names the field
// ("signing.profiles.client.expiry: invalid duration '1y' ..."): malformed
// JSON, unknown fields, wrong types, unknown usages, bad durations or times,
// an uncompilable name_whitelist, a local profile without expiry or (other
// than the default) without usages, auth_key / prev_auth_key / remote names
// missing from auth_keys / remotes, auth keys that are not "standard" or not
// hex. Settings trustplane cannot honour yet (copy_extensions,
// ct_log_servers, cert_store) are refused rather than ignored. zlint's
// lint_error_level / ignored_lints / ignored_lint_sources are accepted and
// have no effect: trustplane's own pre-issuance lint always runs.
// ocsp_url, crl_url and issuer_urls left empty in a profile are taken from
// the default profile, as cfssl does.
Result<SigningConfig> ParseSigningConfig(std::string_view json);
// ParseSigningConfig on a file; errors start with the path.
Result<SigningConfig> LoadSigningConfigFile(const std::string& path);

}  // namespace trustplane::pki
