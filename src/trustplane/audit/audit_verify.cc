// AuditLog::Verify: the whole-log check behind `trustplane audit verify`.
#include <optional>

#include "trustplane/audit/audit_log.h"
#include "trustplane/base/digest.h"

namespace trustplane::audit {
namespace {

std::string N(uint64_t n) {
  return std::to_string(n);
}

std::string GapProblem(uint64_t first_missing, uint64_t found) {
  std::string problem = found - first_missing == 1
                            ? "event " + N(first_missing) + " is missing"
                            : "events " + N(first_missing) + " to " + N(found - 1) + " are missing";
  return problem + (first_missing == 1
                        ? " (the log starts at event " + N(found) + ")"
                        : " (found " + N(first_missing - 1) + " then " + N(found) + ")");
}

// audit/head's bytes, or nullopt when there is none.
Result<std::optional<std::string>> HeadBytes(const store::ObjectStore& store) {
  auto object = store.Get(kHeadObjectName);
  if (object.status().is(ErrorCode::kNotFound)) return std::optional<std::string>();
  if (!object.ok()) return object.status();
  return std::optional<std::string>(std::move(object->data));
}

// The names under audit/, in order. A damaged object can make the listing
// fail: that is evidence, not an outage, so walk the sequence instead and
// let the caller name each damaged event.
Result<std::vector<std::string>> AuditObjectNames(const store::ObjectStore& store,
                                                  std::vector<std::string>* problems) {
  std::vector<std::string> names;
  auto infos = store.ListAll(kAuditPrefix);
  if (infos.ok()) {
    for (const auto& info : *infos) names.push_back(info.name);
    return names;
  }
  if (!infos.status().is(ErrorCode::kInternal)) return infos.status();
  problems->push_back("the audit log cannot be listed: " + infos.status().message());
  for (uint64_t seq = 1;; ++seq) {
    auto info = store.Stat(EventObjectName(seq));
    if (info.status().is(ErrorCode::kNotFound)) return names;
    names.push_back(EventObjectName(seq));
  }
}

}  // namespace

Result<AuditLog::Report> AuditLog::Verify() const {
  Report report;
  auto& problems = report.problems;
  // The head before the listing: it only moves forward and only to events
  // that exist, so appends running meanwhile cannot put it past the listing.
  TP_ASSIGN_OR_RETURN(std::optional<std::string> head_before, HeadBytes(store_));
  std::optional<AuditHead> head;
  if (head_before) {
    auto parsed = ParseHead(*head_before);
    if (parsed.ok()) {
      head = std::move(parsed).value();
    } else {
      problems.push_back(parsed.status().message());
    }
  }

  TP_ASSIGN_OR_RETURN(std::vector<std::string> names, AuditObjectNames(store_, &problems));
  uint64_t expected = 1, last = 0;
  std::string prev_hash;     // of the previous event's bytes; "" after a gap
  std::string hash_at_head;  // of the event the head names
  for (const auto& name : names) {
    if (name == kHeadObjectName) continue;
    auto seq_or = ParseEventObjectName(name);
    if (!seq_or.ok()) {
      problems.push_back("unexpected object " + name + " in the audit log");
      continue;
    }
    const uint64_t seq = *seq_or;
    if (seq > expected) {
      problems.push_back(GapProblem(expected, seq));
      prev_hash.clear();
    }
    expected = seq + 1;
    last = seq;
    auto object = store_.Get(name);
    if (!object.ok()) {
      problems.push_back("event " + N(seq) + " cannot be read: " + object.status().message());
      prev_hash.clear();
      continue;
    }
    const std::string hash = Sha256Hex(object->data);
    if (head && seq == head->seq) hash_at_head = hash;
    auto event = ParseEvent(object->data);
    if (!event.ok()) {
      problems.push_back(name + ": " + event.status().message());
    } else if (event->seq != seq) {
      problems.push_back(name + " holds event " + N(event->seq) +
                         ": events were moved or reordered");
    } else if (seq == 1 && !event->prev_sha256.empty()) {
      problems.push_back(
          "event 1 has a prev_sha256, but the first event has none: it was rewritten");
    } else if (seq > 1 && !prev_hash.empty() && event->prev_sha256 != prev_hash) {
      problems.push_back("event " + N(seq) + " does not chain to event " + N(seq - 1) +
                         " (prev_sha256 mismatch): event " + N(seq - 1) +
                         " was edited or replaced, or event " + N(seq) + " rewritten");
    }
    prev_hash = hash;
    report.head_sha256 = hash;
    ++report.events;
  }

  const std::string head_name(kHeadObjectName);
  if (head && head->seq > last) {
    problems.push_back(head_name + " names event " + N(head->seq) + " but the log ends at event " +
                       N(last) + ": the newest events were deleted");
  } else if (head && !hash_at_head.empty() && hash_at_head != head->sha256) {
    problems.push_back("event " + N(head->seq) + " does not match the hash " + head_name +
                       " recorded: it was edited or replaced after it was appended");
  }
  // Read again after the listing: by then the head reaches at least the
  // listing's newest event but one (see audit_log.h).
  if (last >= 2 && (head || !head_before)) {
    TP_ASSIGN_OR_RETURN(std::optional<std::string> head_after, HeadBytes(store_));
    if (!head_after) {
      problems.push_back(head_name + " is missing although the log reaches event " + N(last) +
                         ": it was deleted (the next append recreates it)");
    } else if (auto parsed = ParseHead(*head_after); !parsed.ok()) {
      problems.push_back(parsed.status().message());
    } else if (parsed->seq + 1 < last) {
      problems.push_back(
          head_name + " names event " + N(parsed->seq) + " but the log reaches event " + N(last) +
          ": it was moved back (it trails by one event at most, after a writer died)");
    }
  }
  report.ok = problems.empty();
  return report;
}

}  // namespace trustplane::audit
