#include "trustplane/gateway/trust_snapshot.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "trustplane/base/digest.h"
#include "trustplane/trust/trust_config.h"

namespace trustplane::gateway {
namespace {

x509::TrustMaterial MaterialOf(const TrustSetContent& c) {
  x509::TrustMaterial m;
  for (const auto& e : c.anchors) m.anchors.push_back(e.cert);
  for (const auto& e : c.intermediates) m.intermediates.push_back(e.cert);
  for (const auto& e : c.allowlisted) m.allowlisted.push_back(e.cert);
  return m;
}

std::string DigestOf(const TrustSetContent& c) {
  std::vector<std::string> lines;
  auto add = [&lines](char kind, const std::vector<SnapshotEntry>& entries) {
    for (const auto& e : entries) {
      std::string line = std::string(1, kind) + " " + e.cert.sha256_hex();
      for (const auto& t : e.tenants) line += " " + t;
      lines.push_back(std::move(line));
    }
  };
  add('a', c.anchors);
  add('i', c.intermediates);
  add('l', c.allowlisted);
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  return Sha256Hex(all);
}

const std::vector<std::string>& NoTenants() {
  static const std::vector<std::string> empty;
  return empty;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Internal("error reading " + path);
  return ss.str();
}

class TrustStoreSource : public TrustSetSource {
 public:
  TrustStoreSource(const trust::TrustStore& store, std::string description)
      : store_(store), description_(std::move(description)) {}

  Result<std::string> Version() const override {
    // Object generations change on every write, tenants on every claim, so
    // the listing alone tells whether anything a snapshot holds has moved.
    TP_ASSIGN_OR_RETURN(auto records, store_.List());
    std::string v;
    for (const auto& r : records) {
      v += r.object_name + "@" + std::to_string(r.generation);
      for (const auto& t : r.tenants) v += "," + t;
      v += "\n";
    }
    return Sha256Hex(v);
  }

  Result<TrustSetContent> Load() const override {
    TP_ASSIGN_OR_RETURN(auto all, store_.LoadAll());
    TrustSetContent c;
    for (auto& tc : all) {
      SnapshotEntry e{std::move(tc.cert), std::move(tc.record.tenants)};
      std::sort(e.tenants.begin(), e.tenants.end());
      switch (tc.record.kind) {
        case trust::TrustKind::kAnchor:
          c.anchors.push_back(std::move(e));
          break;
        case trust::TrustKind::kIntermediate:
          c.intermediates.push_back(std::move(e));
          break;
        case trust::TrustKind::kAllowlisted:
          c.allowlisted.push_back(std::move(e));
          break;
      }
    }
    return c;
  }

  std::string Describe() const override { return description_; }

 private:
  const trust::TrustStore& store_;
  std::string description_;
};

class TrustConfigFileSource : public TrustSetSource {
 public:
  explicit TrustConfigFileSource(std::string path) : path_(std::move(path)) {}

  Result<std::string> Version() const override {
    TP_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path_));
    return Sha256Hex(text);
  }
  Result<TrustSetContent> Load() const override {
    TP_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path_));
    auto content = TrustSetFromTrustConfig(text);
    if (!content.ok()) return content.status().WithContext(path_);
    return content;
  }
  std::string Describe() const override { return "trust config " + path_; }

 private:
  std::string path_;
};

}  // namespace

TrustSnapshot::TrustSnapshot(TrustSetContent content, uint64_t generation,
                             x509::VerifyOptions options)
    : content_(std::move(content)),
      generation_(generation),
      options_(std::move(options)),
      verifier_(MaterialOf(content_)),
      digest_(DigestOf(content_)) {
  for (const auto& e : content_.anchors) anchor_tenants_.emplace(e.cert.sha256_hex(), &e.tenants);
  for (const auto& e : content_.allowlisted) {
    allowlist_tenants_.emplace(e.cert.sha256_hex(), &e.tenants);
  }
}

std::shared_ptr<const TrustSnapshot> TrustSnapshot::Build(TrustSetContent content,
                                                          uint64_t generation,
                                                          x509::VerifyOptions options) {
  return std::shared_ptr<const TrustSnapshot>(
      new TrustSnapshot(std::move(content), generation, std::move(options)));
}

const std::vector<std::string>& TrustSnapshot::VouchingTenants(
    const x509::VerifyResult& result) const {
  if (!result.ok || result.chain.empty()) return NoTenants();
  const auto& table = result.via_allowlist ? allowlist_tenants_ : anchor_tenants_;
  const x509::Certificate& vouching =
      result.via_allowlist ? result.chain.front() : result.chain.back();
  auto it = table.find(vouching.sha256_hex());
  return it == table.end() ? NoTenants() : *it->second;
}

std::unique_ptr<TrustSetSource> MakeTrustStoreSource(const trust::TrustStore& store,
                                                     std::string description) {
  return std::make_unique<TrustStoreSource>(store, std::move(description));
}

std::unique_ptr<TrustSetSource> MakeTrustConfigFileSource(std::string path) {
  return std::make_unique<TrustConfigFileSource>(std::move(path));
}

Result<TrustSetContent> TrustSetFromTrustConfig(std::string_view text) {
  TP_ASSIGN_OR_RETURN(trust::TrustConfig config, trust::ParseTrustConfig(text));
  TrustSetContent c;
  for (auto& cert : config.anchors) c.anchors.push_back({std::move(cert), {}});
  for (auto& cert : config.intermediates) c.intermediates.push_back({std::move(cert), {}});
  for (auto& cert : config.allowlisted) c.allowlisted.push_back({std::move(cert), {}});
  return c;
}

TrustSnapshotHolder::TrustSnapshotHolder(std::unique_ptr<TrustSetSource> source,
                                         x509::VerifyOptions options)
    : source_(std::move(source)), options_(std::move(options)) {}

Status TrustSnapshotHolder::Load() {
  std::lock_guard lock(refresh_mu_);
  auto version = source_->Version();
  if (!version.ok()) return version.status().WithContext(source_->Describe());
  if (observer_) observer_->BeforeLoad();
  auto content = source_->Load();
  if (!content.ok()) return content.status().WithContext(source_->Describe());
  version_ = std::move(version).value();
  auto first = TrustSnapshot::Build(std::move(content).value(), 1, options_);
  current_.store(first);
  if (observer_) observer_->Loaded(*first);
  return Status::Ok();
}

Result<bool> TrustSnapshotHolder::Refresh() {
  std::lock_guard lock(refresh_mu_);
  auto version = source_->Version();
  if (!version.ok()) return version.status().WithContext(source_->Describe());
  if (*version == version_) return false;
  if (observer_) observer_->BeforeLoad();
  auto content = source_->Load();
  if (!content.ok()) return content.status().WithContext(source_->Describe());
  version_ = std::move(version).value();
  std::shared_ptr<const TrustSnapshot> old = current_.load();
  const uint64_t next = old ? old->generation() + 1 : 1;
  auto fresh = TrustSnapshot::Build(std::move(content).value(), next, options_);
  if (old && old->digest() == fresh->digest()) return false;
  current_.store(fresh);
  if (observer_) observer_->Loaded(*fresh);
  return true;
}

}  // namespace trustplane::gateway
