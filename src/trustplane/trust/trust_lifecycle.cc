#include "trustplane/trust/trust_lifecycle.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "trustplane/base/parallel.h"
#include "trustplane/trust/bucket_layout.h"

namespace trustplane::trust {
namespace {

// Bounded retries for read-modify-write of one object's tenant list.
constexpr int kCasAttempts = 64;
// From this many certificates in one request, list the store once instead of
// looking each one up under every kind.
constexpr size_t kListInsteadOfLookups = 512;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool MayNeedExistingIssuers(const Submission& s) {
  return !s.cert.IsSelfIssued() && s.as != TrustKind::kAllowlisted;
}

}  // namespace

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kAdded: return "added";
    case Outcome::kAlreadyTrusted: return "already-trusted";
    case Outcome::kRejected: return "rejected";
    case Outcome::kNotAdded: return "not-added";
  }
  return "";
}

TrustLifecycle::TrustLifecycle(TrustStore& store, audit::AuditLog& audit, OnboardingPolicy policy)
    : store_(store), audit_(audit), policy_(std::move(policy)) {}

Status TrustLifecycle::Begin(const Intent& intent) {
  auto put = store_.bucket().PutIfAbsent({intent.ObjectName(), intent.Serialize(), {}});
  return put.status();
}

Status TrustLifecycle::Finish(const Intent& intent) {
  auto info = store_.bucket().Stat(intent.ObjectName());
  if (!info.ok()) return info.status().is(ErrorCode::kNotFound) ? Status::Ok() : info.status();
  return store_.bucket().RemoveIfGeneration(intent.ObjectName(), info->generation);
}

Result<audit::AuditEvent> TrustLifecycle::RecordEvent(const Intent& intent, std::string action,
                                                      std::vector<std::string> fingerprints,
                                                      std::string result, std::string reason) {
  audit::AuditEvent event;
  event.actor = intent.actor;
  event.action = std::move(action);
  event.tenant = intent.tenant;
  event.fingerprints = std::move(fingerprints);
  event.result = std::move(result);
  event.reason = std::move(reason);
  event.request_id = intent.request_id;
  return audit_.Append(std::move(event));
}

