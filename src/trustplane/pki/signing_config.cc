#include "trustplane/pki/signing_config.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "trustplane/base/openssl_ptr.h"
#include "trustplane/pki/go_duration.h"
#include "trustplane/pki/hosts.h"

namespace trustplane::pki {
namespace {

using Json = nlohmann::json;

// Thrown inside the parser only; ParseSigningConfig turns it into a Status.
struct ConfigError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& field, const std::string& why) {
  throw ConfigError{field + ": " + why};
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// An object's non-null members by lowercased key (Go matches JSON keys
// case-insensitively); unknown keys are an error naming the known ones.
class Members {
 public:
  Members(const Json& j, std::string where, std::initializer_list<const char*> known)
      : where_(std::move(where)) {
    if (!j.is_object()) Fail(where_, "must be a JSON object");
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string key = Lower(it.key());
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
        std::string list;
        for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        Fail(where_ + "." + it.key(), "unknown field (known: " + list + ")");
      }
      if (!it.value().is_null()) members_[key] = &it.value();
    }
  }
  const Json* Get(const std::string& key) const {
    auto it = members_.find(key);
    return it == members_.end() ? nullptr : it->second;
  }
  std::string Field(const std::string& key) const { return where_ + "." + key; }

  std::string String(const std::string& key) const {
    const Json* v = Get(key);
    if (v == nullptr) return "";
    if (!v->is_string()) Fail(Field(key), "must be a string");
    return v->get<std::string>();
  }
  bool Bool(const std::string& key) const {
    const Json* v = Get(key);
    if (v == nullptr) return false;
    if (!v->is_boolean()) Fail(Field(key), "must be true or false");
    return v->get<bool>();
  }
  int Int(const std::string& key) const {
    const Json* v = Get(key);
    if (v == nullptr) return 0;
    if (!v->is_number_integer() || v->get<int64_t>() < -1000000 || v->get<int64_t>() > 1000000) {
      Fail(Field(key), "must be an integer");
    }
    return v->get<int>();
  }
  std::vector<std::string> StringList(const std::string& key) const {
    std::vector<std::string> out;
    const Json* v = Get(key);
    if (v == nullptr) return out;
    if (!v->is_array()) Fail(Field(key), "must be a list of strings");
    for (const auto& s : *v) {
      if (!s.is_string()) Fail(Field(key), "must be a list of strings");
      out.push_back(s.get<std::string>());
    }
    return out;
  }
  int64_t Duration(const std::string& key) const {
    auto seconds = ParseGoDurationSeconds(String(key));
    if (!seconds.ok()) Fail(Field(key), seconds.status().message());
    if (*seconds < 0) Fail(Field(key), "must not be negative");
    return *seconds;
  }
  std::optional<UnixSeconds> Time(const std::string& key) const {
    const std::string text = String(key);
    // Go writes an unset time.Time as its zero value.
    if (text.empty() || text.rfind("0001-01-01T00:00:00", 0) == 0) return std::nullopt;
    auto t = ParseRfc3339(text);
    if (!t.ok()) Fail(Field(key), "'" + text + "' is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z)");
    return *t;
  }
  std::string Url(const std::string& key) const {
    std::string url = String(key);
    if (!url.empty()) CheckUrl(Field(key), url);
    return url;
  }
  static void CheckUrl(const std::string& field, const std::string& url) {
    if (std::string why = UriError(url); !why.empty()) Fail(field, "'" + url + "' is not a URL: " + why);
  }

 private:
  std::string where_;
  std::map<std::string, const Json*> members_;
};

// Dotted digits that also follow X.660's arc rules (first arc 0-2, second
// below 40 under 0 and 1), which OpenSSL's encoder enforces at signing time.
bool IsDottedOid(const std::string& s) {
  static const std::regex kOid("[0-9]+(\\.[0-9]+)+");
  if (!std::regex_match(s, kOid)) return false;
  OpenSslPtr<ASN1_OBJECT, ASN1_OBJECT_free> obj(OBJ_txt2obj(s.c_str(), 1));
  ERR_clear_error();
  return obj != nullptr;
}

