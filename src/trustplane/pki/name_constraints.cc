#include "trustplane/pki/name_constraints.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

namespace trustplane::pki {
namespace {

using Json = nlohmann::json;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct Cidr {
  std::string address;  // 4 or 16 bytes
  int prefix = 0;
};

std::optional<std::string> ParseAddress(const std::string& text) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1)
    return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, text.c_str(), buf) == 1)
    return std::string(reinterpret_cast<char*>(buf), 16);
  return std::nullopt;
}

// "" and the block, or why it is not one. Not strict: host bits are
// ignored (for constraints read from certificates trustplane did not make).
std::string ParseCidr(const std::string& text, Cidr* out, bool strict = true) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return "a CIDR block needs a prefix length (e.g. 10.0.0.0/8)";
  auto address = ParseAddress(text.substr(0, slash));
  if (!address) return "'" + text.substr(0, slash) + "' is not an IPv4 or IPv6 address";
  const std::string digits = text.substr(slash + 1);
  const int max = static_cast<int>(address->size()) * 8;
  if (digits.empty() || digits.size() > 3 ||
      !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoi(digits) > max) {
    return "the prefix length must be 0-" + std::to_string(max);
  }
  const int prefix = std::stoi(digits);
  for (int bit = prefix; strict && bit < max; ++bit) {
    if ((static_cast<unsigned char>((*address)[bit / 8]) >> (7 - bit % 8)) & 1) {
      return "host bits are set after /" + digits;
    }
  }
  *out = {*address, prefix};
  return "";
}

bool InBlock(const std::string& address, const Cidr& block) {
  if (address.size() != block.address.size()) return false;
  for (int bit = 0; bit < block.prefix; ++bit) {
    const int a = (static_cast<unsigned char>(address[bit / 8]) >> (7 - bit % 8)) & 1;
    const int b = (static_cast<unsigned char>(block.address[bit / 8]) >> (7 - bit % 8)) & 1;
    if (a != b) return false;
  }
  return true;
}

// A domain constraint, with or without its leading '.'.
std::string DomainError(const std::string& entry) {
  const std::string domain = entry[0] == '.' ? entry.substr(1) : entry;
  if (domain.empty()) return "names no domain";
  if (std::string why = DnsNameError(domain); !why.empty()) return why;
  return "";
}

// `name` under a DNS constraint: equal or below it; only below it for ".domain".
bool DnsWithin(const std::string& name, const std::string& constraint) {
  const std::string n = Lower(name), c = Lower(constraint);
  if (c.empty())
    return true;  // an empty constraint (only in others' certificates) spans everything
  if (c[0] == '.') return n.size() > c.size() && EndsWith(n, c);
  return n == c || EndsWith(n, "." + c);
}

// A host under a URI or email-domain constraint: exactly it, or below ".domain".
bool HostWithin(const std::string& host, const std::string& constraint) {
  const std::string h = Lower(host), c = Lower(constraint);
  if (c.empty()) return true;
  if (c[0] == '.') return h.size() > c.size() && EndsWith(h, c);
  return h == c;
}

bool EmailWithin(const std::string& email, const std::string& constraint) {
  const size_t at = email.rfind('@');
  if (at == std::string::npos) return false;
  if (constraint.find('@') != std::string::npos) {
    // A mailbox: the local part as written, the host in any case.
    const size_t cat = constraint.rfind('@');
    return email.substr(0, at) == constraint.substr(0, cat) &&
           Lower(email.substr(at + 1)) == Lower(constraint.substr(cat + 1));
  }
  return HostWithin(email.substr(at + 1), constraint);
}

// The host of "scheme://[userinfo@]host[:port]/...", "" when the URI has none.
std::string UriHost(const std::string& uri) {
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) return "";
  std::string authority = uri.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (size_t at = authority.rfind('@'); at != std::string::npos)
    authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[')
    return authority.substr(1, authority.find(']') - 1);
  return authority.substr(0, authority.find(':'));
}

std::string Quoted(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ", ") + s;
  return "[" + out + "]";
}

// Whether `name` of one kind passes the permitted and excluded entries of that kind.
template <typename Within>
std::string Check(const char* what, const char* kind, const std::string& name,
                  const std::vector<std::string>& permitted,
                  const std::vector<std::string>& excluded, Within within) {
  for (const auto& c : excluded) {
    if (within(name, c))
      return std::string(what) + " '" + name + "' is within excluded " + kind + " " + c;
  }
  if (!permitted.empty() && std::none_of(permitted.begin(), permitted.end(),
                                         [&](const std::string& c) { return within(name, c); })) {
    return std::string(what) + " '" + name + "' is outside permitted " + kind + " " +
           Quoted(permitted);
  }
  return "";
}

struct ParseError {
  std::string message;
};

