#include "trustplane/crypto/kek_provider.h"

#include "trustplane/crypto/key_file.h"
#include "trustplane/crypto/pkcs11_provider.h"

namespace trustplane::crypto {

Result<uint32_t> KekProvider::CurrentVersion() const {
  TP_ASSIGN_OR_RETURN(std::vector<KekVersion> versions, ListVersions());
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->state == KekVersionState::kEnabled) return it->version;
  }
  return Status::NotFound("key " + key_id() + " has no enabled version");
}

Result<WrappedKey> KekProvider::Wrap(const SecretKey& data_key) const {
  TP_ASSIGN_OR_RETURN(uint32_t current, CurrentVersion());
  return WrapWithVersion(data_key, current);
}

Status VersionUnavailable(const KekProvider& kek, const std::vector<KekVersion>& versions,
                          uint32_t version) {
  std::string name = std::string(kek.provider_name()) + ":" + kek.key_id();
  for (const auto& v : versions) {
    if (v.version == version && v.state == KekVersionState::kRetired) {
      return Status::Policy("version " + std::to_string(version) + " of key-encryption key " +
                            name + " is retired; re-wrap objects before retiring a version");
    }
  }
  return Status::NotFound("key-encryption key " + name + " has no version " +
                          std::to_string(version));
}

Result<std::unique_ptr<KekProvider>> OpenKekProvider(std::string_view spec) {
  if (spec.starts_with("pkcs11:")) {
    TP_ASSIGN_OR_RETURN(auto p, Pkcs11Provider::Open(spec));
    return std::unique_ptr<KekProvider>(std::move(p));
  }
  if (spec.starts_with("file:")) spec.remove_prefix(5);
  if (spec.empty()) return Status::InvalidArgument("empty key-encryption key location");
  TP_ASSIGN_OR_RETURN(auto p, KeyFileProvider::Open(std::string(spec)));
  return std::unique_ptr<KekProvider>(std::move(p));
}

}  // namespace trustplane::crypto
