// The PKCS#11 KEK provider: the KEK never leaves the token (an HSM, or
// SoftHSM2 in tests). The URI (see pkcs11_uri.h) names the module, the token
// by label, the PIN and the key object by label. Each KEK version is one AES
// key object on the token with that label and CKA_ID = the version as a
// big-endian integer (so `pkcs11-tool --keygen --id 01` makes version 1).
// Data keys are wrapped with CKM_AES_KEY_WRAP_PAD (RFC 5649), the mechanism
// the key file provider runs in software. Retiring a version clears CKA_WRAP
// and CKA_UNWRAP on its object, so the token itself refuses to use it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "trustplane/crypto/kek_provider.h"

namespace trustplane::crypto {

class Pkcs11Provider final : public KekProvider {
 public:
  // Loads the module, finds the token and logs in. kInvalidArgument for a bad
  // URI, kNotFound for a missing module or token, kPolicy for a wrong PIN.
  // A token without any key object yet opens fine (AddVersion creates one).
  static Result<std::unique_ptr<Pkcs11Provider>> Open(std::string_view uri);
  ~Pkcs11Provider() override;

  std::string_view provider_name() const override { return "pkcs11"; }
  const std::string& key_id() const override { return key_id_; }

  Result<std::vector<KekVersion>> ListVersions() const override;
  Result<WrappedKey> WrapWithVersion(const SecretKey& data_key, uint32_t version) const override;
  Result<SecretKey> Unwrap(uint32_t version, std::string_view wrapped) const override;
  Result<uint32_t> AddVersion() override;
  Status RetireVersion(uint32_t version) override;

  struct Impl;

 private:
  Pkcs11Provider(std::string key_id, std::unique_ptr<Impl> impl);
  const std::string key_id_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trustplane::crypto
