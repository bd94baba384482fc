#include "trustplane/trust/key_rotation.h"

#include <algorithm>

#include "trustplane/crypto/envelope.h"
#include "trustplane/trust/bucket_layout.h"

namespace trustplane::trust {
namespace {

constexpr std::string_view kTrustConfigPrefix = "trust-configs/";

Result<crypto::KekProvider*> KekOf(const TrustStore& store) {
  if (!store.codec().encrypted()) {
    return Status::InvalidArgument("this home stores payloads unencrypted (no kek in config.yaml)");
  }
  return store.codec().kek();
}

// Every object whose payload the codec seals.
Result<std::vector<std::string>> PayloadObjects(const TrustStore& store) {
  std::vector<std::string> names;
  for (TrustKind kind : kAllKinds) {
    TP_ASSIGN_OR_RETURN(auto infos, store.bucket().ListAll(KindPrefix(kind)));
    for (const auto& info : infos) names.push_back(info.name);
  }
  TP_ASSIGN_OR_RETURN(auto configs, store.bucket().ListAll(kTrustConfigPrefix));
  for (const auto& info : configs) names.push_back(info.name);
  return names;
}

}  // namespace

Result<std::map<uint32_t, size_t>> KeyVersionsInUse(const TrustStore& store) {
  TP_RETURN_IF_ERROR(KekOf(store).status());
  TP_ASSIGN_OR_RETURN(auto names, PayloadObjects(store));
  std::map<uint32_t, size_t> in_use;
  for (const auto& name : names) {
    auto object = store.bucket().Get(name);
    if (object.status().is(ErrorCode::kNotFound)) continue;  // removed since the listing
    if (!object.ok()) return object.status();
    auto info = crypto::InspectEnvelope(object->data);
    if (!info.ok()) return info.status().WithContext(name);
    ++in_use[info->kek_version];
  }
  return in_use;
}

Result<KeyRotationResult> RotateKeys(const TrustStore& store) {
  TP_ASSIGN_OR_RETURN(crypto::KekProvider * kek, KekOf(store));
  TP_ASSIGN_OR_RETURN(uint32_t current, kek->CurrentVersion());
  TP_ASSIGN_OR_RETURN(auto in_use, KeyVersionsInUse(store));
  KeyRotationResult result;
  // Payloads are always written under the current version, so any other
  // version in use means an earlier run stopped partway (possibly right after
  // adding the version it was moving to).
  result.resumed =
      std::any_of(in_use.begin(), in_use.end(), [&](const auto& v) { return v.first != current; });
  if (result.resumed) {
    result.target_version = current;
  } else {
    TP_ASSIGN_OR_RETURN(result.target_version, kek->AddVersion());
  }
  TP_ASSIGN_OR_RETURN(auto names, PayloadObjects(store));
  store::ObjectStore& bucket = store.bucket();
  crypto::RotationCallbacks io;
  io.read = [&](const std::string& name) -> Result<crypto::StoredEnvelope> {
    TP_ASSIGN_OR_RETURN(store::Object object, bucket.Get(name));
    return crypto::StoredEnvelope{std::move(object.data), object.info.generation};
  };
  io.write = [&](const std::string& name, const std::string& data, int64_t generation) -> Status {
    // Metadata stays as it is: only the wrapped data key changes.
    TP_ASSIGN_OR_RETURN(store::ObjectInfo info, bucket.Stat(name));
    if (info.generation != generation) return Status::Conflict(name + " changed during the rotation");
    return bucket.PutIfGeneration({name, data, info.metadata}, generation).status();
  };
  TP_ASSIGN_OR_RETURN(result.report, crypto::RewrapObjects(*kek, result.target_version, names, io));
  return result;
}

Status RetireKeyVersion(const TrustStore& store, uint32_t version) {
  TP_ASSIGN_OR_RETURN(crypto::KekProvider * kek, KekOf(store));
  TP_ASSIGN_OR_RETURN(auto in_use, KeyVersionsInUse(store));
  if (auto it = in_use.find(version); it != in_use.end()) {
    return Status::Conflict("KEK version " + std::to_string(version) + " still wraps " +
                            std::to_string(it->second) + " stored objects; run `trustplane keys rotate` first");
  }
  return kek->RetireVersion(version);
}

}  // namespace trustplane::trust