CaConstraint ParseCaConstraint(const Json& j, const std::string& where) {
  Members m(j, where, {"is_ca", "max_path_len", "max_path_len_zero"});
  CaConstraint c{m.Bool("is_ca"), m.Int("max_path_len"), m.Bool("max_path_len_zero")};
  if (c.max_path_len < -1) Fail(m.Field("max_path_len"), "must be -1 (no limit) or more");
  return c;
}

CsrWhitelist ParseCsrWhitelist(const Json& j, const std::string& where) {
  Members m(j, where,
            {"subject", "publickeyalgorithm", "publickey", "signaturealgorithm", "dnsnames",
             "ipaddresses", "emailaddresses", "uris"});
  if (!m.Bool("publickey") || !m.Bool("publickeyalgorithm")) {
    Fail(where, "PublicKey and PublicKeyAlgorithm must be true: a certificate needs the CSR's key");
  }
  return {m.Bool("subject"), m.Bool("dnsnames"), m.Bool("ipaddresses"), m.Bool("emailaddresses"),
          m.Bool("uris")};
}

// cfssl 1.2 wrote policies as a list of OIDs; later versions as objects
// {"ID": oid, "Qualifiers": [{"Type": "id-qt-cps" | "id-qt-unotice", "Value": text}]}.
std::vector<CertificatePolicy> ParsePolicies(const Json& list, const std::string& where) {
  if (!list.is_array()) Fail(where, "must be a list");
  std::vector<CertificatePolicy> out;
  for (const auto& entry : list) {
    CertificatePolicy policy;
    if (entry.is_string()) {
      policy.oid = entry.get<std::string>();
    } else {
      Members m(entry, where + "[]", {"id", "qualifiers"});
      policy.oid = m.String("id");
      if (const Json* qualifiers = m.Get("qualifiers")) {
        if (!qualifiers->is_array()) Fail(m.Field("Qualifiers"), "must be a list");
        for (const auto& q : *qualifiers) {
          Members qm(q, m.Field("Qualifiers[]"), {"type", "value"});
          const std::string type = qm.String("type");
          if (type == "id-qt-cps") {
            Members::CheckUrl(qm.Field("Value"), qm.String("value"));
            policy.cps_uris.push_back(qm.String("value"));
          } else if (type == "id-qt-unotice") {
            policy.user_notices.push_back(qm.String("value"));
          } else {
            Fail(qm.Field("Type"), "'" + type + "' is not id-qt-cps or id-qt-unotice");
          }
        }
      }
    }
    if (!IsDottedOid(policy.oid)) Fail(where, "'" + policy.oid + "' is not a dotted OID");
    out.push_back(std::move(policy));
  }
  return out;
}

