// TrustSnapshot: the trust set one gateway handshake verifies against —
// anchors, intermediates and allowlisted certificates, each with the tenants
// that claimed it — frozen together with a ChainVerifier built over it.
// Snapshots are immutable; TrustSnapshotHolder swaps in a new one whole when
// the source changes, so a handshake sees the old set or the new one, never a
// mix, and a connection keeps the snapshot that admitted it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/trust/trust_store.h"
#include "trustplane/x509/certificate.h"
#include "trustplane/x509/chain_verifier.h"

namespace trustplane::gateway {

struct SnapshotEntry {
  x509::Certificate cert;
  std::vector<std::string> tenants;  // sorted; empty: trusted for everyone (matches only "*")
};

// What a trust source holds at one moment.
struct TrustSetContent {
  std::vector<SnapshotEntry> anchors, intermediates, allowlisted;
};

class TrustSnapshot {
 public:
  // generation: > 0, increases with every published change (see the holder).
  static std::shared_ptr<const TrustSnapshot> Build(TrustSetContent content, uint64_t generation,
                                                    x509::VerifyOptions options);

  uint64_t generation() const { return generation_; }
  // Lowercase hex SHA-256 over the sorted (kind, fingerprint, tenants) list:
  // equal for equal content, whatever the order it was loaded in.
  const std::string& digest() const { return digest_; }
  const x509::ChainVerifier& verifier() const { return verifier_; }
  // Verification settings (crypto policy of the home); `at` is 0 (now).
  const x509::VerifyOptions& options() const { return options_; }
  const TrustSetContent& content() const { return content_; }

  // The tenants that vouch for a successful result: the claims on the
  // allowlist entry that matched, or on the anchor the chain ends at. Empty
  // for an operator-trusted certificate (and for a failed result).
  const std::vector<std::string>& VouchingTenants(const x509::VerifyResult& result) const;

 private:
  TrustSnapshot(TrustSetContent content, uint64_t generation, x509::VerifyOptions options);

  TrustSetContent content_;
  uint64_t generation_;
  x509::VerifyOptions options_;
  x509::ChainVerifier verifier_;
  std::string digest_;
  std::unordered_map<std::string, const std::vector<std::string>*> anchor_tenants_;
  std::unordered_map<std::string, const std::vector<std::string>*> allowlist_tenants_;
};

// Where the trust set comes from. Implementations are used from one thread
// at a time (the holder serializes them).
class TrustSetSource {
 public:
  virtual ~TrustSetSource() = default;
  // A token that differs whenever the content may have changed; cheaper than
  // Load (the bucket: a metadata listing; a file: its bytes' hash).
  virtual Result<std::string> Version() const = 0;
  virtual Result<TrustSetContent> Load() const = 0;
  virtual std::string Describe() const = 0;  // "home bucket /x", "trust config /y.yaml"
};

// The trust store of a trustplane home, read only. `store` must outlive the source.
std::unique_ptr<TrustSetSource> MakeTrustStoreSource(const trust::TrustStore& store,
                                                     std::string description);
// A Certificate Manager trust-config YAML/JSON file; its certificates carry
// no tenants (the format has none), so they match only routes allowing "*".
std::unique_ptr<TrustSetSource> MakeTrustConfigFileSource(std::string path);
// The content of a trust config document (for tests and `gateway check`).
Result<TrustSetContent> TrustSetFromTrustConfig(std::string_view text);

// Told about every snapshot a holder makes current, e.g. to record in the
// audit log which trust set a gateway enforces from when.
class TrustLoadObserver {
 public:
  virtual ~TrustLoadObserver() = default;
  // Right before the source is read for a possibly new snapshot.
  virtual void BeforeLoad() {}
  // Right after `snapshot` became current.
  virtual void Loaded(const TrustSnapshot& snapshot) = 0;
};

// Holds the current snapshot. Current() is lock-free for readers and safe
// from any thread; Refresh() runs on one thread at a time.
class TrustSnapshotHolder {
 public:
  TrustSnapshotHolder(std::unique_ptr<TrustSetSource> source, x509::VerifyOptions options);

  // Loads the first snapshot (generation 1). Errors name the source.
  Status Load();
  // Loads again when the source's version changed; publishes a new snapshot
  // (next generation) only when the content differs. Returns whether it
  // published. On error the current snapshot stays in force.
  Result<bool> Refresh();

  std::shared_ptr<const TrustSnapshot> Current() const { return current_.load(); }
  const TrustSetSource& source() const { return *source_; }
  // Set before Load(); `observer` must outlive the holder's loads.
  void SetObserver(TrustLoadObserver* observer) { observer_ = observer; }

 private:
  std::unique_ptr<TrustSetSource> source_;
  x509::VerifyOptions options_;
  std::mutex refresh_mu_;
  std::string version_;  // guarded by refresh_mu_
  std::atomic<std::shared_ptr<const TrustSnapshot>> current_;
  TrustLoadObserver* observer_ = nullptr;
};

}  // namespace trustplane::gateway
