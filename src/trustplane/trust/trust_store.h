// TrustStore: the trusted certificates in the bucket, one object per
// certificate named by its SHA-256 fingerprint under its kind's prefix.
// The object holds the PEM (sealed by the codec); its metadata holds what seed 001 asks to keep
// (fingerprint, serial, issuer, validity, tenants, who added it and when).
// Reads only; every mutation goes through TrustLifecycle so it is audited.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/store/object_store.h"
#include "trustplane/trust/payload_codec.h"
#include "trustplane/trust/trust_config.h"
#include "trustplane/x509/certificate.h"
#include "trustplane/x509/chain_verifier.h"

namespace trustplane::trust {

// What `trust list` shows; decoded from object metadata alone (no payload read).
struct TrustRecord {
  TrustKind kind = TrustKind::kAnchor;
  std::string sha256;
  std::vector<std::string> tenants;  // sorted; empty when added by an operator for everyone
  std::string subject, issuer, serial_hex;
  UnixSeconds not_before = 0, not_after = 0;
  std::string added_by, added_at, request_id;
  int64_t generation = 0;
  std::string object_name;
};

struct TrustedCertificate {
  TrustRecord record;
  x509::Certificate cert;
};

// Metadata keys on certificate objects (docs/formats.md).
store::Metadata RecordMetadata(const TrustRecord& record);
Result<TrustRecord> RecordFromObject(const store::ObjectInfo& info);
TrustRecord NewRecord(const x509::Certificate& cert, TrustKind kind);

struct ListFilter {
  std::optional<TrustKind> kind;
  std::optional<std::string> tenant;
  std::optional<UnixSeconds> expiring_before;  // not_after <= this
};

class TrustStore {
 public:
  explicit TrustStore(store::ObjectStore& bucket, PayloadCodec codec = {})
      : bucket_(bucket), codec_(std::move(codec)) {}

  // Finds a certificate under any kind; kNotFound when it is not trusted.
  Result<TrustedCertificate> Get(std::string_view sha256) const;
  // The record only (one Stat per kind, no payload read).
  Result<TrustRecord> Find(std::string_view sha256) const;
  // Records sorted by kind then fingerprint.
  Result<std::vector<TrustRecord>> List(const ListFilter& filter = {}) const;
  // Every trusted certificate with its payload, e.g. to render or verify against.
  Result<std::vector<TrustedCertificate>> LoadAll(std::optional<TrustKind> kind = {}) const;
  Result<x509::TrustMaterial> LoadTrustMaterial() const;
  Result<TrustConfig> RenderModel(std::string id) const;

  store::ObjectStore& bucket() const { return bucket_; }
  // How payloads are stored: encrypted under the home's KEK, or plain.
  const PayloadCodec& codec() const { return codec_; }

 private:
  store::ObjectStore& bucket_;
  PayloadCodec codec_;
};

}  // namespace trustplane::trust
