#include "trustplane/trust/revisions.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "trustplane/base/digest.h"
#include "trustplane/trust/trust_config.h"

namespace trustplane::trust {
namespace {

// Publishers racing on one id retry this many times before giving up.
constexpr int kPublishAttempts = 16;

std::string MetaValue(const store::Metadata& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

std::string HistoryPrefix(std::string_view id) {
  return "trust-configs/history/" + std::string(id) + "/";
}

using Claims = std::map<std::string, std::vector<std::string>>;  // sha256 -> tenants

// Records which tenants claim each certificate. Written once per revision,
// like its history object: a revision published again keeps its first claims.
Status SaveClaims(const TrustStore& store, const std::string& id, const std::string& revision) {
  TP_ASSIGN_OR_RETURN(auto records, store.List());
  nlohmann::json claims = nlohmann::json::object();
  for (const auto& r : records) {
    if (!r.tenants.empty()) claims[r.sha256] = r.tenants;
  }
  const std::string name = TrustConfigClaimsObject(id, revision);
  TP_ASSIGN_OR_RETURN(std::string payload, store.codec().Encode(name, claims.dump()));
  auto put = store.bucket().PutIfAbsent({name, std::move(payload), {}});
  if (!put.ok() && !put.status().is(ErrorCode::kConflict)) return put.status();
  return Status::Ok();
}

// The claims saved with `revision`; empty when it was published before claims
// were kept (its certificates then come back trusted for every tenant).
Result<Claims> LoadClaims(const TrustStore& store, const std::string& id,
                          const std::string& revision) {
  const std::string name = TrustConfigClaimsObject(id, revision);
  auto obj = store.bucket().Get(name);
  if (obj.status().is(ErrorCode::kNotFound)) return Claims{};
  if (!obj.ok()) return obj.status();
  TP_ASSIGN_OR_RETURN(std::string text, store.codec().Decode(name, obj->data));
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Internal(name + " is not a JSON object");
  Claims claims;
  for (const auto& [sha256, tenants] : j.items()) {
    if (!tenants.is_array()) return Status::Internal(name + ": tenants of " + sha256 + " are not a list");
    for (const auto& t : tenants) {
      if (!t.is_string()) return Status::Internal(name + ": a tenant of " + sha256 + " is not a string");
      claims[sha256].push_back(t.get<std::string>());
    }
  }
  return claims;
}

}  // namespace

std::string TrustConfigClaimsObject(std::string_view id, std::string_view revision) {
  return "trust-configs/claims/" + std::string(id) + "/" + std::string(revision) + ".json";
}

std::string CurrentTrustConfigObject(std::string_view id) {
  return "trust-configs/" + std::string(id) + ".yaml";
}

std::string TrustConfigHistoryObject(std::string_view id, std::string_view revision) {
  return HistoryPrefix(id) + std::string(revision) + ".yaml";
}

Result<PublishResult> Revisions::Publish(const std::string& id, const std::string& actor) {
  TP_RETURN_IF_ERROR(ValidateTrustConfigId(id));
  store::ObjectStore& bucket = store_.bucket();
  for (int attempt = 0; attempt < kPublishAttempts; ++attempt) {
    // Read the audit head first: every change up to it is in the render below.
    TP_ASSIGN_OR_RETURN(uint64_t covers, audit_.HeadSeq());
    TP_ASSIGN_OR_RETURN(TrustConfig model, store_.RenderModel(id));
    TP_RETURN_IF_ERROR(CheckLimits(model));
    const std::string bytes = RenderYaml(model);
    PublishResult result;
    result.revision = Sha256Hex(bytes);
    result.covers_seq = covers;

    int64_t generation = 0;
    auto current = bucket.Stat(CurrentTrustConfigObject(id));
    if (current.ok()) {
      generation = current->generation;
      result.previous_revision = MetaValue(current->metadata, "revision");
    } else if (!current.status().is(ErrorCode::kNotFound)) {
      return current.status();
    }
    if (result.previous_revision == result.revision) return result;
    TP_RETURN_IF_ERROR(SaveClaims(store_, id, result.revision));

    const std::string now = FormatRfc3339(NowUnix());
    store::Metadata meta = {{"revision", result.revision},
                            {"published_at", now},
                            {"published_by", actor},
                            {"covers_seq", std::to_string(covers)}};
    const std::string history_name = TrustConfigHistoryObject(id, result.revision);
    const std::string current_name = CurrentTrustConfigObject(id);
    TP_ASSIGN_OR_RETURN(std::string history_payload, store_.codec().Encode(history_name, bytes));
    TP_ASSIGN_OR_RETURN(std::string current_payload, store_.codec().Encode(current_name, bytes));
    auto history = bucket.PutIfAbsent({history_name, std::move(history_payload), meta});
    if (!history.ok() && !history.status().is(ErrorCode::kConflict)) return history.status();
    auto swapped = bucket.PutIfGeneration({current_name, std::move(current_payload), meta}, generation);
    if (swapped.status().is(ErrorCode::kConflict)) continue;  // another publisher won; look again
    TP_RETURN_IF_ERROR(swapped.status());

    result.changed = true;
    audit::AuditEvent event;
    event.actor = actor;
    event.action = "trustconfig.publish";
    event.result = "published";
    event.details = {{"id", id},
                     {"revision", result.revision},
                     {"previous_revision", result.previous_revision},
                     {"covers_seq", covers}};
    TP_RETURN_IF_ERROR(audit_.Append(std::move(event)).status());
    return result;
  }
  return Status::Conflict("could not publish trust config " + id +
                          ": other publishers kept changing it");
}

Result<std::vector<RevisionInfo>> Revisions::History(const std::string& id) const {
  TP_RETURN_IF_ERROR(ValidateTrustConfigId(id));
  std::string current_revision;
  auto current = store_.bucket().Stat(CurrentTrustConfigObject(id));
  if (current.ok()) current_revision = MetaValue(current->metadata, "revision");
  TP_ASSIGN_OR_RETURN(auto infos, store_.bucket().ListAll(HistoryPrefix(id)));
  std::vector<std::pair<int64_t, RevisionInfo>> dated;
  for (const auto& info : infos) {
    RevisionInfo r{MetaValue(info.metadata, "revision"), MetaValue(info.metadata, "published_at"),
                   MetaValue(info.metadata, "published_by"), false};
    r.current = r.revision == current_revision;
    dated.emplace_back(info.generation, std::move(r));
  }
  // Generations grow with time, so they order the history without clock ties.
  std::sort(dated.begin(), dated.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<RevisionInfo> out;
  for (auto& [gen, r] : dated) out.push_back(std::move(r));
  return out;
}

Result<std::string> Revisions::Read(const std::string& id, const std::string& revision) const {
  TP_RETURN_IF_ERROR(ValidateTrustConfigId(id));
  const std::string name = TrustConfigHistoryObject(id, revision);
  auto obj = store_.bucket().Get(name);
  if (obj.status().is(ErrorCode::kNotFound) || obj.status().is(ErrorCode::kInvalidArgument)) {
    return Status::NotFound("trust config " + id + " has no revision " + revision +
                            " (see `trustplane trust history`)");
  }
  if (!obj.ok()) return obj.status();
  return store_.codec().Decode(name, obj->data);
}

Result<RollbackResult> Revisions::Rollback(const std::string& id, const std::string& revision,
                                           const std::string& actor, const std::string& reason) {
  if (reason.empty()) return Status::InvalidArgument("a rollback needs a --reason");
  TP_ASSIGN_OR_RETURN(std::string bytes, Read(id, revision));
  auto target = ParseTrustConfig(bytes);
  if (!target.ok()) return target.status().WithContext("revision " + revision);
  TP_ASSIGN_OR_RETURN(TrustConfig current, store_.RenderModel(id));
  TrustConfigDiff diff = Diff(current, *target);

  // What comes back is added once per tenant that claimed it (an operator
  // add for a certificate nobody claimed), all validated before anything is
  // removed.
  TP_ASSIGN_OR_RETURN(Claims claims, LoadClaims(store_, id, revision));
  std::map<std::string, AddRequest> adds;  // by tenant; "" = operator
  for (const auto* entries : {&diff.only_in_right, &diff.kind_changed_right}) {
    for (const auto& e : *entries) {
      auto it = claims.find(e.cert.sha256_hex());
      const std::vector<std::string> tenants =
          it == claims.end() ? std::vector<std::string>{""} : it->second;
      for (const auto& tenant : tenants) {
        AddRequest& add = adds[tenant];
        add.tenant = tenant;
        add.actor = actor;
        add.certificates.push_back({e.cert, e.kind, "revision " + revision});
      }
    }
  }
  for (auto& [tenant, add] : adds) {
    add.validate_only = true;
    TP_ASSIGN_OR_RETURN(AddResult check, lifecycle_.Add(add));
    if (check.rejected) {
      std::string why;
      for (const auto& c : check.certificates) {
        if (c.outcome == Outcome::kRejected) why += (why.empty() ? "" : "; ") + c.message;
      }
      return Status::Policy("cannot roll back to " + revision + ": " + why);
    }
  }

  RollbackResult result;
  const std::string note = "rollback to " + revision + ": " + reason;
  for (const auto* entries : {&diff.only_in_left, &diff.kind_changed_left}) {
    for (const auto& e : *entries) {
      auto removed = lifecycle_.Remove({e.cert.sha256_hex(), "", note, actor});
      if (!removed.ok() && !removed.status().is(ErrorCode::kNotFound)) return removed.status();
      result.removed.push_back(e.cert.sha256_hex());
    }
  }
  for (auto& [tenant, add] : adds) {
    add.validate_only = false;
    TP_ASSIGN_OR_RETURN(AddResult added, lifecycle_.Add(add));
    if (added.rejected) return Status::Policy("rollback to " + revision + " was refused midway");
    for (const auto& c : added.certificates) {
      const std::string sha256 = c.cert.sha256_hex();
      if (std::find(result.re_added.begin(), result.re_added.end(), sha256) == result.re_added.end()) {
        result.re_added.push_back(sha256);
      }
    }
  }
  TP_ASSIGN_OR_RETURN(result.publish, Publish(id, actor));
  if (result.publish.revision != revision) {
    return Status::Internal("after rolling back, trust config " + id + " renders to revision " +
                            result.publish.revision + ", not " + revision);
  }
  audit::AuditEvent event;
  event.actor = actor;
  event.action = "trustconfig.rollback";
  event.result = "rolled-back";
  event.reason = reason;
  event.details = {{"id", id},
                   {"revision", revision},
                   {"from_revision", result.publish.previous_revision},
                   {"re_added", result.re_added},
                   {"removed", result.removed}};
  TP_RETURN_IF_ERROR(audit_.Append(std::move(event)).status());
  return result;
}

}  // namespace trustplane::trust
