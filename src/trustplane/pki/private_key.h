// PrivateKey: a generated or loaded private key (OpenSSL EVP_PKEY), and the
// key specs cfssl's CSR JSON uses: {"algo": "ecdsa|rsa|ed25519", "size": N}.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "trustplane/base/status.h"

namespace trustplane::pki {

struct KeySpec {
  std::string algo = "ecdsa";  // cfssl's default
  int size = 256;
  // ecdsa: 256, 384, 521; rsa: 2048..8192; ed25519: size ignored.
  Status Validate() const;
};

class PrivateKey {
 public:
  static Result<PrivateKey> Generate(const KeySpec& spec);
  // PEM as cfssl writes it (EC PRIVATE KEY, RSA PRIVATE KEY) or PKCS#8.
  static Result<PrivateKey> FromPem(std::string_view pem);

  // cfssl's labels: SEC1 "EC PRIVATE KEY" for ECDSA, PKCS#1 "RSA PRIVATE KEY"
  // for RSA, PKCS#8 "PRIVATE KEY" for Ed25519.
  std::string ToPem() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PrivateKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// Writes content to path atomically, created with mode 0600 (never chmod'ed
// afterwards): for private keys.
Status WriteSecretFile(const std::string& path, const std::string& content);

}  // namespace trustplane::pki
