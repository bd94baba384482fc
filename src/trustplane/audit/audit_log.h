// AuditLog: an append-only, hash-chained log of events in the bucket.
//
// Event N is the object audit/<N, 20 digits>.json, created with PutIfAbsent
// and holding the SHA-256 of event N-1's exact bytes. Writers in several
// processes race for the next number; exactly one wins each number and a
// loser reads the winner's event to chain to it, so the chain never forks.
// A writer killed at any point leaves no new event or a complete one (objects
// are atomic).
//
// The chain shows a missing, edited, replaced or reordered event, but not the
// loss or edit of the newest one: no later event points at it. audit/head
// (audit_head.h) does. It only moves forward, to events that exist, and
// before event N+1 is created it is made to reach N, so it trails the log by
// at most one event: a writer that died between its append and moving the
// head. Verify accepts exactly that lag, so in that window (and only then)
// deleting the newest event goes unnoticed.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "trustplane/audit/audit_event.h"
#include "trustplane/audit/audit_head.h"
#include "trustplane/base/status.h"
#include "trustplane/store/object_store.h"

namespace trustplane::audit {

class AuditLog {
 public:
  explicit AuditLog(store::ObjectStore& store) : store_(store) {}

  // Assigns seq, prev_sha256 and time (when empty), then appends and returns
  // the event as stored. kInvalidArgument when the event fails ValidateEvent
  // (e.g. no actor), kConflict after losing 1000 races in a row for the next
  // number. Thread-safe and safe across processes. With a warm cache it
  // costs two writes (the event, audit/head); reads happen only on a cold
  // cache or after another writer took the number.
  Result<AuditEvent> Append(AuditEvent event);
  // The sequence number of the newest event (0 for an empty log).
  Result<uint64_t> HeadSeq();
  // Events with from <= seq <= to (to = 0: up to the newest), in order. A
  // missing event is skipped (Verify reports it); an unreadable one is an
  // error naming its object.
  Result<std::vector<AuditEvent>> Read(uint64_t from = 1, uint64_t to = 0) const;

  struct Report {
    bool ok = true;
    uint64_t events = 0;
    std::string head_sha256;  // hash of the newest event's bytes
    std::vector<std::string> problems;
  };
  // Checks the whole log: event names contiguous from 1, each event valid
  // with the seq of its name, each prev_sha256 the hash of the previous
  // event's bytes, audit/head not past the newest event and matching the
  // event it names, nothing else under audit/. Chain problems go in the
  // report; an error only when the bucket cannot be read.
  Result<Report> Verify() const;

 private:
  // An event and the hash of its bytes; seq 0 is the empty log.
  struct Position {
    uint64_t seq = 0;
    std::string sha256;
  };
  // audit/head as this writer last saw or wrote it.
  struct HeadState {
    int64_t generation = 0;  // 0: absent
    uint64_t seq = 0;        // 0: absent or unreadable
  };

  // The newest event, for a writer that knows nothing: from audit/head when
  // it is readable, else by binary search. Fills *head.
  Result<Position> LocateTail(HeadState* head) const;
  // Moves `from` forward over the events appended after it.
  Result<Position> ProbeForward(Position from) const;
  // Brings tail_ to the newest event.
  Status CatchUp();
  // Moves audit/head forward to `to` unless it is there or beyond already.
  Status AdvanceHead(const Position& to);

  store::ObjectStore& store_;
  std::mutex mu_;
  bool tail_known_ = false;
  Position tail_;
  HeadState head_;
};

}  // namespace trustplane::audit
