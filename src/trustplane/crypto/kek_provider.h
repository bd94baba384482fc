// KekProvider: the key-encryption key (KEK) that wraps per-object data keys.
//
// A KEK is one named key with numbered versions. New data keys are wrapped
// under the current version; older versions keep unwrapping until they are
// retired, so a rotation never makes stored objects unreadable before they
// have been re-wrapped. The interface is deliberately narrow (wrap, unwrap,
// versions) so that a remote KMS (Cloud KMS: one CryptoKey with
// CryptoKeyVersions, ENABLED/DISABLED) fits without changes: the key material
// never has to leave the provider.
//
// Errors:
//   kNotFound        no such version (or no version at all yet)
//   kPolicy          the version is retired, or the operation is refused
//                    (retiring the current version)
//   kInvalidArgument the wrapped key is malformed or fails its integrity check
//   kInternal        the backing file, token or service failed
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/crypto/secret_key.h"

namespace trustplane::crypto {

enum class KekVersionState { kEnabled, kRetired };

struct KekVersion {
  uint32_t version = 0;  // >= 1
  KekVersionState state = KekVersionState::kEnabled;
};

struct WrappedKey {
  uint32_t version = 0;  // the KEK version that wrapped it
  std::string bytes;     // opaque to callers; not secret
};

// Wrap algorithm identifiers, recorded in every envelope.
enum class WrapAlgorithm : uint8_t {
  kAesKeyWrapPad = 1,  // AES-256 key wrap with padding, RFC 5649
};

class KekProvider {
 public:
  virtual ~KekProvider() = default;

  // "file", "pkcs11" (later "gcpkms"): stored in envelopes, so stable.
  virtual std::string_view provider_name() const = 0;
  // Names the key within the provider (file: the id written at creation;
  // pkcs11: "<token label>/<object label>"). Stored in envelopes.
  virtual const std::string& key_id() const = 0;
  virtual WrapAlgorithm wrap_algorithm() const { return WrapAlgorithm::kAesKeyWrapPad; }

  // Versions sorted ascending.
  virtual Result<std::vector<KekVersion>> ListVersions() const = 0;
  // The highest enabled version; kNotFound when there is none.
  virtual Result<uint32_t> CurrentVersion() const;

  // Wraps data_key under the current version.
  virtual Result<WrappedKey> Wrap(const SecretKey& data_key) const;
  // Wraps data_key under a given enabled version.
  virtual Result<WrappedKey> WrapWithVersion(const SecretKey& data_key, uint32_t version) const = 0;
  // Unwraps bytes produced by Wrap under version.
  virtual Result<SecretKey> Unwrap(uint32_t version, std::string_view wrapped) const = 0;

  // Creates a new version that becomes current; returns its number.
  virtual Result<uint32_t> AddVersion() = 0;
  // Refuses further wrap and unwrap under version. kPolicy for the current
  // version (rotate first), kNotFound for an unknown one.
  virtual Status RetireVersion(uint32_t version) = 0;
};

// Opens a provider from its configuration string:
//   file:/path/to/kek.keys          (or a bare path) the local key file
//   pkcs11:token=...;object=...?module-path=...&pin-value=...   RFC 7512 URI
Result<std::unique_ptr<KekProvider>> OpenKekProvider(std::string_view spec);

// Shared rule for "retired" and "unknown version" messages.
Status VersionUnavailable(const KekProvider& kek, const std::vector<KekVersion>& versions,
                          uint32_t version);

}  // namespace trustplane::crypto