Result<AddResult> TrustLifecycle::Add(const AddRequest& request) {
  TP_RETURN_IF_ERROR(Recover().status());
  const UnixSeconds now = request.now ? request.now : NowUnix();
  AddResult result;

  // Fold duplicates: the same certificate twice in one request is one submission.
  std::vector<Submission> subs;
  std::set<std::string> seen;
  for (const auto& s : request.certificates) {
    if (seen.insert(s.cert.sha256_hex()).second) subs.push_back(s);
  }
  if (subs.empty()) return Status::InvalidArgument("no certificates to add");

  // Signature checks dominate the policy's cost; do them on all cores first
  // (the result is memoized in the certificate).
  ParallelFor(subs.size(), [&](size_t i) {
    if (subs[i].cert.IsSelfIssued()) subs[i].cert.VerifySelfSignature();
  });

  x509::TrustMaterial existing;
  if (std::any_of(subs.begin(), subs.end(), MayNeedExistingIssuers)) {
    TP_ASSIGN_OR_RETURN(existing, store_.LoadTrustMaterial());
  }

  // Evaluate groups in dependency order so that intermediates can chain to
  // anchors submitted in the same request under an explicit --as.
  std::vector<std::optional<Verdict>> verdicts(subs.size());
  const std::optional<TrustKind> order[] = {TrustKind::kAnchor, TrustKind::kIntermediate,
                                            TrustKind::kAllowlisted, std::nullopt};
  for (const auto& as : order) {
    std::vector<size_t> idx;
    std::vector<x509::Certificate> group;
    for (size_t i = 0; i < subs.size(); ++i) {
      if (subs[i].as == as) {
        idx.push_back(i);
        group.push_back(subs[i].cert);
      }
    }
    if (group.empty()) continue;
    auto vs = policy_.Evaluate(group, as, existing, now);
    for (size_t k = 0; k < idx.size(); ++k) {
      if (vs[k].accepted && vs[k].kind == TrustKind::kAnchor) existing.anchors.push_back(vs[k].cert);
      if (vs[k].accepted && vs[k].kind == TrustKind::kIntermediate) {
        existing.intermediates.push_back(vs[k].cert);
      }
      verdicts[idx[k]] = std::move(vs[k]);
    }
  }

  std::vector<std::string> reasons;
  for (size_t i = 0; i < subs.size(); ++i) {
    const Verdict& verdict = *verdicts[i];
    CertificateOutcome out{subs[i].cert, verdict.kind, Outcome::kAdded, "", subs[i].source};
    if (!verdict.accepted) {
      out.outcome = Outcome::kRejected;
      out.message = verdict.message;
      result.rejected = true;
      reasons.push_back(subs[i].cert.sha256_hex() + ": " + verdict.message);
    }
    result.certificates.push_back(std::move(out));
  }

  if (request.validate_only) return result;
  Intent intent = NewIntent("trust.add", request.actor, request.tenant, "");
  result.request_id = intent.request_id;
  if (result.rejected) {
    std::vector<std::string> fps;
    for (auto& out : result.certificates) {
      fps.push_back(out.cert.sha256_hex());
      if (out.outcome != Outcome::kRejected) {
        out.outcome = Outcome::kNotAdded;
        out.message = "another certificate in this request was rejected, so nothing was added";
      }
    }
    std::string joined;
    for (const auto& r : reasons) joined += (joined.empty() ? "" : "; ") + r;
    TP_RETURN_IF_ERROR(RecordEvent(intent, "trust.add", std::move(fps), "rejected", joined).status());
    return result;
  }

  // Plan: create what is missing, claim what exists for a new tenant.
  std::vector<size_t> to_create, to_claim;
  std::vector<std::optional<Result<TrustRecord>>> lookups(result.certificates.size());
  if (lookups.size() >= kListInsteadOfLookups) {
    // One listing of the store is cheaper than three lookups per certificate.
    TP_ASSIGN_OR_RETURN(auto records, store_.List());
    std::unordered_map<std::string, TrustRecord> by_fingerprint;
    for (auto& r : records) by_fingerprint.emplace(r.sha256, std::move(r));
    for (size_t i = 0; i < lookups.size(); ++i) {
      const std::string& fp = result.certificates[i].cert.sha256_hex();
      auto it = by_fingerprint.find(fp);
      lookups[i] = it != by_fingerprint.end()
                       ? Result<TrustRecord>(it->second)
                       : Result<TrustRecord>(Status::NotFound("no trusted certificate " + fp));
    }
  } else {
    ParallelFor(lookups.size(), [&](size_t i) {
      lookups[i] = store_.Find(result.certificates[i].cert.sha256_hex());
    });
  }
  for (size_t i = 0; i < result.certificates.size(); ++i) {
    auto& out = result.certificates[i];
    const Result<TrustRecord>& found = *lookups[i];
    if (found.ok()) {
      out.outcome = Outcome::kAlreadyTrusted;
      out.message = "already trusted as " + std::string(TrustKindName(found->kind));
      out.kind = found->kind;
      if (!request.tenant.empty() && !Contains(found->tenants, request.tenant)) to_claim.push_back(i);
    } else if (found.status().is(ErrorCode::kNotFound)) {
      to_create.push_back(i);
    } else {
      return found.status();
    }
  }
  if (to_create.empty() && to_claim.empty()) return result;

  for (size_t i : to_create) {
    intent.items.push_back({IntentItem::Op::kCreate, result.certificates[i].kind,
                            result.certificates[i].cert.sha256_hex()});
  }
  for (size_t i : to_claim) {
    intent.items.push_back({IntentItem::Op::kClaim, result.certificates[i].kind,
                            result.certificates[i].cert.sha256_hex()});
  }
  TP_RETURN_IF_ERROR(Begin(intent));

  std::vector<store::NewObject> objects;
  objects.reserve(to_create.size());
  const std::string added_at = FormatRfc3339(now);
  for (size_t i : to_create) {
    const auto& out = result.certificates[i];
    TrustRecord rec = NewRecord(out.cert, out.kind);
    if (!request.tenant.empty()) rec.tenants = {request.tenant};
    rec.added_by = request.actor;
    rec.added_at = added_at;
    rec.request_id = intent.request_id;
    TP_ASSIGN_OR_RETURN(std::string payload, store_.codec().Encode(rec.object_name, out.cert.ToPem()));
    objects.push_back({rec.object_name, std::move(payload), RecordMetadata(rec)});
  }
  auto puts = store_.bucket().PutAllIfAbsent(objects);

  std::vector<std::string> added, claimed;
  std::map<std::string, std::vector<std::string>> added_by_kind;
  for (size_t k = 0; k < to_create.size(); ++k) {
    auto& out = result.certificates[to_create[k]];
    if (puts[k].ok()) {
      added.push_back(out.cert.sha256_hex());
      continue;
    }
    if (!puts[k].status().is(ErrorCode::kConflict)) return puts[k].status();
    // Another process created it first: it is trusted, and that process records the add.
    out.outcome = Outcome::kAlreadyTrusted;
    out.message = "already trusted (added concurrently by another request)";
    if (!request.tenant.empty()) to_claim.push_back(to_create[k]);
  }
  for (size_t i : to_claim) {
    auto& out = result.certificates[i];
    TP_RETURN_IF_ERROR(ClaimFor(out.cert.sha256_hex(), request.tenant));
    claimed.push_back(out.cert.sha256_hex());
    out.message += "; claimed for tenant " + request.tenant;
  }

  if (!added.empty()) {
    TP_RETURN_IF_ERROR(RecordEvent(intent, "trust.add", added, "added", "").status());
  }
  if (!claimed.empty()) {
    TP_RETURN_IF_ERROR(RecordEvent(intent, "trust.claim", claimed, "claimed", "").status());
  }
  TP_RETURN_IF_ERROR(Finish(intent));
  return result;
}

