#include "trustplane/api/cfssl_certinfo.h"

#include <openssl/evp.h>

#include <cctype>
#include <map>
#include <vector>

#include "trustplane/base/encoding.h"
#include "trustplane/base/time.h"

namespace trustplane::api {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!md || EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return "";
  return Upper(HexEncode(std::string_view(reinterpret_cast<const char*>(out), len)));
}

// Splits the one-line "CN=a,O=b\,c" rendering into (type, value) pairs,
// honouring backslash escapes.
std::vector<std::pair<std::string, std::string>> SplitDn(const std::string& dn) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string part;
  auto flush = [&] {
    size_t eq = part.find('=');
    if (eq != std::string::npos) out.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    part.clear();
  };
  for (size_t i = 0; i < dn.size(); ++i) {
    if (dn[i] == '\\' && i + 1 < dn.size()) {
      part += dn[++i];
    } else if (dn[i] == ',' || dn[i] == '+') {
      flush();
    } else {
      part += dn[i];
    }
  }
  flush();
  return out;
}

// cfssl's certinfo.Name.
nlohmann::json NameJson(const std::string& dn) {
  static const std::map<std::string, std::string> kFields = {
      {"CN", "common_name"},  {"serialNumber", "serial_number"}, {"C", "country"},
      {"O", "organization"},  {"OU", "organizational_unit"},     {"L", "locality"},
      {"ST", "province"},     {"street", "street_address"},      {"postalCode", "postal_code"}};
  nlohmann::json name = nlohmann::json::object();
  nlohmann::json names = nlohmann::json::array();
  for (const auto& [type, value] : SplitDn(dn)) {
    names.push_back(value);
    auto f = kFields.find(type);
    if (f != kFields.end() && !name.contains(f->second)) name[f->second] = value;
  }
  name["names"] = names;
  return name;
}

std::string KeyIdForDisplay(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (!out.empty()) out += ':';
    out += Upper(hex.substr(i, 2));
  }
  return out;
}

}  // namespace

nlohmann::json CertInfoJson(const x509::Certificate& cert) {
  nlohmann::json sans = nlohmann::json::array();
  const auto& s = cert.sans();
  for (const auto* list : {&s.dns, &s.ip, &s.email, &s.uri}) {
    for (const auto& n : *list) sans.push_back(n);
  }
  return {{"subject", NameJson(cert.subject())},
          {"issuer", NameJson(cert.issuer())},
          {"serial_number", cert.serial_decimal()},
          {"serial_number_hex", cert.serial_hex()},
          {"sans", sans},
          {"not_before", FormatRfc3339(cert.not_before())},
          {"not_after", FormatRfc3339(cert.not_after())},
          {"sigalg", GoSignatureAlgorithm(cert.signature_algorithm())},
          {"authority_key_id", KeyIdForDisplay(cert.authority_key_id())},
          {"subject_key_id", KeyIdForDisplay(cert.subject_key_id())},
          {"pem", cert.ToPem()}};
}

std::string GoSignatureAlgorithm(const std::string& openssl_name) {
  static const std::map<std::string, std::string> kNames = {
      {"sha256WithRSAEncryption", "SHA256WithRSA"}, {"sha384WithRSAEncryption", "SHA384WithRSA"},
      {"sha512WithRSAEncryption", "SHA512WithRSA"}, {"sha1WithRSAEncryption", "SHA1WithRSA"},
      {"ecdsa-with-SHA256", "ECDSAWithSHA256"},     {"ecdsa-with-SHA384", "ECDSAWithSHA384"},
      {"ecdsa-with-SHA512", "ECDSAWithSHA512"},     {"ecdsa-with-SHA1", "ECDSAWithSHA1"},
      {"ED25519", "Ed25519"},                       {"rsassaPss", "SHA256WithRSAPSS"}};
  auto it = kNames.find(openssl_name);
  return it == kNames.end() ? openssl_name : it->second;
}

std::string CfsslNamePath(const std::string& dn) {
  static const std::map<std::string, std::string> kTypes = {
      {"C", "Country"},   {"ST", "Province"},        {"L", "Locality"},
      {"O", "Organization"}, {"OU", "OrganizationalUnit"}, {"CN", "CommonName"},
      {"serialNumber", "SerialNumber"}, {"street", "StreetAddress"}, {"postalCode", "PostalCode"}};
  // The one-line rendering lists the last RDN first (RFC 2253); cfssl goes in encoding order.
  const auto parts = SplitDn(dn);
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    auto t = kTypes.find(it->first);
    out += "/" + (t == kTypes.end() ? it->first : t->second) + "=" + it->second;
  }
  return out;
}

nlohmann::json DerSums(std::string_view der) {
  return {{"md5", Digest(EVP_md5(), der)},
          {"sha-1", Digest(EVP_sha1(), der)},
          {"sha-256", Digest(EVP_sha256(), der)}};
}

}  // namespace trustplane::api
