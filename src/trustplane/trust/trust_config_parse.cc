// ParseTrustConfig: reads the YAML or JSON of `gcloud certificate-manager
// trust-configs export`. Both syntaxes are loaded into one JSON tree first
// (yaml-cpp for YAML, nlohmann for JSON, each refusing duplicate keys), so
// the schema walk below exists once.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "trustplane/trust/trust_config.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::trust {
namespace {

using Json = nlohmann::ordered_json;

std::string Quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string Child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

std::string Index(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

// "at the top level" or "in trustStores[0]", for messages about keys.
std::string Where(std::string_view path) {
  return path.empty() ? "at the top level" : "in " + std::string(path);
}

std::string Describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      return "a mapping";
    case Json::value_t::array:
      return "a list";
    case Json::value_t::string:
      return "a text value";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::null:
      return "nothing";
    default:
      return "a number";
  }
}

Status DuplicateKey(std::string_view path, std::string_view key) {
  return Status::InvalidArgument("key " + Quote(key) + " appears twice " + Where(path) +
                                 "; each key may appear once");
}

// yaml-cpp's tree as JSON: every scalar becomes a string, which is all a trust
// config holds. Recursion depth is bounded by yaml-cpp's parser depth guard.
Result<Json> YamlToJson(const YAML::Node& node, const std::string& path) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return Json(node.Scalar());
    case YAML::NodeType::Sequence: {
      auto out = Json::array();
      for (const auto& element : node) {
        TP_ASSIGN_OR_RETURN(Json item, YamlToJson(element, Index(path, out.size())));
        out.push_back(std::move(item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      auto out = Json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return Status::InvalidArgument("a key " + Where(path) + " on line " +
                                         std::to_string(kv.first.Mark().line + 1) +
                                         " is not plain text");
        }
        const std::string& key = kv.first.Scalar();
        if (out.contains(key)) return DuplicateKey(path, key);
        TP_ASSIGN_OR_RETURN(Json value, YamlToJson(kv.second, Child(path, key)));
        out[key] = std::move(value);
      }
      return out;
    }
    default:
      return Json(nullptr);  // null and undefined
  }
}

Result<Json> LoadYaml(std::string_view text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    std::string where = e.mark.is_null() ? ""
                                         : "line " + std::to_string(e.mark.line + 1) + ", column " +
                                               std::to_string(e.mark.column + 1) + ": ";
    return Status::InvalidArgument("not valid YAML or JSON: " + where + e.msg);
  }
  if (docs.size() > 1) {
    return Status::InvalidArgument(std::to_string(docs.size()) +
                                   " YAML documents found; a trust config file holds one");
  }
  if (docs.empty() || docs[0].IsNull()) {
    return Status::InvalidArgument("the trust config is empty: no YAML or JSON document in it");
  }
  return YamlToJson(docs[0], "");
}

// nlohmann keeps the last of duplicate keys silently; a parse callback catches them.
Result<Json> LoadJson(std::string_view text) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto callback = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == Json::parse_event_t::object_end) open_objects.pop_back();
    if (event == Json::parse_event_t::key && duplicate.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  Json doc;
  try {
    doc = Json::parse(text, callback);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line ..."
    return Status::InvalidArgument("not valid JSON: " + what.substr(what.find("] ") + 2));
  }
  if (!duplicate.empty()) {
    return Status::InvalidArgument("key " + Quote(duplicate) +
                                   " appears twice in one JSON object; each key may appear once");
  }
  return doc;
}

bool LooksLikeJson(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

Result<Json> Load(std::string_view text) {
  // yaml-cpp reads binary junk as one text value; say what it is instead.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status::InvalidArgument("not valid YAML or JSON: a NUL byte at offset " +
                                   std::to_string(nul) + " (a binary file?)");
  }
  if (!LooksLikeJson(text)) return LoadYaml(text);
  if (Json::accept(text)) return LoadJson(text);
  // A YAML flow mapping ("{name: x}") starts like JSON too; report the JSON
  // syntax error only when YAML cannot read the text either.
  auto yaml = LoadYaml(text);
  return yaml.ok() ? yaml : LoadJson(text);
}

Result<std::string> Text(const Json& v, std::string_view path) {
  if (v.is_null()) return std::string();
  if (!v.is_string()) {
    return Status::InvalidArgument(std::string(path) + " must be text, got " + Describe(v));
  }
  return v.get<std::string>();
}

// `name` is an id or projects/P/locations/L/trustConfigs/ID (what export writes).
Result<std::string> IdFromName(const std::string& name) {
  if (name.find('/') == std::string::npos) {
    if (!name.empty()) TP_RETURN_IF_ERROR(ValidateTrustConfigId(name).WithContext("name"));
    return name;
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t slash; (slash = name.find('/', start)) != std::string::npos; start = slash + 1) {
    parts.push_back(name.substr(start, slash - start));
  }
  parts.push_back(name.substr(start));
  const bool resource_name = parts.size() == 6 && parts[0] == "projects" && !parts[1].empty() &&
                             parts[2] == "locations" && !parts[3].empty() &&
                             parts[4] == "trustConfigs";
  if (!resource_name) {
    return Status::InvalidArgument("name " + Quote(name) +
                                   " is neither a trust config id nor "
                                   "projects/PROJECT/locations/LOCATION/trustConfigs/ID");
  }
  TP_RETURN_IF_ERROR(ValidateTrustConfigId(parts[5]).WithContext("name"));
  return parts[5];
}

