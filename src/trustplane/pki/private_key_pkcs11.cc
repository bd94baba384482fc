// PKCS#11 keys through libp11's OpenSSL engine: Debian 12 ships that engine
// (libengine-pkcs11-openssl) but no PKCS#11 provider for OpenSSL 3, so this
// file uses the ENGINE API, which OpenSSL 3 deprecates but still supports.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/engine.h>
#include <openssl/err.h>

#include <cctype>
#include <map>
#include <mutex>

#include "trustplane/crypto/pkcs11_uri.h"
#include "trustplane/pki/native.h"
#include "trustplane/pki/private_key.h"

namespace trustplane::pki {
namespace {

// RFC 3986 percent-encoding of a URI attribute value for libp11.
std::string PercentEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
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
  TP_ASSIGN_OR_RETURN(crypto::Pkcs11Uri parsed, crypto::ParsePkcs11Uri(uri, crypto::Pkcs11KeyType::kPrivateKey));
  // libp11 gets no PIN in the URI, so nothing it prints holds one.
  const std::string key_uri =
      "pkcs11:token=" + PercentEncode(parsed.token) + ";object=" + PercentEncode(parsed.object) + ";type=private";
  std::lock_guard lock(engines_mu);
  TP_ASSIGN_OR_RETURN(ENGINE * engine, EngineFor(parsed.module_path));
  if (!parsed.pin.empty() && ENGINE_ctrl_cmd_string(engine, "PIN", parsed.pin.c_str(), 0) != 1) {
    return Status::Internal(OpenSslError("cannot hand the PIN to the PKCS#11 engine"));
  }
  EVP_PKEY* key = ENGINE_load_private_key(engine, key_uri.c_str(), nullptr, nullptr);
  if (key == nullptr) {
    return Status::InvalidArgument(OpenSslError("no private key in the PKCS#11 token for " + key_uri +
                                                " (wrong PIN, token or object?)"));
  }
  return PrivateKey(key);
}

}  // namespace trustplane::pki
