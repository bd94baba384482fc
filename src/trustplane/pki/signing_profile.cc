#include "trustplane/pki/signing_profile.h"

namespace trustplane::pki {

std::optional<int> CaConstraint::PathLen() const {
  if (max_path_len > 0) return max_path_len;
  if (max_path_len == 0 && max_path_len_zero) return 0;
  return std::nullopt;
}

SigningProfile SigningProfile::Default() {
  SigningProfile p;
  p.usage_names = {"signing", "key encipherment", "server auth", "client auth"};
  p.usages = ParseUsages(p.usage_names).value();
  p.expiry_seconds = 8760 * 3600;
  return p;
}

SigningProfile SigningProfile::ForCa(const CaSettings& ca) {
  SigningProfile p;
  p.usage_names = {"cert sign", "crl sign"};
  p.usages = ParseUsages(p.usage_names).value();
  p.expiry_seconds = ca.expiry_seconds;
  p.backdate_seconds = ca.backdate_seconds;
  p.ca_constraint.is_ca = true;
  p.ca_constraint.max_path_len = ca.path_len;
  p.ca_constraint.max_path_len_zero = ca.path_len_zero;
  p.name_constraints = ca.name_constraints;
  return p;
}

SigningProfile::Validity SigningProfile::ValidityAt(UnixSeconds now) const {
  constexpr int64_t kDefaultBackdate = 5 * 60;
  Validity v;
  if (not_before) {
    v.not_before = *not_before;
  } else {
    const UnixSeconds rounded = (now + 30) / 60 * 60;  // Go's Round(time.Minute), half up
    v.not_before = rounded - (backdate_seconds != 0 ? backdate_seconds : kDefaultBackdate);
  }
  v.not_after = not_after ? *not_after : v.not_before + expiry_seconds;
  return v;
}

bool SigningProfile::NameAllowed(std::string_view name) const {
  return !name_whitelist_regex ||
         std::regex_match(name.begin(), name.end(), *name_whitelist_regex);
}

}  // namespace trustplane::pki
