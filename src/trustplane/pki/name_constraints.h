// NameConstraints: the RFC 5280 4.2.1.10 nameConstraints a CA certificate
// carries, which limit the names every certificate below it may hold.
//
//   "name_constraints": {"critical": true,
//     "permitted": {"dns": ["example.com", ".svc.example.com"], "ip": ["10.0.0.0/8", "fd00::/8"],
//                   "email": ["example.com", "ops@example.net"], "uri": [".example.com"]},
//     "excluded":  {"dns": ["secret.example.com"]}}
//
// Entry forms, as RFC 5280 defines them (wildcards such as "*.example.com"
// are not among them and are refused):
//   dns    "example.com": that name and every name below it; ".example.com":
//          only names below it (a convention OpenSSL, Go and NSS share).
//   ip     an address block in CIDR notation, host bits zero.
//   email  "ops@example.com": that mailbox; "example.com": any mailbox at
//          that host; ".example.com": any mailbox below that domain.
//   uri    "host.example.com": URIs whose host is exactly that host;
//          ".example.com": URIs whose host is below that domain.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/pki/hosts.h"

namespace trustplane::pki {

struct NameSubtrees {
  std::vector<std::string> dns, ip, email, uri;
  bool empty() const { return dns.empty() && ip.empty() && email.empty() && uri.empty(); }
  bool operator==(const NameSubtrees&) const = default;
};

struct NameConstraints {
  bool critical = true;  // RFC 5280 says CAs MUST mark it critical; false only for old verifiers
  NameSubtrees permitted, excluded;
  bool empty() const { return permitted.empty() && excluded.empty(); }
  bool operator==(const NameConstraints&) const = default;
};

// Parses the JSON object above. kInvalidArgument naming the field and entry
// ("<where>.permitted.ip[1]: '10.0.0.0/33' is not ..."): unknown fields,
// wrong types, empty entries, wildcards, bad CIDR blocks or host bits set,
// malformed names, a URI where a URI constraint wants a host, and an object
// that constrains nothing.
Result<NameConstraints> ParseNameConstraints(const nlohmann::json& j, const std::string& where);

// Why one entry is unusable, or "" when it is fine (the checks above).
// kind: "dns", "ip", "email" or "uri".
std::string NameConstraintEntryError(const std::string& kind, const std::string& entry);

// The first name of `sans` (and `cn_as_dns`, when not "", checked as a DNS
// name) that the constraints do not admit, described with the constraint
// it breaks ("DNS name 'a.other.com' is outside permitted dns
// [example.com]"); "" when all are admitted. A kind is limited by its
// permitted entries only when it has some; any excluded entry that matches
// refuses the name. A URI without a host is refused under URI constraints.
std::string NameConstraintViolation(const NameConstraints& nc, const SubjectAltNameSet& sans,
                                    const std::string& cn_as_dns);

}  // namespace trustplane::pki