Result<x509::Certificate> ParsePemCertificate(const Json& v, const std::string& path) {
  TP_ASSIGN_OR_RETURN(std::string pem, Text(v, path));
  if (pem.empty()) return Status::InvalidArgument(path + " is empty");
  auto bundle = x509::ParseBundle(pem);
  if (!bundle.ok()) return bundle.status().WithContext(path);
  if (bundle->format != x509::BundleFormat::kPem) {
    return Status::InvalidArgument(path + " holds " +
                                   std::string(x509::BundleFormatName(bundle->format)) +
                                   ", not a PEM certificate");
  }
  if (bundle->certificates.size() != 1) {
    return Status::InvalidArgument(
        path + " holds " + std::to_string(bundle->certificates.size()) +
        " certificates; Certificate Manager takes one certificate per pemCertificate "
        "(give each certificate its own entry)");
  }
  return bundle->certificates[0];
}

// A list of {pemCertificate: "..."} entries.
Status ParseCertificateList(const Json& v, const std::string& path,
                            std::vector<x509::Certificate>& out) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_array()) {
    return Status::InvalidArgument(path + " must be a list of pemCertificate entries, got " +
                                   Describe(v));
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string entry = Index(path, i);
    if (!v[i].is_object()) {
      return Status::InvalidArgument(entry + " must be a mapping with pemCertificate, got " +
                                     Describe(v[i]));
    }
    for (const auto& [key, value] : v[i].items()) {
      if (key != "pemCertificate") {
        return Status::InvalidArgument("unknown key " + Quote(key) + " " + Where(entry) +
                                       "; an entry holds only pemCertificate");
      }
    }
    if (!v[i].contains("pemCertificate")) {
      return Status::InvalidArgument(entry + " has no pemCertificate");
    }
    TP_ASSIGN_OR_RETURN(
        auto cert, ParsePemCertificate(v[i]["pemCertificate"], Child(entry, "pemCertificate")));
    out.push_back(std::move(cert));
  }
  return Status::Ok();
}

Status ParseTrustStores(const Json& v, TrustConfig& out) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_array()) {
    return Status::InvalidArgument("trustStores must be a list, got " + Describe(v));
  }
  const size_t limit = TrustConfigLimits{}.max_trust_stores;
  if (v.size() > limit) {
    return Status::Policy("trustStores: trust config exceeds Certificate Manager's limit of " +
                          std::to_string(limit) + " trust store per trust config: has " +
                          std::to_string(v.size()) + " (" + std::to_string(v.size() - limit) +
                          " over)");
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string path = Index("trustStores", i);
    if (v[i].is_null()) continue;
    if (!v[i].is_object()) {
      return Status::InvalidArgument(path + " must be a mapping, got " + Describe(v[i]));
    }
    for (const auto& [key, value] : v[i].items()) {
      if (key == "trustAnchors") {
        TP_RETURN_IF_ERROR(ParseCertificateList(value, Child(path, key), out.anchors));
      } else if (key == "intermediateCas") {
        TP_RETURN_IF_ERROR(ParseCertificateList(value, Child(path, key), out.intermediates));
      } else if (key == "allowlistedCertificates") {
        return Status::InvalidArgument(
            "allowlistedCertificates " + Where(path) +
            ": it belongs at the top level of the trust config, not inside a trust store");
      } else {
        return Status::InvalidArgument("unknown key " + Quote(key) + " " + Where(path) +
                                       "; a trust store holds trustAnchors and intermediateCas");
      }
    }
  }
  return Status::Ok();
}

Status ParseRoot(const Json& root, TrustConfig& out) {
  if (!root.is_object()) {
    std::string hint;
    if (root.is_string() && root.get<std::string>().find("-----BEGIN") != std::string::npos) {
      hint =
          " (this looks like a PEM file; a trust config lists each certificate as a "
          "pemCertificate under trustStores or allowlistedCertificates)";
    }
    return Status::InvalidArgument(
        "not a trust config: expected a YAML or JSON mapping with keys such as trustStores, "
        "got " +
        Describe(root) + hint);
  }
  for (const auto& [key, value] : root.items()) {
    if (key == "name") {
      TP_ASSIGN_OR_RETURN(std::string name, Text(value, key));
      TP_ASSIGN_OR_RETURN(out.id, IdFromName(name));
    } else if (key == "description") {
      TP_ASSIGN_OR_RETURN(out.description, Text(value, key));
    } else if (key == "trustStores") {
      TP_RETURN_IF_ERROR(ParseTrustStores(value, out));
    } else if (key == "allowlistedCertificates") {
      TP_RETURN_IF_ERROR(ParseCertificateList(value, key, out.allowlisted));
    } else if (key != "labels" && key != "createTime" && key != "updateTime" && key != "etag") {
      return Status::InvalidArgument(
          "unknown key " + Quote(key) +
          " at the top level; a trust config holds name, description, labels, trustStores and "
          "allowlistedCertificates (output-only createTime, updateTime and etag are ignored)");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<TrustConfig> ParseTrustConfig(std::string_view text) {
  TP_ASSIGN_OR_RETURN(Json root, Load(text));
  TrustConfig config;
  TP_RETURN_IF_ERROR(ParseRoot(root, config));
  config.Canonicalize();
  return config;
}

}  // namespace trustplane::trust
