// RenderYaml and RenderJson: the trust config as gcloud imports it.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "trustplane/trust/trust_config.h"

namespace trustplane::trust {
namespace {

// One YAML double-quoted scalar. yaml-cpp does the escaping; non-ASCII is
// escaped too, so YAML 1.1 readers (PyYAML in gcloud), which treat U+2028 and
// U+0085 as line breaks, read back exactly the same string.
std::string Quoted(std::string_view text) {
  YAML::Emitter e;
  e.SetOutputCharset(YAML::EscapeNonAscii);
  e << YAML::DoubleQuoted << std::string(text);
  return e.c_str();
}

// "<indent>- pemCertificate: "..."" per certificate: gcloud's layout, where a
// list sits at its key's indentation.
void AppendPemList(std::string& out, std::string_view indent,
                   const std::vector<x509::Certificate>& certs) {
  for (const auto& cert : certs) {
    out.append(indent).append("- pemCertificate: ").append(Quoted(cert.ToPem())).append("\n");
  }
}

nlohmann::ordered_json PemList(const std::vector<x509::Certificate>& certs) {
  auto list = nlohmann::ordered_json::array();
  for (const auto& cert : certs) list.push_back({{"pemCertificate", cert.ToPem()}});
  return list;
}

}  // namespace

std::string RenderYaml(const TrustConfig& config) {
  std::string out;
  if (!config.id.empty()) out += "name: " + Quoted(config.id) + "\n";
  if (!config.description.empty()) out += "description: " + Quoted(config.description) + "\n";
  if (!config.anchors.empty() || !config.intermediates.empty()) {
    out += "trustStores:\n";
    // The first key of the one trust store shares the line with its "- ".
    std::string_view lead = "- ";
    if (!config.anchors.empty()) {
      out.append(lead).append("trustAnchors:\n");
      AppendPemList(out, "  ", config.anchors);
      lead = "  ";
    }
    if (!config.intermediates.empty()) {
      out.append(lead).append("intermediateCas:\n");
      AppendPemList(out, "  ", config.intermediates);
    }
  }
  if (!config.allowlisted.empty()) {
    out += "allowlistedCertificates:\n";
    AppendPemList(out, "", config.allowlisted);
  }
  return out.empty() ? "{}\n" : out;
}

std::string RenderJson(const TrustConfig& config) {
  auto doc = nlohmann::ordered_json::object();
  if (!config.id.empty()) doc["name"] = config.id;
  if (!config.description.empty()) doc["description"] = config.description;
  if (!config.anchors.empty() || !config.intermediates.empty()) {
    auto store = nlohmann::ordered_json::object();
    if (!config.anchors.empty()) store["trustAnchors"] = PemList(config.anchors);
    if (!config.intermediates.empty()) store["intermediateCas"] = PemList(config.intermediates);
    doc["trustStores"] = nlohmann::ordered_json::array({store});
  }
  if (!config.allowlisted.empty()) doc["allowlistedCertificates"] = PemList(config.allowlisted);
  // Invalid UTF-8 (only possible in id or description) becomes U+FFFD instead of throwing.
  return doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace trustplane::trust
