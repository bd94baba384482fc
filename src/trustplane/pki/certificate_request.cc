#include "trustplane/pki/certificate_request.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "trustplane/base/time.h"

namespace trustplane::pki {
namespace {

bool IsIpAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool HasUriScheme(const std::string& host) {
  size_t colon = host.find("://");
  if (colon == std::string::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = host[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

std::string StringField(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || j.at(key).is_null()) return "";
  if (!j.at(key).is_string()) throw std::invalid_argument(where + key + " must be a string");
  return j.at(key).get<std::string>();
}

}  // namespace

SubjectAltNameSet CertificateRequest::Sans() const {
  SubjectAltNameSet sans;
  for (const auto& h : hosts) {
    if (IsIpAddress(h)) sans.ip.push_back(h);
    else if (HasUriScheme(h)) sans.uri.push_back(h);
    else if (h.find('@') != std::string::npos) sans.email.push_back(h);
    else sans.dns.push_back(h);
  }
  return sans;
}

Result<CertificateRequest> ParseCertificateRequest(std::string_view json) {
  try {
    auto j = nlohmann::json::parse(json);
    if (!j.is_object()) return Status::InvalidArgument("CSR JSON must be an object");
    for (const auto& [key, value] : j.items()) {
      if (key != "CN" && key != "names" && key != "hosts" && key != "key" && key != "ca") {
        return Status::InvalidArgument("CSR JSON has unknown field '" + key +
                                       "' (fields: CN, names, hosts, key, ca)");
      }
    }
    CertificateRequest req;
    req.cn = StringField(j, "CN", "");
    if (j.contains("names")) {
      if (!j["names"].is_array()) return Status::InvalidArgument("names must be a list");
      for (const auto& n : j["names"]) {
        if (!n.is_object()) return Status::InvalidArgument("each entry of names must be an object");
        req.names.push_back({StringField(n, "C", "names[]."), StringField(n, "ST", "names[]."),
                             StringField(n, "L", "names[]."), StringField(n, "O", "names[]."),
                             StringField(n, "OU", "names[].")});
      }
    }
    if (j.contains("hosts") && !j["hosts"].is_null()) {
      if (!j["hosts"].is_array()) return Status::InvalidArgument("hosts must be a list of strings");
      for (const auto& h : j["hosts"]) {
        if (!h.is_string() || h.get<std::string>().empty()) {
          return Status::InvalidArgument("hosts must be a list of non-empty strings");
        }
        req.hosts.push_back(h.get<std::string>());
      }
    }
    if (j.contains("key")) {
      const auto& k = j["key"];
      if (!k.is_object()) return Status::InvalidArgument("key must be an object {algo, size}");
      if (k.contains("algo")) req.key.algo = StringField(k, "algo", "key.");
      if (k.contains("size")) {
        if (!k["size"].is_number_integer()) return Status::InvalidArgument("key.size must be an integer");
        req.key.size = k["size"].get<int>();
      } else if (req.key.algo == "rsa") {
        req.key.size = 2048;
      }
      TP_RETURN_IF_ERROR(req.key.Validate().WithContext("key"));
    }
    if (j.contains("ca") && !j["ca"].is_null()) {
      const auto& c = j["ca"];
      CaSettings ca;
      if (c.contains("expiry")) {
        TP_ASSIGN_OR_RETURN(ca.expiry_seconds, ParseDurationSeconds(StringField(c, "expiry", "ca.")));
      }
      if (c.contains("pathlen")) {
        if (!c["pathlen"].is_number_integer() || c["pathlen"].get<int>() < 0) {
          return Status::InvalidArgument("ca.pathlen must be a non-negative integer");
        }
        ca.path_len = c["pathlen"].get<int>();
      }
      if (c.contains("pathlenzero")) ca.path_len_zero = c["pathlenzero"].get<bool>();
      req.ca = ca;
    }
    if (req.cn.empty() && req.hosts.empty() && req.names.empty()) {
      return Status::InvalidArgument("CSR JSON names no subject: give CN, names or hosts");
    }
    return req;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("malformed CSR JSON: ") + e.what());
  } catch (const std::invalid_argument& e) {
    return Status::InvalidArgument(e.what());
  }
}

}  // namespace trustplane::pki
