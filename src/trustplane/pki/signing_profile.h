// SigningProfile: what an issued certificate may do and how long it lives,
// read from cfssl's JSON config ("signing": {"default": {...}, "profiles": {...}}).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trustplane/base/status.h"

namespace trustplane::pki {

struct SigningProfile {
  // cfssl usage names: "signing", "digital signature", "key encipherment",
  // "cert sign", "crl sign", "server auth", "client auth", ...
  std::vector<std::string> usages = {"signing", "key encipherment", "server auth", "client auth"};
  int64_t expiry_seconds = 8760 * 3600;
  int64_t backdate_seconds = 0;
  bool is_ca = false;
  int max_path_len = -1;  // -1: unconstrained
  bool max_path_len_zero = false;

  // The profile `ca init` uses for a self-signed root (cfssl -initca).
  static SigningProfile RootCa(int64_t expiry_seconds, int path_len, bool path_len_zero);
};

struct SigningConfig {
  SigningProfile default_profile;
  std::map<std::string, SigningProfile> profiles;
  // The named profile, or the default for "" (kNotFound for an unknown name).
  Result<SigningProfile> Profile(const std::string& name) const;
};

// cfssl's config JSON. Fields trustplane does not implement yet (name_whitelist,
// ocsp_url, crl_url, not_before/not_after) are refused rather than ignored,
// so no certificate silently lacks what the config asked for.
Result<SigningConfig> ParseSigningConfig(std::string_view json);

// Maps a cfssl usage name to keyUsage / extendedKeyUsage config words.
struct UsageBits {
  std::vector<std::string> key_usage;  // OpenSSL names: digitalSignature, keyCertSign, ...
  std::vector<std::string> ext_key_usage;  // serverAuth, clientAuth, ...
};
Result<UsageBits> UsageBitsFor(const std::vector<std::string>& usages);

}  // namespace trustplane::pki
