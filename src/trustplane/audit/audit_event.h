// AuditEvent: one entry of the hash-chained audit log (docs/formats.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"

namespace trustplane::audit {

struct AuditEvent {
  uint64_t seq = 0;    // assigned by AuditLog::Append, from 1
  std::string time;    // RFC 3339 UTC; assigned by Append when empty
  std::string actor;   // "user:alice", "operator:root", "token:ci-pipeline"; required
  std::string action;  // "trust.add", "trust.claim", "trust.remove", "trust.gc", ...; required
  std::string tenant;
  std::vector<std::string> fingerprints;  // SHA-256 of the certificates concerned
  std::string result;                     // "added", "rejected", "removed", ...
  std::string reason;
  std::string request_id;   // the request (intent) that made the change
  nlohmann::json details;   // optional structured data: null (omitted) or an object
  std::string prev_sha256;  // SHA-256 of the previous event object's bytes; "" for seq 1
};

// Canonical bytes: compact JSON with sorted keys and a trailing newline, so
// the same event always hashes the same.
std::string SerializeEvent(const AuditEvent& event);
// Parses and validates (ValidateEvent) an event object's bytes. Every field
// but `details` is required and unknown fields are refused, so nothing in an
// event can go unseen. kInvalidArgument naming the field and the problem.
Result<AuditEvent> ParseEvent(std::string_view bytes);
// What every stored event satisfies: seq >= 1, time in RFC 3339, actor and
// action not empty, prev_sha256 empty or 64 lowercase hex digits, details
// null or an object. Append checks it before writing, so it never stores an
// event that ParseEvent would refuse.
Status ValidateEvent(const AuditEvent& event);

// 64 lowercase hex digits: how prev_sha256 and audit/head spell a hash.
bool IsSha256Hex(std::string_view s);

inline constexpr std::string_view kAuditPrefix = "audit/";
// "audit/00000000000000000042.json"
std::string EventObjectName(uint64_t seq);
// The sequence number (>= 1) in an event object name; kInvalidArgument for other names.
Result<uint64_t> ParseEventObjectName(std::string_view name);

}  // namespace trustplane::audit
