// AuditLog: an append-only, hash-chained log of events in the bucket.
//
// Event N is the object audit/<N, 20 digits>.json, created with
// PutIfAbsent and holding the SHA-256 of event N-1's exact bytes. Writers in
// several processes race for the next number; exactly one wins each number
// and the others move on, so the chain never forks. Verify() detects a
// missing, edited, replaced or reordered event. (Deleting the newest events
// leaves a shorter valid chain: keep the head hash that Verify reports, or
// use bucket retention, to detect that.)
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "trustplane/audit/audit_event.h"
#include "trustplane/base/status.h"
#include "trustplane/store/object_store.h"

namespace trustplane::audit {

class AuditLog {
 public:
  explicit AuditLog(store::ObjectStore& store) : store_(store) {}

  // Assigns seq, time (when empty) and prev_sha256, then appends. Thread-safe
  // and safe across processes.
  Result<AuditEvent> Append(AuditEvent event);
  // The sequence number of the newest event (0 for an empty log).
  Result<uint64_t> HeadSeq();
  // Events with from <= seq <= to (to = 0: up to the newest), in order.
  Result<std::vector<AuditEvent>> Read(uint64_t from = 1, uint64_t to = 0) const;

  struct Report {
    bool ok = true;
    uint64_t events = 0;
    std::string head_sha256;  // hash of the newest event's bytes
    std::vector<std::string> problems;
  };
  // Chain problems go in the report; an error only when the bucket cannot be read.
  Result<Report> Verify() const;

 private:
  struct Tail {
    uint64_t seq = 0;
    std::string sha256;  // of event seq's bytes; "" when seq is 0
  };
  // Moves tail_ forward over events other writers appended.
  Status CatchUp();
  // Finds the newest event without listing the whole log.
  Status FindTail();

  store::ObjectStore& store_;
  std::mutex mu_;
  bool tail_known_ = false;
  Tail tail_;
};

}  // namespace trustplane::audit