Status TrustLifecycle::ClaimFor(const std::string& sha256, const std::string& tenant) {
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    TP_ASSIGN_OR_RETURN(TrustRecord rec, store_.Find(sha256));
    if (Contains(rec.tenants, tenant)) return Status::Ok();
    TP_ASSIGN_OR_RETURN(store::Object obj, store_.bucket().Get(rec.object_name));
    TP_ASSIGN_OR_RETURN(rec, RecordFromObject(obj.info));
    rec.tenants.push_back(tenant);
    auto put = store_.bucket().PutIfGeneration({rec.object_name, obj.data, RecordMetadata(rec)},
                                               obj.info.generation);
    if (put.ok()) return Status::Ok();
    if (!put.status().is(ErrorCode::kConflict)) return put.status();
  }
  return Status::Conflict("could not record the claim of tenant " + tenant + " on " + sha256 +
                          ": the object kept changing");
}

Result<RemoveResult> TrustLifecycle::Remove(const RemoveRequest& request) {
  TP_RETURN_IF_ERROR(Recover().status());
  if (request.reason.empty()) return Status::InvalidArgument("a removal needs a --reason");
  TP_ASSIGN_OR_RETURN(std::string fp, NormalizeSha256Fingerprint(request.sha256));
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    TP_ASSIGN_OR_RETURN(store::ObjectInfo info, [&]() -> Result<store::ObjectInfo> {
      TP_ASSIGN_OR_RETURN(TrustRecord rec, store_.Find(fp));
      return store_.bucket().Stat(rec.object_name);
    }());
    TP_ASSIGN_OR_RETURN(TrustRecord rec, RecordFromObject(info));
    RemoveResult result{rec, true, {}};
    bool unclaim_only = false;
    if (!request.tenant.empty()) {
      if (!Contains(rec.tenants, request.tenant)) {
        std::string claimed;
        for (const auto& t : rec.tenants) claimed += (claimed.empty() ? "" : ", ") + t;
        return Status::NotFound("tenant " + request.tenant + " has no claim on " + fp +
                                (claimed.empty() ? " (it was added by an operator for all tenants)"
                                                 : " (claimed by: " + claimed + ")"));
      }
      for (const auto& t : rec.tenants) {
        if (t != request.tenant) result.remaining_tenants.push_back(t);
      }
      unclaim_only = !result.remaining_tenants.empty();
    }
    Intent intent = NewIntent(unclaim_only ? "trust.unclaim" : "trust.remove", request.actor,
                              request.tenant, request.reason);
    intent.items.push_back(
        {unclaim_only ? IntentItem::Op::kUnclaim : IntentItem::Op::kDelete, rec.kind, fp});
    TP_RETURN_IF_ERROR(Begin(intent));
    Status write;
    if (unclaim_only) {
      TP_ASSIGN_OR_RETURN(store::Object obj, store_.bucket().Get(rec.object_name));
      TrustRecord updated = rec;
      updated.tenants = result.remaining_tenants;
      write = store_.bucket()
                  .PutIfGeneration({rec.object_name, obj.data, RecordMetadata(updated)},
                                   info.generation)
                  .status();
    } else {
      write = store_.bucket().RemoveIfGeneration(rec.object_name, info.generation);
    }
    if (write.is(ErrorCode::kConflict) || write.is(ErrorCode::kNotFound)) {
      TP_RETURN_IF_ERROR(Finish(intent));  // nothing happened; look again
      continue;
    }
    TP_RETURN_IF_ERROR(write);
    result.removed = !unclaim_only;
    TP_RETURN_IF_ERROR(RecordEvent(intent, intent.action, {fp},
                                   unclaim_only ? "unclaimed" : "removed", request.reason)
                           .status());
    TP_RETURN_IF_ERROR(Finish(intent));
    return result;
  }
  return Status::Conflict("could not remove " + fp + ": the object kept changing");
}

