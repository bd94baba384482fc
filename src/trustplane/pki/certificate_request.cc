#include "trustplane/pki/certificate_request.h"

#include <nlohmann/json.hpp>
#include <set>

#include "trustplane/pki/go_duration.h"

namespace trustplane::pki {
namespace {

using Json = nlohmann::json;

// Thrown inside the parser only; ParseCertificateRequest turns it into a Status.
struct FieldError {
  std::string message;
};

void CheckFields(const Json& j, const std::string& where, const std::set<std::string>& known) {
  for (const auto& [key, value] : j.items()) {
    if (known.count(key) != 0) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw FieldError{where + "has unknown field '" + key + "' (fields: " + list + ")"};
  }
}

const Json& ObjectAt(const Json& j, const std::string& field) {
  if (!j.is_object()) throw FieldError{field + " must be an object"};
  return j;
}

std::string StringAt(const Json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || j.at(key).is_null()) return "";
  if (!j.at(key).is_string()) throw FieldError{where + key + " must be a string"};
  return j.at(key).get<std::string>();
}

int64_t DurationAt(const Json& j, const char* key, const std::string& where) {
  auto seconds = ParseGoDurationSeconds(StringAt(j, key, where));
  if (!seconds.ok()) throw FieldError{where + key + ": " + seconds.status().message()};
  if (*seconds < 0) throw FieldError{where + key + " must not be negative"};
  return *seconds;
}

NameEntry ParseNameEntry(const Json& n) {
  const std::string where = "names[].";
  ObjectAt(n, "each entry of names");
  CheckFields(n, "names[] ", {"C", "ST", "L", "O", "OU", "E", "OID", "SerialNumber"});
  NameEntry e{StringAt(n, "C", where),  StringAt(n, "ST", where), StringAt(n, "L", where),
              StringAt(n, "O", where),  StringAt(n, "OU", where), StringAt(n, "E", where),
              {}};
  if (n.contains("OID") && !n["OID"].is_null()) {
    for (const auto& [oid, value] : ObjectAt(n["OID"], "names[].OID").items()) {
      if (!value.is_string()) throw FieldError{"names[].OID." + oid + " must be a string"};
      e.oid[oid] = value.get<std::string>();
    }
  }
  return e;
}

KeySpec ParseKey(const Json& k) {
  ObjectAt(k, "key");
  CheckFields(k, "key ", {"algo", "size"});
  KeySpec spec;
  if (k.contains("algo")) spec.algo = StringAt(k, "algo", "key.");
  if (k.contains("size") && !k["size"].is_null()) {
    if (!k["size"].is_number_integer() || k["size"].get<int64_t>() < 0 ||
        k["size"].get<int64_t>() > 65536) {
      throw FieldError{"key.size must be a key size in bits, such as 256 or 2048"};
    }
    spec.size = k["size"].get<int>();
  } else if (spec.algo == "rsa") {
    spec.size = 2048;
  }
  if (Status s = spec.Validate(); !s.ok()) throw FieldError{"key: " + s.message()};
  return spec;
}

CaSettings ParseCa(const Json& c) {
  ObjectAt(c, "ca");
  CheckFields(c, "ca ", {"expiry", "backdate", "pathlen", "pathlenzero", "name_constraints"});
  CaSettings ca;
  if (!StringAt(c, "expiry", "ca.").empty()) ca.expiry_seconds = DurationAt(c, "expiry", "ca.");
  if (ca.expiry_seconds <= 0) throw FieldError{"ca.expiry must be positive"};
  if (!StringAt(c, "backdate", "ca.").empty()) ca.backdate_seconds = DurationAt(c, "backdate", "ca.");
  if (c.contains("pathlen") && !c["pathlen"].is_null()) {
    if (!c["pathlen"].is_number_integer() || c["pathlen"].get<int>() < 0) {
      throw FieldError{"ca.pathlen must be a non-negative integer"};
    }
    ca.path_len = c["pathlen"].get<int>();
  }
  if (c.contains("pathlenzero") && !c["pathlenzero"].is_null()) {
    if (!c["pathlenzero"].is_boolean()) throw FieldError{"ca.pathlenzero must be true or false"};
    ca.path_len_zero = c["pathlenzero"].get<bool>();
  }
  if (c.contains("name_constraints") && !c["name_constraints"].is_null()) {
    auto nc = ParseNameConstraints(c["name_constraints"], "ca.name_constraints");
    if (!nc.ok()) throw FieldError{nc.status().message()};
    ca.name_constraints = std::move(nc).value();
  }
  return ca;
}

}  // namespace

Result<CertificateRequest> ParseCertificateRequest(std::string_view json) {
  try {
    const Json j = Json::parse(json);
    if (!j.is_object()) return Status::InvalidArgument("CSR JSON must be an object");
    for (const char* unsupported : {"extensions", "delegation_enabled"}) {
      if (j.contains(unsupported)) {
        return Status::InvalidArgument(std::string("CSR JSON field '") + unsupported +
                                       "' is not supported by trustplane");
      }
    }
    CheckFields(j, "CSR JSON ", {"CN", "names", "hosts", "key", "ca", "serialnumber", "crl_url"});
    CertificateRequest req;
    req.subject.cn = StringAt(j, "CN", "");
    req.subject.serial_number = StringAt(j, "serialnumber", "");
    req.crl_url = StringAt(j, "crl_url", "");
    if (j.contains("names") && !j["names"].is_null()) {
      if (!j["names"].is_array()) return Status::InvalidArgument("names must be a list of objects");
      for (const auto& n : j["names"]) req.subject.names.push_back(ParseNameEntry(n));
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
    if (j.contains("key") && !j["key"].is_null()) req.key = ParseKey(j["key"]);
    if (j.contains("ca") && !j["ca"].is_null()) req.ca = ParseCa(j["ca"]);
    if (req.subject.empty() && req.hosts.empty()) {
      return Status::InvalidArgument("CSR JSON names no subject: give CN, names or hosts");
    }
    return req;
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(std::string("malformed CSR JSON: ") + e.what());
  } catch (const FieldError& e) {
    return Status::InvalidArgument(e.message);
  }
}

}  // namespace trustplane::pki