SigningProfile ParseProfile(const Json& j, const std::string& where, bool is_default,
                            const SigningConfig& config) {
  const Members m(j, where,
                  {"usages", "issuer_urls", "ocsp_url", "crl_url", "ca_constraint", "ocsp_no_check",
                   "expiry", "backdate", "auth_key", "prev_auth_key", "copy_extensions", "remote",
                   "auth_remote", "not_before", "not_after", "name_whitelist", "ct_log_servers",
                   "allowed_extensions", "cert_store", "lint_error_level", "ignored_lints",
                   "ignored_lint_sources", "policies", "csrwhitelist",
                   "clientprovidesserialnumbers", "name_constraints"});
  SigningProfile p;
  p.usage_names = m.StringList("usages");
  auto usages = ParseUsages(p.usage_names);
  if (!usages.ok()) Fail(m.Field("usages"), usages.status().message());
  p.usages = *usages;
  if (m.Get("expiry")) p.expiry_seconds = m.Duration("expiry");
  if (m.Get("backdate")) p.backdate_seconds = m.Duration("backdate");
  p.not_before = m.Time("not_before");
  p.not_after = m.Time("not_after");
  p.issuer_urls = m.StringList("issuer_urls");
  for (const auto& url : p.issuer_urls) Members::CheckUrl(m.Field("issuer_urls"), url);
  p.ocsp_url = m.Url("ocsp_url");
  p.crl_url = m.Url("crl_url");
  p.ocsp_no_check = m.Bool("ocsp_no_check");
  if (const Json* c = m.Get("ca_constraint")) p.ca_constraint = ParseCaConstraint(*c, m.Field("ca_constraint"));
  if (const Json* policies = m.Get("policies")) p.policies = ParsePolicies(*policies, m.Field("policies"));
  p.name_whitelist = m.String("name_whitelist");
  if (!p.name_whitelist.empty()) {
    try {
      p.name_whitelist_regex = std::make_shared<const std::regex>(p.name_whitelist);
    } catch (const std::regex_error& e) {
      Fail(m.Field("name_whitelist"), "'" + p.name_whitelist + "' is not a valid regular expression (" +
                                          e.what() + ")");
    }
  }
  if (const Json* nc = m.Get("name_constraints")) {
    auto parsed = ParseNameConstraints(*nc, m.Field("name_constraints"));
    if (!parsed.ok()) throw ConfigError{parsed.status().message()};
    p.name_constraints = std::move(parsed).value();
  }
  if (const Json* w = m.Get("csrwhitelist")) p.csr_whitelist = ParseCsrWhitelist(*w, m.Field("CSRWhitelist"));
  p.client_provides_serial_numbers = m.Bool("clientprovidesserialnumbers");
  p.allowed_extensions = m.StringList("allowed_extensions");
  for (const auto& oid : p.allowed_extensions) {
    if (!IsDottedOid(oid)) Fail(m.Field("allowed_extensions"), "'" + oid + "' is not a dotted OID");
  }
  const int lint_level = m.Int("lint_error_level");
  if (lint_level < 0 || lint_level > 7) Fail(m.Field("lint_error_level"), "must be between 0 and 7");
  // Type-checked only: they name zlint's rules, which trustplane's lint does not use.
  (void)m.StringList("ignored_lints");
  (void)m.StringList("ignored_lint_sources");
  if (m.Bool("copy_extensions")) {
    Fail(m.Field("copy_extensions"), "is not supported: trustplane never copies a CSR's other extensions");
  }
  if (!m.StringList("ct_log_servers").empty()) {
    Fail(m.Field("ct_log_servers"), "Certificate Transparency submission is not supported");
  }
  if (!m.String("cert_store").empty()) Fail(m.Field("cert_store"), "is not supported");

  const auto need_auth_key = [&](const std::string& field, const std::string& name) {
    if (!name.empty() && config.auth_keys.count(name) == 0) {
      Fail(field, "'" + name + "' is not in auth_keys");
    }
  };
  const auto need_remote = [&](const std::string& field, const std::string& name) {
    if (config.remotes.count(name) == 0) Fail(field, "'" + name + "' is not in remotes");
  };
  p.auth_key = m.String("auth_key");
  need_auth_key(m.Field("auth_key"), p.auth_key);
  p.prev_auth_key = m.String("prev_auth_key");
  need_auth_key(m.Field("prev_auth_key"), p.prev_auth_key);
  p.remote = m.String("remote");
  if (!p.remote.empty()) need_remote(m.Field("remote"), p.remote);
  if (const Json* ar = m.Get("auth_remote")) {
    Members am(*ar, m.Field("auth_remote"), {"remote", "auth_key"});
    if (!p.remote.empty()) Fail(where, "has both remote and auth_remote");
    p.remote = am.String("remote");
    need_remote(am.Field("remote"), p.remote);
    need_auth_key(am.Field("auth_key"), am.String("auth_key"));
  }

  if (p.remote.empty()) {  // signed here: what cfssl requires of a local profile
    if (!m.Get("expiry")) Fail(m.Field("expiry"), "is required (a Go duration such as 8760h)");
    if (p.expiry_seconds <= 0) Fail(m.Field("expiry"), "must be positive");
    if (!is_default && p.usage_names.empty()) Fail(m.Field("usages"), "a profile needs at least one usage");
  }
  if (p.not_before && p.not_after && *p.not_after <= *p.not_before) {
    Fail(m.Field("not_after"), "is not after not_before");
  }
  return p;
}

