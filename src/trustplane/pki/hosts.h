// Hosts: cfssl's "hosts" list and the subjectAltName entries it becomes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trustplane::pki {

struct SubjectAltNameSet {
  std::vector<std::string> dns, ip, email, uri;  // IPs in text form ("10.0.0.1", "::1")
  bool empty() const { return dns.empty() && ip.empty() && email.empty() && uri.empty(); }
  // Back to cfssl's "hosts" form: DNS, IP, email, URI, each in order.
  std::vector<std::string> Hosts() const;
};

// Each host becomes the SAN its form says, in cfssl's order of tests: an IP
// address (v4 or v6); a URI when it starts with a scheme ("spiffe://...",
// "https://...", "urn:...", but not "host:8443"); an email address when it
// has an '@'; otherwise a DNS name. Nothing is validated here: see
// DnsNameError and friends, which the pre-issuance lint applies.
SubjectAltNameSet ClassifyHosts(const std::vector<std::string>& hosts);

// Why a name is not usable in a certificate, or "" when it is. DNS names:
// RFC 1034 labels of letters, digits, '-' and '_' (at most 63 octets, 253 in
// all, no empty label), optionally "*." as the whole leftmost label. Email:
// ASCII local@domain with a valid DNS domain. URI: ASCII, a scheme and a
// scheme-specific part, no spaces (RFC 5280 4.2.1.6).
std::string DnsNameError(std::string_view name);
std::string EmailError(std::string_view email);
std::string UriError(std::string_view uri);

}  // namespace trustplane::pki
