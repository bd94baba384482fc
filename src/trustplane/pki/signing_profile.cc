#include "trustplane/pki/signing_profile.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "trustplane/base/time.h"

namespace trustplane::pki {
namespace {

struct UsageName {
  const char* cfssl;
  const char* key_usage;      // nullptr when it is an extended key usage
  const char* ext_key_usage;  // nullptr when it is a key usage
};

constexpr UsageName kUsages[] = {
    {"signing", "digitalSignature", nullptr},
    {"digital signature", "digitalSignature", nullptr},
    {"content commitment", "nonRepudiation", nullptr},
    {"key encipherment", "keyEncipherment", nullptr},
    {"key agreement", "keyAgreement", nullptr},
    {"data encipherment", "dataEncipherment", nullptr},
    {"cert sign", "keyCertSign", nullptr},
    {"crl sign", "cRLSign", nullptr},
    {"encipher only", "encipherOnly", nullptr},
    {"decipher only", "decipherOnly", nullptr},
    {"server auth", nullptr, "serverAuth"},
    {"client auth", nullptr, "clientAuth"},
    {"code signing", nullptr, "codeSigning"},
    {"email protection", nullptr, "emailProtection"},
    {"s/mime", nullptr, "emailProtection"},
    {"timestamping", nullptr, "timeStamping"},
    {"ocsp signing", nullptr, "OCSPSigning"},
    {"any", nullptr, "anyExtendedKeyUsage"},
};

Result<SigningProfile> ParseProfile(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return Status::InvalidArgument(where + " must be an object");
  SigningProfile p;
  for (const auto& [key, value] : j.items()) {
    const std::string field = where + "." + key;
    if (key == "usages") {
      p.usages = value.get<std::vector<std::string>>();
      TP_RETURN_IF_ERROR(UsageBitsFor(p.usages).status().WithContext(field));
    } else if (key == "expiry" || key == "backdate") {
      auto seconds = ParseDurationSeconds(value.get<std::string>());
      if (!seconds.ok()) return seconds.status().WithContext(field);
      (key == "expiry" ? p.expiry_seconds : p.backdate_seconds) = *seconds;
    } else if (key == "ca_constraint") {
      p.is_ca = value.value("is_ca", false);
      p.max_path_len = value.value("max_path_len", -1);
      p.max_path_len_zero = value.value("max_path_len_zero", false);
    } else if (key == "auth_key" || key == "remote" || key == "auth_remote") {
      // Used by the CA server and remote signing, not by local signing.
    } else if (key == "name_whitelist" || key == "ocsp_url" || key == "crl_url" ||
               key == "not_before" || key == "not_after") {
      return Status::InvalidArgument(field + " is not supported yet by trustplane's local signer");
    } else {
      return Status::InvalidArgument(field + " is not a signing profile field");
    }
  }
  if (p.expiry_seconds <= 0) return Status::InvalidArgument(where + ".expiry must be positive");
  return p;
}

}  // namespace

SigningProfile SigningProfile::RootCa(int64_t expiry_seconds, int path_len, bool path_len_zero) {
  SigningProfile p;
  p.usages = {"cert sign", "crl sign"};
  p.expiry_seconds = expiry_seconds;
  p.is_ca = true;
  p.max_path_len = path_len;
  p.max_path_len_zero = path_len_zero;
  return p;
}

Result<SigningProfile> SigningConfig::Profile(const std::string& name) const {
  if (name.empty()) return default_profile;
  auto it = profiles.find(name);
  if (it == profiles.end()) {
    std::string known;
    for (const auto& [n, p] : profiles) known += (known.empty() ? "" : ", ") + n;
    return Status::NotFound("unknown signing profile '" + name + "'" +
                            (known.empty() ? " (the config defines none)" : " (known: " + known + ")"));
  }
  return it->second;
}

Result<SigningConfig> ParseSigningConfig(std::string_view json) {
  try {
    auto j = nlohmann::json::parse(json);
    SigningConfig config;
    if (!j.is_object() || !j.contains("signing")) {
      return Status::InvalidArgument("config has no \"signing\" section");
    }
    const auto& signing = j["signing"];
    if (signing.contains("default")) {
      TP_ASSIGN_OR_RETURN(config.default_profile, ParseProfile(signing["default"], "signing.default"));
    }
    if (signing.contains("profiles")) {
      for (const auto& [name, body] : signing["profiles"].items()) {
        TP_ASSIGN_OR_RETURN(auto profile, ParseProfile(body, "signing.profiles." + name));
        config.profiles.emplace(name, std::move(profile));
      }
    }
    return config;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("malformed signing config: ") + e.what());
  }
}

Result<UsageBits> UsageBitsFor(const std::vector<std::string>& usages) {
  UsageBits bits;
  for (const auto& u : usages) {
    auto it = std::find_if(std::begin(kUsages), std::end(kUsages),
                           [&](const UsageName& n) { return u == n.cfssl; });
    if (it == std::end(kUsages)) return Status::InvalidArgument("unknown usage '" + u + "'");
    auto& list = it->key_usage ? bits.key_usage : bits.ext_key_usage;
    const char* word = it->key_usage ? it->key_usage : it->ext_key_usage;
    if (std::find(list.begin(), list.end(), word) == list.end()) list.push_back(word);
  }
  return bits;
}

}  // namespace trustplane::pki
