#include "trustplane/pki/hosts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace trustplane::pki {
namespace {

bool IsIpAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Length of an RFC 3986 scheme at the start of s (ALPHA *(ALPHA / DIGIT /
// "+" / "-" / ".")) when a ':' follows it; 0 otherwise.
size_t SchemeLength(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return 0;
  size_t i = 1;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '+' ||
                          s[i] == '-' || s[i] == '.')) {
    ++i;
  }
  return i < s.size() && s[i] == ':' ? i : 0;
}

// "host:8443" has the shape of a scheme too; a URI needs more than a port.
bool LooksLikeUri(std::string_view s) {
  const size_t n = SchemeLength(s);
  if (n == 0 || n + 1 >= s.size()) return false;
  std::string_view rest = s.substr(n + 1);
  return !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsPrintableAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::vector<std::string> SubjectAltNameSet::Hosts() const {
  std::vector<std::string> out;
  for (const auto* list : {&dns, &ip, &email, &uri}) out.insert(out.end(), list->begin(), list->end());
  return out;
}

SubjectAltNameSet ClassifyHosts(const std::vector<std::string>& hosts) {
  SubjectAltNameSet sans;
  for (const auto& h : hosts) {
    if (IsIpAddress(h)) {
      sans.ip.push_back(h);
    } else if (LooksLikeUri(h)) {
      sans.uri.push_back(h);
    } else if (h.find('@') != std::string::npos) {
      sans.email.push_back(h);
    } else {
      sans.dns.push_back(h);
    }
  }
  return sans;
}

std::string DnsNameError(std::string_view name) {
  if (name.empty()) return "it is empty";
  if (name.size() > 253) return "it is longer than 253 characters";
  if (name.back() == '.') return "it ends with a dot";
  std::string_view rest = name;
  if (rest.substr(0, 2) == "*.") rest.remove_prefix(2);
  if (rest.empty()) return "a wildcard needs a domain after \"*.\"";
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('.', start);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view label = rest.substr(start, end - start);
    if (label.empty()) return "it has an empty label";
    if (label.size() > 63) return "label '" + std::string(label) + "' is longer than 63 characters";
    if (label.front() == '-' || label.back() == '-') {
      return "label '" + std::string(label) + "' starts or ends with '-'";
    }
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
        if (c == '*') return "'*' is only allowed as the whole leftmost label";
        return "it contains '" + std::string(1, c) + "' (DNS names allow letters, digits, '-', '_')";
      }
    }
    start = end + 1;
  }
  return "";
}

std::string EmailError(std::string_view email) {
  if (!IsPrintableAscii(email)) return "it is not printable ASCII without spaces";
  const size_t at = email.rfind('@');
  if (at == 0 || at == std::string_view::npos) return "it has no local part before '@'";
  if (email.find('@') != at) return "it has more than one '@'";
  const std::string_view domain = email.substr(at + 1);
  if (std::string why = DnsNameError(domain); !why.empty()) {
    return "its domain '" + std::string(domain) + "' is invalid: " + why;
  }
  if (domain.find('*') != std::string_view::npos) return "its domain has a wildcard";
  return "";
}

std::string UriError(std::string_view uri) {
  if (!IsPrintableAscii(uri)) return "it is not printable ASCII without spaces";
  const size_t n = SchemeLength(uri);
  if (n == 0) return "it has no scheme";
  if (n + 1 >= uri.size()) return "it has no part after the scheme";
  // RFC 3986: "//" starts an authority, which RFC 5280 4.2.1.6 wants to name a host;
  // a SPIFFE ID's authority is its trust domain.
  const std::string_view rest = uri.substr(n + 1);
  if (rest.substr(0, 2) == "//") {
    const std::string_view authority = rest.substr(2, rest.find_first_of("/?#", 2) - 2);
    if (authority.empty()) return "it has an empty authority (no host after '//')";
  }
  return "";
}

}  // namespace trustplane::pki
