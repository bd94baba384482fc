#include "trustplane/audit/audit_log.h"

#include "trustplane/base/digest.h"
#include "trustplane/base/time.h"

namespace trustplane::audit {
namespace {

// A writer losing this many races in a row is starved; give up with an error.
constexpr int kMaxAttempts = 1000;

bool Exists(const store::ObjectStore& store, uint64_t seq, Status* error) {
  auto info = store.Stat(EventObjectName(seq));
  if (info.ok()) return true;
  if (!info.status().is(ErrorCode::kNotFound)) *error = info.status();
  return false;
}

}  // namespace

Result<AuditLog::Position> AuditLog::ProbeForward(Position from) const {
  while (true) {
    auto next = store_.Get(EventObjectName(from.seq + 1));
    if (next.status().is(ErrorCode::kNotFound)) return from;
    if (!next.ok()) return next.status();
    from = Position{from.seq + 1, Sha256Hex(next->data)};
  }
}

Result<AuditLog::Position> AuditLog::LocateTail(HeadState* head) const {
  *head = HeadState{};
  auto object = store_.Get(kHeadObjectName);
  if (object.ok()) {
    head->generation = object->info.generation;
    // An unreadable head is left to the binary search below (Verify reports
    // it, AdvanceHead replaces it).
    if (auto parsed = ParseHead(object->data); parsed.ok()) {
      head->seq = parsed->seq;
      // Chaining to the head's hash, not to a re-read of its event, keeps an
      // edit of that event visible once newer events follow it.
      return ProbeForward(Position{parsed->seq, parsed->sha256});
    }
  } else if (!object.status().is(ErrorCode::kNotFound)) {
    return object.status();
  }
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
    const uint64_t mid = low + (high - low) / 2;
    if (Exists(store_, mid, &error)) {
      low = mid;
    } else {
      TP_RETURN_IF_ERROR(error);
      high = mid;
    }
  }
  if (low == 0) return Position{};
  TP_ASSIGN_OR_RETURN(store::Object last, store_.Get(EventObjectName(low)));
  return ProbeForward(Position{low, Sha256Hex(last.data)});
}

Status AuditLog::CatchUp() {
  if (tail_known_) {
    TP_ASSIGN_OR_RETURN(tail_, ProbeForward(tail_));
  } else {
    TP_ASSIGN_OR_RETURN(tail_, LocateTail(&head_));
    tail_known_ = true;
  }
  return Status::Ok();
}

Status AuditLog::AdvanceHead(const Position& to) {
  const store::NewObject object{
      std::string(kHeadObjectName), SerializeHead({to.seq, to.sha256}), {}};
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (to.seq == 0 || head_.seq >= to.seq) return Status::Ok();
    auto put = head_.generation == 0 ? store_.PutIfAbsent(object)
                                     : store_.PutIfGeneration(object, head_.generation);
    if (put.ok()) {
      head_ = HeadState{put->generation, to.seq};
      return Status::Ok();
    }
    if (!put.status().is(ErrorCode::kConflict) && !put.status().is(ErrorCode::kNotFound)) {
      return put.status();
    }
    // Another writer moved (or someone removed) the head: look again.
    auto current = store_.Get(kHeadObjectName);
    if (current.status().is(ErrorCode::kNotFound)) {
      head_ = HeadState{};
      continue;
    }
    if (!current.ok()) return current.status();
    auto parsed = ParseHead(current->data);
    head_ = HeadState{current->info.generation, parsed.ok() ? parsed->seq : 0};
  }
  return Status::Conflict("could not move " + std::string(kHeadObjectName) + " to event " +
                          std::to_string(to.seq) + ": lost " + std::to_string(kMaxAttempts) +
                          " races with other writers");
}

Result<uint64_t> AuditLog::HeadSeq() {
  std::lock_guard<std::mutex> lock(mu_);
  TP_RETURN_IF_ERROR(CatchUp());
  return tail_.seq;
}

Result<AuditEvent> AuditLog::Append(AuditEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (event.time.empty()) event.time = FormatRfc3339(NowUnix());
  // Refuse a bad event before any I/O; seq and prev_sha256 are set below.
  event.seq = 1;
  event.prev_sha256.clear();
  TP_RETURN_IF_ERROR(ValidateEvent(event));
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    // A warm cache is trusted until PutIfAbsent says another writer was first.
    if (attempt > 0 || !tail_known_) TP_RETURN_IF_ERROR(CatchUp());
    // The head must reach the tail before the next event exists, so that it
    // never trails by more than one event.
    TP_RETURN_IF_ERROR(AdvanceHead(tail_));
    if (tail_.seq == UINT64_MAX) {  // only a forged audit/head gets here
      return Status::Internal("the audit log cannot grow past event " + std::to_string(tail_.seq));
    }
    event.seq = tail_.seq + 1;
    event.prev_sha256 = tail_.sha256;
    const std::string bytes = SerializeEvent(event);
    auto put = store_.PutIfAbsent({EventObjectName(event.seq), bytes, {}});
    if (put.ok()) {
      tail_ = Position{event.seq, Sha256Hex(bytes)};
      // The event is appended whatever happens to the head: failing here
      // would make the caller append it twice. A head left one behind is
      // what Verify tolerates, and the next Append moves it.
      (void)AdvanceHead(tail_);
      return event;
    }
    if (!put.status().is(ErrorCode::kConflict)) return put.status();
  }
  return Status::Conflict("could not append to the audit log: lost " +
                          std::to_string(kMaxAttempts) +
                          " races in a row for the next event number");
}

Result<std::vector<AuditEvent>> AuditLog::Read(uint64_t from, uint64_t to) const {
  // Listing, not counting up from `from`: a missing event is skipped rather
  // than ending the read, and a tampered head cannot send it astray.
  std::vector<AuditEvent> events;
  std::string token;
  do {
    TP_ASSIGN_OR_RETURN(store::ListPage page, store_.List(kAuditPrefix, token));
    for (const auto& info : page.objects) {
      auto seq = ParseEventObjectName(info.name);
      if (!seq.ok() || *seq < from) continue;  // audit/head, or before the range
      if (to != 0 && *seq > to) return events;
      auto object = store_.Get(info.name);
      if (object.status().is(ErrorCode::kNotFound)) continue;
      if (!object.ok()) return object.status();
      auto event = ParseEvent(object->data);
      if (!event.ok()) return event.status().WithContext(info.name);
      events.push_back(std::move(event).value());
    }
    token = std::move(page.next_page_token);
  } while (!token.empty());
  return events;
}

}  // namespace trustplane::audit
