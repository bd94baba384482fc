#include "trustplane/audit/audit_log.h"

#include "trustplane/base/digest.h"
#include "trustplane/base/time.h"

namespace trustplane::audit {
namespace {

// A writer losing this many races in a row is starved; give up with an error.
constexpr int kMaxAppendAttempts = 1000;

bool Exists(const store::ObjectStore& store, uint64_t seq, Status* error) {
  auto info = store.Stat(EventObjectName(seq));
  if (info.ok()) return true;
  if (!info.status().is(ErrorCode::kNotFound)) *error = info.status();
  return false;
}

}  // namespace

Status AuditLog::FindTail() {
  // Sequence numbers are contiguous, so an exponential probe followed by a
  // binary search finds the newest in O(log n) Stat calls.
  Status error;
  uint64_t low = 0, high = 1;  // invariant: event `low` exists (or low == 0)
  while (Exists(store_, high, &error)) {
    low = high;
    high *= 2;
  }
  TP_RETURN_IF_ERROR(error);
  while (high - low > 1) {
    uint64_t mid = low + (high - low) / 2;
    if (Exists(store_, mid, &error)) {
      low = mid;
    } else {
      TP_RETURN_IF_ERROR(error);
      high = mid;
    }
  }
  tail_ = Tail{};
  if (low > 0) {
    TP_ASSIGN_OR_RETURN(store::Object last, store_.Get(EventObjectName(low)));
    tail_ = Tail{low, Sha256Hex(last.data)};
  }
  tail_known_ = true;
  return Status::Ok();
}

Status AuditLog::CatchUp() {
  if (!tail_known_) return FindTail();
  while (true) {
    auto next = store_.Get(EventObjectName(tail_.seq + 1));
    if (next.status().is(ErrorCode::kNotFound)) return Status::Ok();
    if (!next.ok()) return next.status();
    tail_ = Tail{tail_.seq + 1, Sha256Hex(next->data)};
  }
}

Result<uint64_t> AuditLog::HeadSeq() {
  std::lock_guard<std::mutex> lock(mu_);
  TP_RETURN_IF_ERROR(CatchUp());
  return tail_.seq;
}

Result<AuditEvent> AuditLog::Append(AuditEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (event.time.empty()) event.time = FormatRfc3339(NowUnix());
  for (int attempt = 0; attempt < kMaxAppendAttempts; ++attempt) {
    TP_RETURN_IF_ERROR(CatchUp());
    event.seq = tail_.seq + 1;
    event.prev_sha256 = tail_.sha256;
    std::string bytes = SerializeEvent(event);
    auto put = store_.PutIfAbsent({EventObjectName(event.seq), bytes, {}});
    if (put.ok()) {
      tail_ = Tail{event.seq, Sha256Hex(bytes)};
      return event;
    }
    if (!put.status().is(ErrorCode::kConflict)) return put.status();
    // Another writer took this number; CatchUp reads its event next time.
  }
  return Status::Conflict("could not append to the audit log: lost " +
                          std::to_string(kMaxAppendAttempts) + " races for the next event");
}

Result<std::vector<AuditEvent>> AuditLog::Read(uint64_t from, uint64_t to) const {
  std::vector<AuditEvent> events;
  for (uint64_t seq = from == 0 ? 1 : from; to == 0 || seq <= to; ++seq) {
    auto obj = store_.Get(EventObjectName(seq));
    if (obj.status().is(ErrorCode::kNotFound)) break;
    if (!obj.ok()) return obj.status();
    auto event = ParseEvent(obj->data);
    if (!event.ok()) return event.status().WithContext(EventObjectName(seq));
    events.push_back(std::move(event).value());
  }
  return events;
}

Result<AuditLog::Report> AuditLog::Verify() const {
  Report report;
  std::vector<std::string> names;
  auto infos = store_.ListAll(kAuditPrefix);
  if (infos.ok()) {
    for (const auto& info : *infos) names.push_back(info.name);
  } else if (infos.status().is(ErrorCode::kInternal)) {
    // A damaged object makes the listing fail: that is evidence, not an
    // outage. Walk the sequence instead so every damaged event is named.
    report.problems.push_back("the audit log cannot be listed: " + infos.status().message());
    for (uint64_t seq = 1;; ++seq) {
      auto info = store_.Stat(EventObjectName(seq));
      if (info.status().is(ErrorCode::kNotFound)) break;
      names.push_back(EventObjectName(seq));
    }
  } else {
    return infos.status();
  }
  uint64_t expected = 1;
  std::string prev_hash;
  for (const auto& name : names) {
    auto seq = ParseEventObjectName(name);
    if (!seq.ok()) {
      report.problems.push_back("unexpected object " + name + " in the audit log");
      continue;
    }
    if (*seq != expected) {
      report.problems.push_back(
          *seq > expected
              ? "event " + std::to_string(expected) + " is missing (found " +
                    std::to_string(expected - 1) + " then " + std::to_string(*seq) + ")"
              : "event " + std::to_string(*seq) + " is out of order");
      prev_hash.clear();  // the chain is already broken here; check links from now on
    }
    expected = *seq + 1;
    auto obj = store_.Get(name);
    if (!obj.ok()) {
      report.problems.push_back("event " + std::to_string(*seq) +
                                " cannot be read: " + obj.status().message());
      prev_hash.clear();
      continue;
    }
    const std::string hash = Sha256Hex(obj->data);
    auto event = ParseEvent(obj->data);
    if (!event.ok()) {
      report.problems.push_back("event " + std::to_string(*seq) + " " + event.status().message());
    } else if (event->seq != *seq) {
      report.problems.push_back("event stored as " + std::to_string(*seq) + " says it is event " +
                                std::to_string(event->seq));
    } else if (*seq == 1 ? !event->prev_sha256.empty()
                         : (!prev_hash.empty() && event->prev_sha256 != prev_hash)) {
      report.problems.push_back("event " + std::to_string(*seq) +
                                " does not chain to event " + std::to_string(*seq - 1) +
                                ": event " + std::to_string(*seq - 1) +
                                " was edited or replaced (prev_sha256 mismatch)");
    }
    prev_hash = hash;
    report.head_sha256 = hash;
    ++report.events;
  }
  report.ok = report.problems.empty();
  return report;
}

}  // namespace trustplane::audit