std::vector<std::string> ParseList(const Json& j, const std::string& kind,
                                   const std::string& where) {
  if (!j.is_array()) throw ParseError{where + ": must be a list of strings"};
  std::vector<std::string> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!j[i].is_string()) throw ParseError{at + ": must be a string"};
    const std::string entry = j[i].get<std::string>();
    if (std::string why = NameConstraintEntryError(kind, entry); !why.empty()) {
      throw ParseError{at + ": '" + entry + "' " + why};
    }
    out.push_back(entry);
  }
  return out;
}

NameSubtrees ParseSubtrees(const Json& j, const std::string& where) {
  if (!j.is_object())
    throw ParseError{where + ": must be an object of dns, ip, email and uri lists"};
  NameSubtrees out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = Lower(it.key());
    const std::string field = where + "." + it.key();
    if (it.value().is_null()) continue;
    if (key == "dns") {
      out.dns = ParseList(it.value(), key, field);
    } else if (key == "ip") {
      out.ip = ParseList(it.value(), key, field);
    } else if (key == "email") {
      out.email = ParseList(it.value(), key, field);
    } else if (key == "uri") {
      out.uri = ParseList(it.value(), key, field);
    } else {
      throw ParseError{field + ": unknown field (known: dns, ip, email, uri)"};
    }
  }
  return out;
}

}  // namespace

std::string NameConstraintEntryError(const std::string& kind, const std::string& entry) {
  if (entry.empty()) return "is empty (leave the list out to set no constraint)";
  if (entry.find('*') != std::string::npos) {
    return "is a wildcard, which RFC 5280 name constraints do not define: write example.com (the "
           "domain and "
           "its subdomains) or .example.com (subdomains only)";
  }
  std::string why;
  if (kind == "ip") {
    Cidr block;
    why = ParseCidr(entry, &block);
    return why.empty() ? "" : "is not a CIDR block: " + why;
  }
  if (kind == "dns") {
    why = DomainError(entry);
  } else if (kind == "email") {
    why = entry.find('@') != std::string::npos ? EmailError(entry) : DomainError(entry);
  } else if (kind == "uri") {
    if (entry.find(':') != std::string::npos || entry.find('/') != std::string::npos) {
      return "is not a host: a URI constraint names a host (host.example.com) or a domain "
             "(.example.com)";
    }
    why = DomainError(entry);
  } else {
    return "has an unknown kind " + kind;
  }
  return why.empty() ? "" : "is not valid: " + why;
}

Result<NameConstraints> ParseNameConstraints(const Json& j, const std::string& where) {
  try {
    if (!j.is_object())
      throw ParseError{where + ": must be an object with permitted and/or excluded"};
    NameConstraints nc;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string key = Lower(it.key());
      const std::string field = where + "." + it.key();
      if (it.value().is_null()) continue;
      if (key == "critical") {
        if (!it.value().is_boolean()) throw ParseError{field + ": must be true or false"};
        nc.critical = it.value().get<bool>();
      } else if (key == "permitted") {
        nc.permitted = ParseSubtrees(it.value(), field);
      } else if (key == "excluded") {
        nc.excluded = ParseSubtrees(it.value(), field);
      } else {
        throw ParseError{field + ": unknown field (known: critical, permitted, excluded)"};
      }
    }
    if (nc.empty())
      throw ParseError{where + ": constrains nothing (give permitted and/or excluded names)"};
    return nc;
  } catch (const ParseError& e) {
    return Status::InvalidArgument(e.message);
  }
}

std::string NameConstraintViolation(const NameConstraints& nc, const SubjectAltNameSet& sans,
                                    const std::string& cn_as_dns) {
  const NameSubtrees& p = nc.permitted;
  const NameSubtrees& x = nc.excluded;
  std::vector<std::pair<const char*, std::string>> dns_names;
  if (!cn_as_dns.empty()) dns_names.emplace_back("subject CN", cn_as_dns);
  for (const auto& n : sans.dns) dns_names.emplace_back("DNS name", n);
  for (const auto& [what, name] : dns_names) {
    if (std::string v = Check(what, "dns", name, p.dns, x.dns, DnsWithin); !v.empty()) return v;
  }
  for (const auto& ip : sans.ip) {
    const auto address = ParseAddress(ip);
    const auto within = [&](const std::string&, const std::string& c) {
      Cidr block;
      return address && ParseCidr(c, &block, false).empty() && InBlock(*address, block);
    };
    if (std::string v = Check("IP address", "ip", ip, p.ip, x.ip, within); !v.empty()) return v;
  }
  for (const auto& email : sans.email) {
    if (std::string v = Check("email", "email", email, p.email, x.email, EmailWithin); !v.empty())
      return v;
  }
  for (const auto& uri : sans.uri) {
    const std::string host = UriHost(uri);
    if (host.empty() && !(p.uri.empty() && x.uri.empty())) {
      return "URI '" + uri + "' has no host to match against the uri name constraints";
    }
    const auto within = [&](const std::string&, const std::string& c) {
      return HostWithin(host, c);
    };
    if (std::string v = Check("URI", "uri", uri, p.uri, x.uri, within); !v.empty()) return v;
  }
  return "";
}

}  // namespace trustplane::pki