Result<GcResult> TrustLifecycle::CollectExpired(const std::string& actor, bool dry_run,
                                                UnixSeconds now) {
  TP_RETURN_IF_ERROR(Recover().status());
  if (now == 0) now = NowUnix();
  GcResult result;
  // Allowlisted certificates stay: the load balancer accepts them expired.
  for (TrustKind kind : {TrustKind::kAnchor, TrustKind::kIntermediate}) {
    ListFilter filter;
    filter.kind = kind;
    filter.expiring_before = now - 1;
    TP_ASSIGN_OR_RETURN(auto records, store_.List(filter));
    for (auto& r : records) result.expired.push_back(std::move(r));
  }
  if (dry_run || result.expired.empty()) return result;

  Intent intent = NewIntent("trust.gc", actor, "", "expired");
  for (const auto& r : result.expired) intent.items.push_back({IntentItem::Op::kDelete, r.kind, r.sha256});
  TP_RETURN_IF_ERROR(Begin(intent));
  std::vector<std::string> removed;
  std::vector<TrustRecord> kept;
  for (auto& r : result.expired) {
    Status s = store_.bucket().RemoveIfGeneration(r.object_name, r.generation);
    if (s.ok()) {
      removed.push_back(r.sha256);
      kept.push_back(std::move(r));
    } else if (!s.is(ErrorCode::kNotFound) && !s.is(ErrorCode::kConflict)) {
      return s;
    }
  }
  result.expired = std::move(kept);
  if (!removed.empty()) {
    TP_RETURN_IF_ERROR(RecordEvent(intent, "trust.gc", removed, "removed", "expired").status());
  }
  TP_RETURN_IF_ERROR(Finish(intent));
  return result;
}

