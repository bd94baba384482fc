#include "trustplane/crypto/pkcs11_uri.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "trustplane/crypto/secret_key.h"

namespace trustplane::crypto {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) {
      return Status::InvalidArgument("pkcs11 URI has a truncated %-escape");
    }
    int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("pkcs11 URI has a bad %-escape");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

template <typename F>
Status ForEachAttribute(std::string_view part, char sep, F f) {
  while (!part.empty()) {
    size_t end = part.find(sep);
    std::string_view attr = part.substr(0, end);
    part.remove_prefix(end == std::string_view::npos ? part.size() : end + 1);
    if (attr.empty()) continue;
    size_t eq = attr.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("pkcs11 URI attribute without '=': " +
                                     std::string(attr.substr(0, attr.find('%'))));
    }
    TP_ASSIGN_OR_RETURN(std::string value, PercentDecode(attr.substr(eq + 1)));
    TP_RETURN_IF_ERROR(f(attr.substr(0, eq), std::move(value)));
  }
  return Status::Ok();
}

}  // namespace

Pkcs11Uri::~Pkcs11Uri() {
  WipeString(pin);
}

Result<Pkcs11Uri> ParsePkcs11Uri(std::string_view uri, Pkcs11KeyType type) {
  const std::string_view wanted = type == Pkcs11KeyType::kSecretKey ? "secret-key" : "private";
  if (!uri.starts_with("pkcs11:")) return Status::InvalidArgument("not a pkcs11: URI");
  uri.remove_prefix(7);
  size_t q = uri.find('?');
  std::string_view path = uri.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : uri.substr(q + 1);
  Pkcs11Uri out;
  std::string pin_source;
  TP_RETURN_IF_ERROR(ForEachAttribute(path, ';', [&](std::string_view k, std::string v) {
    if (k == "token") {
      out.token = std::move(v);
    } else if (k == "object") {
      out.object = std::move(v);
    } else if (k == "type") {
      if (v != wanted) return Status::InvalidArgument("pkcs11 URI type must be " + std::string(wanted));
    } else {
      return Status::InvalidArgument("unsupported pkcs11 URI attribute '" + std::string(k) + "'");
    }
    return Status::Ok();
  }));
  TP_RETURN_IF_ERROR(ForEachAttribute(query, '&', [&](std::string_view k, std::string v) {
    if (k == "module-path") {
      out.module_path = std::move(v);
    } else if (k == "pin-value") {
      out.pin = std::move(v);
    } else if (k == "pin-source") {
      pin_source = std::move(v);
    } else {
      return Status::InvalidArgument("unsupported pkcs11 URI query attribute '" + std::string(k) +
                                     "'");
    }
    return Status::Ok();
  }));
  if (out.token.empty()) return Status::InvalidArgument("pkcs11 URI needs token=<label>");
  if (out.object.empty()) return Status::InvalidArgument("pkcs11 URI needs object=<label>");
  if (out.module_path.empty()) {
    const char* env = std::getenv("TRUSTPLANE_PKCS11_MODULE");
    out.module_path = env && *env ? env : "/usr/lib/softhsm/libsofthsm2.so";
  }
  if (!pin_source.empty()) {
    if (!out.pin.empty()) {
      return Status::InvalidArgument("pkcs11 URI has both pin-value and pin-source");
    }
    if (pin_source.starts_with("file:")) pin_source.erase(0, 5);
    std::ifstream in(pin_source, std::ios::binary);
    if (!in) return Status::InvalidArgument("cannot read PIN file " + pin_source);
    out.pin.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    while (!out.pin.empty() && (out.pin.back() == '\n' || out.pin.back() == '\r')) {
      out.pin.pop_back();
    }
  }
  return out;
}

}  // namespace trustplane::crypto
