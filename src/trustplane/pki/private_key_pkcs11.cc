// PKCS#11 keys through libp11's OpenSSL engine: Debian 12 ships that engine
// (libengine-pkcs11-openssl) but no PKCS#11 provider for OpenSSL 3, so this
// file uses the ENGINE API, which OpenSSL 3 deprecates but still supports.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/engine.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "trustplane/pki/native.h"
#include "trustplane/pki/private_key.h"

namespace trustplane::pki {
namespace {

constexpr char kDefaultModule[] = "/usr/lib/softhsm/libsofthsm2.so";

struct SplitUri {
  std::string key_uri;  // what libp11 is given: no PIN, so nothing it prints holds one
  std::string module;   // RFC 7512 module-path, which libp11 does not know
  std::string pin;      // RFC 7512 pin-value, handed to the engine separately
};

SplitUri Split(std::string_view uri) {
  SplitUri out;
  const size_t q = uri.find('?');
  if (q == std::string_view::npos) {
    out.key_uri = uri;
    return out;
  }
  std::string kept(uri.substr(0, q));
  std::string query;
  std::string_view rest = uri.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view attr = rest.substr(0, amp);
    if (attr.rfind("module-path=", 0) == 0) {
      out.module = std::string(attr.substr(12));
    } else if (attr.rfind("pin-value=", 0) == 0) {
      out.pin = std::string(attr.substr(10));
    } else if (!attr.empty()) {
      query += (query.empty() ? "" : "&") + std::string(attr);
    }
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  out.key_uri = kept + (query.empty() ? "" : "?" + query);
  return out;
}

std::mutex engines_mu;

// One initialized engine per module for the life of the process: keys keep
// using it, and re-initializing a module per key would log in again.
// Callers hold engines_mu.
Result<ENGINE*> EngineFor(const std::string& module) {
  static std::map<std::string, ENGINE*> engines;
  if (auto it = engines.find(module); it != engines.end()) return it->second;
  ENGINE* e = ENGINE_by_id("pkcs11");
  if (e == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument("PKCS#11 keys need OpenSSL's pkcs11 engine (Debian package "
                                   "libengine-pkcs11-openssl), which is not installed");
  }
  if (ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module.c_str(), 0) != 1 || ENGINE_init(e) != 1) {
    ENGINE_free(e);
    return Status::InvalidArgument(OpenSslError("cannot load the PKCS#11 module " + module));
  }
  ENGINE_free(e);  // the functional reference from ENGINE_init keeps it alive
  engines[module] = e;
  return e;
}

}  // namespace

Result<PrivateKey> PrivateKey::FromPkcs11Uri(std::string_view uri) {
  SplitUri parts = Split(uri);
  if (parts.module.empty()) {
    const char* env = std::getenv("TRUSTPLANE_PKCS11_MODULE");
    parts.module = env && *env ? env : kDefaultModule;
  }
  std::lock_guard lock(engines_mu);
  TP_ASSIGN_OR_RETURN(ENGINE * engine, EngineFor(parts.module));
  if (!parts.pin.empty() && ENGINE_ctrl_cmd_string(engine, "PIN", parts.pin.c_str(), 0) != 1) {
    return Status::Internal(OpenSslError("cannot hand the PIN to the PKCS#11 engine"));
  }
  EVP_PKEY* key = ENGINE_load_private_key(engine, parts.key_uri.c_str(), nullptr, nullptr);
  OPENSSL_cleanse(parts.pin.data(), parts.pin.size());
  if (key == nullptr) {
    return Status::InvalidArgument(OpenSslError("no private key in the PKCS#11 token for " + parts.key_uri +
                                                " (wrong PIN, token or object?)"));
  }
  return PrivateKey(key);
}

}  // namespace trustplane::pki
