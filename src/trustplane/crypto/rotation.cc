#include "trustplane/crypto/rotation.h"

#include "trustplane/crypto/envelope.h"

namespace trustplane::crypto {
namespace {

constexpr int kConflictRetries = 5;

enum class Outcome { kRewrapped, kAlreadyCurrent, kVanished, kNotEncrypted };

Result<Outcome> RewrapOne(const KekProvider& kek, uint32_t target, const std::string& name,
                          const RotationCallbacks& io) {
  for (int attempt = 0;; ++attempt) {
    Result<StoredEnvelope> stored = io.read(name);
    if (stored.status().is(ErrorCode::kNotFound)) return Outcome::kVanished;
    if (!stored.ok()) return stored.status();
    if (!LooksLikeEnvelope(stored->data)) return Outcome::kNotEncrypted;
    TP_ASSIGN_OR_RETURN(EnvelopeInfo info, InspectEnvelope(stored->data));
    if (info.kek_version == target && info.provider == kek.provider_name() &&
        info.key_id == kek.key_id()) {
      return Outcome::kAlreadyCurrent;
    }
    TP_ASSIGN_OR_RETURN(std::string rewrapped, Rewrap(kek, stored->data, target));
    Status s = io.write(name, rewrapped, stored->generation);
    if (s.ok()) return Outcome::kRewrapped;
    if (s.is(ErrorCode::kNotFound)) return Outcome::kVanished;
    // Someone changed the object meanwhile: look at its new content.
    if (!s.is(ErrorCode::kConflict) || attempt + 1 >= kConflictRetries) return s;
  }
}

}  // namespace

Result<RotationReport> RewrapObjects(const KekProvider& kek, uint32_t target_version,
                                     const std::vector<std::string>& names,
                                     const RotationCallbacks& io) {
  // Fail before touching anything if the target cannot wrap.
  TP_ASSIGN_OR_RETURN(std::vector<KekVersion> versions, kek.ListVersions());
  bool usable = false;
  for (const auto& v : versions) {
    usable |= v.version == target_version && v.state == KekVersionState::kEnabled;
  }
  if (!usable) return VersionUnavailable(kek, versions, target_version);

  RotationReport report;
  for (const std::string& name : names) {
    Result<Outcome> r = RewrapOne(kek, target_version, name, io);
    if (!r.ok()) return r.status().WithContext("rewrap " + name);
    switch (*r) {
      case Outcome::kRewrapped:
        ++report.rewrapped;
        break;
      case Outcome::kAlreadyCurrent:
        ++report.already_current;
        break;
      case Outcome::kVanished:
        ++report.vanished;
        break;
      case Outcome::kNotEncrypted:
        ++report.not_encrypted;
        break;
    }
  }
  return report;
}

}  // namespace trustplane::crypto