void InheritUrls(SigningProfile& p, const SigningProfile& fallback) {
  if (p.ocsp_url.empty()) p.ocsp_url = fallback.ocsp_url;
  if (p.crl_url.empty()) p.crl_url = fallback.crl_url;
  if (p.issuer_urls.empty()) p.issuer_urls = fallback.issuer_urls;
}

SigningConfig Parse(const Json& root) {
  const Members top(root, "config", {"signing", "auth_keys", "remotes", "ocsp"});
  SigningConfig config;
  if (const Json* keys = top.Get("auth_keys")) {
    if (!keys->is_object()) Fail("auth_keys", "must be an object of {\"type\", \"key\"}");
    for (auto it = keys->begin(); it != keys->end(); ++it) {
      const Members k(it.value(), "auth_keys." + it.key(), {"type", "key"});
      AuthKey key;
      key.type = k.String("type");
      if (key.type != "standard") {
        Fail(k.Field("type"), "'" + key.type + "' is not supported (cfssl's only type is \"standard\")");
      }
      auto bytes = ResolveAuthKey(k.String("key"));
      if (!bytes.ok()) Fail(k.Field("key"), bytes.status().message());
      key.key = *bytes;
      config.auth_keys.emplace(it.key(), std::move(key));
    }
  }
  if (const Json* remotes = top.Get("remotes")) {
    if (!remotes->is_object()) Fail("remotes", "must be an object of name: address");
    for (auto it = remotes->begin(); it != remotes->end(); ++it) {
      if (!it.value().is_string() || it.value().get<std::string>().empty()) {
        Fail("remotes." + it.key(), "must be a non-empty address");
      }
      config.remotes.emplace(it.key(), it.value().get<std::string>());
    }
  }
  const Json* signing = top.Get("signing");
  if (signing == nullptr) Fail("config", "has no \"signing\" section");
  const Members s(*signing, "signing", {"default", "profiles"});
  if (const Json* d = s.Get("default")) config.default_profile = ParseProfile(*d, "signing.default", true, config);
  if (const Json* profiles = s.Get("profiles")) {
    if (!profiles->is_object()) Fail("signing.profiles", "must be an object of name: profile");
    for (auto it = profiles->begin(); it != profiles->end(); ++it) {
      SigningProfile p = ParseProfile(it.value(), "signing.profiles." + it.key(), false, config);
      InheritUrls(p, config.default_profile);
      config.profiles.emplace(it.key(), std::move(p));
    }
  }
  return config;
}

}  // namespace

Result<const SigningProfile*> SigningConfig::Profile(const std::string& name) const {
  if (name.empty()) return &default_profile;
  auto it = profiles.find(name);
  if (it != profiles.end()) return &it->second;
  std::string known;
  for (const auto& [n, p] : profiles) known += (known.empty() ? "" : ", ") + n;
  return Status::NotFound("unknown signing profile '" + name + "'" +
                          (known.empty() ? " (the config defines none)" : " (known: " + known + ")"));
}

Result<SigningConfig> ParseSigningConfig(std::string_view json) {
  try {
    return Parse(Json::parse(json));
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("malformed signing config JSON: ") + e.what());
  } catch (const ConfigError& e) {
    return Status::InvalidArgument(e.message);
  }
}

Result<SigningConfig> LoadSigningConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto config = ParseSigningConfig(text.str());
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

}  // namespace trustplane::pki
