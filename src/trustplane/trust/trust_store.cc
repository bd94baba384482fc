#include "trustplane/trust/trust_store.h"

#include <algorithm>

#include "trustplane/trust/bucket_layout.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::trust {
namespace {

std::string JoinSorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out.push_back(',');
    out += s;
  }
  return out;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string MetaValue(const store::Metadata& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

store::Metadata RecordMetadata(const TrustRecord& r) {
  return {
      {"kind", std::string(TrustKindName(r.kind))},
      {"sha256", r.sha256},
      {"tenants", JoinSorted(r.tenants)},
      {"subject", r.subject},
      {"issuer", r.issuer},
      {"serial", r.serial_hex},
      {"not_before", FormatRfc3339(r.not_before)},
      {"not_after", FormatRfc3339(r.not_after)},
      {"added_by", r.added_by},
      {"added_at", r.added_at},
      {"request_id", r.request_id},
  };
}

Result<TrustRecord> RecordFromObject(const store::ObjectInfo& info) {
  TP_ASSIGN_OR_RETURN(ParsedObjectName name, ParseCertificateObjectName(info.name));
  const auto& m = info.metadata;
  TrustRecord r;
  r.kind = name.kind;
  r.sha256 = name.sha256_hex;
  r.object_name = info.name;
  r.generation = info.generation;
  r.tenants = SplitList(MetaValue(m, "tenants"));
  r.subject = MetaValue(m, "subject");
  r.issuer = MetaValue(m, "issuer");
  r.serial_hex = MetaValue(m, "serial");
  r.added_by = MetaValue(m, "added_by");
  r.added_at = MetaValue(m, "added_at");
  r.request_id = MetaValue(m, "request_id");
  auto nb = ParseRfc3339(MetaValue(m, "not_before"));
  auto na = ParseRfc3339(MetaValue(m, "not_after"));
  if (!nb.ok() || !na.ok()) {
    return Status::Internal("object " + info.name + " has unreadable validity metadata");
  }
  r.not_before = *nb;
  r.not_after = *na;
  return r;
}

TrustRecord NewRecord(const x509::Certificate& cert, TrustKind kind) {
  TrustRecord r;
  r.kind = kind;
  r.sha256 = cert.sha256_hex();
  r.subject = cert.subject();
  r.issuer = cert.issuer();
  r.serial_hex = cert.serial_hex();
  r.not_before = cert.not_before();
  r.not_after = cert.not_after();
  r.object_name = CertificateObjectName(kind, r.sha256);
  return r;
}

Result<TrustRecord> TrustStore::Find(std::string_view sha256) const {
  TP_ASSIGN_OR_RETURN(std::string fp, NormalizeSha256Fingerprint(sha256));
  for (TrustKind kind : kAllKinds) {
    auto info = bucket_.Stat(CertificateObjectName(kind, fp));
    if (info.ok()) return RecordFromObject(*info);
    if (!info.status().is(ErrorCode::kNotFound)) return info.status();
  }
  return Status::NotFound("no trusted certificate with SHA-256 fingerprint " + fp);
}

Result<TrustedCertificate> TrustStore::Get(std::string_view sha256) const {
  TP_ASSIGN_OR_RETURN(TrustRecord record, Find(sha256));
  TP_ASSIGN_OR_RETURN(store::Object object, bucket_.Get(record.object_name));
  TP_ASSIGN_OR_RETURN(TrustRecord fresh, RecordFromObject(object.info));
  TP_ASSIGN_OR_RETURN(std::string pem, codec_.Decode(record.object_name, object.data));
  auto bundle = x509::ParseBundle(pem);
  if (!bundle.ok() || bundle->certificates.size() != 1 ||
      bundle->certificates[0].sha256_hex() != fresh.sha256) {
    return Status::Internal("object " + record.object_name +
                            " does not hold the certificate its name promises");
  }
  return TrustedCertificate{std::move(fresh), bundle->certificates[0]};
}

Result<std::vector<TrustRecord>> TrustStore::List(const ListFilter& filter) const {
  std::vector<TrustRecord> out;
  for (TrustKind kind : kAllKinds) {
    if (filter.kind && *filter.kind != kind) continue;
    TP_ASSIGN_OR_RETURN(auto infos, bucket_.ListAll(KindPrefix(kind)));
    for (const auto& info : infos) {
      TP_ASSIGN_OR_RETURN(TrustRecord r, RecordFromObject(info));
      if (filter.tenant &&
          std::find(r.tenants.begin(), r.tenants.end(), *filter.tenant) == r.tenants.end()) {
        continue;
      }
      if (filter.expiring_before && r.not_after > *filter.expiring_before) continue;
      out.push_back(std::move(r));
    }
  }
  return out;
}

Result<std::vector<TrustedCertificate>> TrustStore::LoadAll(std::optional<TrustKind> kind) const {
  ListFilter filter;
  filter.kind = kind;
  TP_ASSIGN_OR_RETURN(auto records, List(filter));
  std::vector<TrustedCertificate> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    auto got = Get(r.sha256);
    if (got.status().is(ErrorCode::kNotFound)) continue;  // removed since the listing
    if (!got.ok()) return got.status();
    out.push_back(std::move(got).value());
  }
  return out;
}

Result<x509::TrustMaterial> TrustStore::LoadTrustMaterial() const {
  TP_ASSIGN_OR_RETURN(auto all, LoadAll());
  x509::TrustMaterial m;
  for (auto& tc : all) {
    switch (tc.record.kind) {
      case TrustKind::kAnchor: m.anchors.push_back(std::move(tc.cert)); break;
      case TrustKind::kIntermediate: m.intermediates.push_back(std::move(tc.cert)); break;
      case TrustKind::kAllowlisted: m.allowlisted.push_back(std::move(tc.cert)); break;
    }
  }
  return m;
}

Result<TrustConfig> TrustStore::RenderModel(std::string id) const {
  TP_ASSIGN_OR_RETURN(x509::TrustMaterial m, LoadTrustMaterial());
  TrustConfig config;
  config.id = std::move(id);
  config.anchors = std::move(m.anchors);
  config.intermediates = std::move(m.intermediates);
  config.allowlisted = std::move(m.allowlisted);
  config.Canonicalize();
  return config;
}

}  // namespace trustplane::trust
