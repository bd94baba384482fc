// The local key file: the default KEK provider. One file holds every version
// of one KEK as hex, one line per version:
//
//   # trustplane key-encryption key file: keep secret (mode 0600)
//   format trustplane-kek/1
//   key-id kf-3c9a0e5d41b2f7a8
//   version 1 retired 5f1c...64 hex...
//   version 2 enabled 9ad0...64 hex...
//
// The current version is the highest enabled one. Every change is written to
// a temporary file, fsynced and renamed over the old one, so a crash leaves
// either the old or the new file. The file is refused if group or others can
// read it. Changes from concurrent processes are not merged: rotation is an
// operator action run from one place.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "trustplane/crypto/kek_provider.h"

namespace trustplane::crypto {

// Creates a key file with one random version at path, mode 0600. kConflict if
// path exists; kInternal on an I/O error (the parent directory must exist).
Status CreateKeyFile(const std::string& path);

class KeyFileProvider final : public KekProvider {
 public:
  // kInvalidArgument for a missing or malformed file, kPolicy for a file
  // readable by group or others.
  static Result<std::unique_ptr<KeyFileProvider>> Open(const std::string& path);
  ~KeyFileProvider() override;

  std::string_view provider_name() const override { return "file"; }
  const std::string& key_id() const override { return key_id_; }
  const std::string& path() const { return path_; }

  Result<std::vector<KekVersion>> ListVersions() const override;
  Result<WrappedKey> WrapWithVersion(const SecretKey& data_key, uint32_t version) const override;
  Result<SecretKey> Unwrap(uint32_t version, std::string_view wrapped) const override;
  Result<uint32_t> AddVersion() override;
  Status RetireVersion(uint32_t version) override;

  struct Entry {
    uint32_t version = 0;
    KekVersionState state = KekVersionState::kEnabled;
    SecretKey key;
  };

 private:
  KeyFileProvider(std::string path, std::string key_id, std::vector<Entry> entries)
      : path_(std::move(path)), key_id_(std::move(key_id)), entries_(std::move(entries)) {}
  // Re-reads the file when it was replaced since it was loaded, so a rotation
  // or retirement by another process (the CLI beside a server) is seen at
  // once. Caller holds mu_.
  void RefreshIfReplaced() const;
  // Finds an enabled version. Caller holds mu_.
  Result<const Entry*> Usable(uint32_t version) const;
  Status Save() const;  // caller holds mu_

  const std::string path_;
  const std::string key_id_;
  mutable std::mutex mu_;
  mutable std::vector<Entry> entries_;  // ascending by version
  mutable std::string identity_;        // of the file entries_ came from
};

}  // namespace trustplane::crypto