Result<std::vector<Intent>> TrustLifecycle::PendingIntents() const {
  TP_ASSIGN_OR_RETURN(auto infos, store_.bucket().ListAll(kIntentPrefix));
  std::vector<Intent> out;
  for (const auto& info : infos) {
    auto obj = store_.bucket().Get(info.name);
    if (obj.status().is(ErrorCode::kNotFound)) continue;
    if (!obj.ok()) return obj.status();
    TP_ASSIGN_OR_RETURN(Intent intent, Intent::Parse(obj->data));
    out.push_back(std::move(intent));
  }
  return out;
}

Result<int> TrustLifecycle::Recover() {
  TP_ASSIGN_OR_RETURN(auto infos, store_.bucket().ListAll(kIntentPrefix));
  int settled = 0;
  const UnixSeconds now = NowUnix();
  for (const auto& info : infos) {
    auto obj = store_.bucket().Get(info.name);
    if (obj.status().is(ErrorCode::kNotFound)) continue;
    if (!obj.ok()) return obj.status();
    TP_ASSIGN_OR_RETURN(Intent intent, Intent::Parse(obj->data));
    if (!intent.IsAbandoned(now)) continue;  // its process is still working on it
    TP_RETURN_IF_ERROR(SettleIntent(intent, obj->info.generation));
    ++settled;
  }
  return settled;
}

Status TrustLifecycle::SettleIntent(const Intent& abandoned, int64_t generation) {
  // Take the intent over so that only one process settles it.
  Intent intent = abandoned;
  Intent mine = NewIntent(intent.action, intent.actor, intent.tenant, intent.reason);
  intent.host = mine.host;
  intent.pid = mine.pid;
  intent.created = mine.created;
  auto taken = store_.bucket().PutIfGeneration({intent.ObjectName(), intent.Serialize(), {}},
                                               generation);
  if (taken.status().is(ErrorCode::kConflict) || taken.status().is(ErrorCode::kNotFound)) {
    return Status::Ok();  // another process is settling it
  }
  TP_RETURN_IF_ERROR(taken.status());

  TP_ASSIGN_OR_RETURN(auto events, audit_.Read(1, 0));
  std::set<std::string> recorded;  // actions already in the audit log for this request
  for (const auto& e : events) {
    if (e.request_id == intent.request_id) recorded.insert(e.action);
  }

  std::vector<std::string> created, claimed, deleted, unclaimed;
  for (const auto& item : intent.items) {
    auto rec = store_.Find(item.sha256);
    if (!rec.ok() && !rec.status().is(ErrorCode::kNotFound)) return rec.status();
    switch (item.op) {
      case IntentItem::Op::kCreate:
        if (rec.ok() && rec->request_id == intent.request_id) created.push_back(item.sha256);
        break;
      case IntentItem::Op::kClaim:
        if (rec.ok() && Contains(rec->tenants, intent.tenant)) claimed.push_back(item.sha256);
        break;
      case IntentItem::Op::kDelete:
        if (!rec.ok()) deleted.push_back(item.sha256);
        break;
      case IntentItem::Op::kUnclaim:
        if (!rec.ok() || !Contains(rec->tenants, intent.tenant)) unclaimed.push_back(item.sha256);
        break;
    }
  }
  const std::string note = "recovered: the process making this change stopped before recording it";
  std::string reason = intent.reason.empty() ? note : intent.reason + " (" + note + ")";
  auto record = [&](const std::string& action, std::vector<std::string> fps,
                    const std::string& outcome) -> Status {
    if (fps.empty() || recorded.count(action)) return Status::Ok();
    return RecordEvent(intent, action, std::move(fps), outcome, reason).status();
  };
  TP_RETURN_IF_ERROR(record("trust.add", created, "added"));
  TP_RETURN_IF_ERROR(record("trust.claim", claimed, "claimed"));
  TP_RETURN_IF_ERROR(record(intent.action, deleted, "removed"));
  TP_RETURN_IF_ERROR(record("trust.unclaim", unclaimed, "unclaimed"));
  return store_.bucket().RemoveIfGeneration(intent.ObjectName(), taken->generation);
}

}  // namespace trustplane::trust
