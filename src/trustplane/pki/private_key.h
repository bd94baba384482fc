// PrivateKey: a generated or loaded private key, and KeySpec, the key part of
// cfssl's CSR JSON: {"algo": "ecdsa" | "rsa" | "ed25519", "size": N}.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::pki {

struct KeySpec {
  std::string algo = "ecdsa";  // cfssl's default: ECDSA P-256
  int size = 256;              // ecdsa: 256, 384, 521; rsa: 2048..8192; ed25519: ignored
  // kInvalidArgument with the allowed values, e.g. "RSA key size 1024 is outside 2048..8192".
  Status Validate() const;
};

// Immutable and cheap to copy (copies share the key); safe to use from many
// threads at once.
class PrivateKey {
 public:
  static Result<PrivateKey> Generate(const KeySpec& spec);
  // Reads PKCS#8 ("PRIVATE KEY", or "ENCRYPTED PRIVATE KEY" with a
  // passphrase), SEC1 ("EC PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY"), and
  // cfssl's "Ed25519 PRIVATE KEY". Never prompts: an encrypted key without a
  // passphrase is a specific error.
  static Result<PrivateKey> FromPem(std::string_view pem, std::string_view passphrase = {});
  // FromPem on a file's contents; errors name the file.
  static Result<PrivateKey> FromPemFile(const std::string& path, std::string_view passphrase = {});
  // A key that stays in a PKCS#11 token (an HSM, SoftHSM2), by RFC 7512 URI:
  //   pkcs11:token=ca;object=ca-key;type=private?pin-value=1234&module-path=/usr/lib/softhsm/libsofthsm2.so
  // module-path defaults to $TRUSTPLANE_PKCS11_MODULE, then SoftHSM2's. The
  // key signs inside the token; ToPem of such a key is empty.
  static Result<PrivateKey> FromPkcs11Uri(std::string_view uri);
  // FromPkcs11Uri for "pkcs11:..." references, FromPemFile for anything else.
  static Result<PrivateKey> Load(const std::string& path_or_uri, std::string_view passphrase = {});

  // PEM with cfssl's labels: "EC PRIVATE KEY" (SEC1) for ECDSA, "RSA PRIVATE
  // KEY" (PKCS#1) for RSA. Ed25519 is written as PKCS#8 "PRIVATE KEY" (RFC
  // 8410), which both cfssl and openssl read, rather than cfssl's own label.
  std::string ToPem() const;
  // ToPem into a new file of mode 0600 (see WriteSecretFile).
  Status WriteFile(const std::string& path) const;

  const x509::PublicKeyInfo& public_key() const { return *info_; }
  // DER SubjectPublicKeyInfo of the matching public key.
  const std::string& public_key_der() const { return *spki_der_; }

 private:
  friend class NativeKey;  // pki's OpenSSL code (native.h)
  explicit PrivateKey(EVP_PKEY* owned);
  std::shared_ptr<EVP_PKEY> key_;
  std::shared_ptr<const x509::PublicKeyInfo> info_;
  std::shared_ptr<const std::string> spki_der_;
};

}  // namespace trustplane::pki
