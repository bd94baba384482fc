// AuditEvent: one entry of the hash-chained audit log (docs/formats.md).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trustplane/base/status.h"

namespace trustplane::audit {

struct AuditEvent {
  uint64_t seq = 0;   // assigned by AuditLog::Append, from 1
  std::string time;   // RFC 3339 UTC; assigned by Append when empty
  std::string actor;  // "user:alice", "token:ci-pipeline"
  std::string action;  // "trust.add", "trust.claim", "trust.remove", "trust.gc", ...
  std::string tenant;
  std::vector<std::string> fingerprints;  // SHA-256 of the certificates concerned
  std::string result;                     // "added", "rejected", "removed", ...
  std::string reason;
  std::string request_id;  // the request (intent) that made the change
  nlohmann::json details;  // optional structured data; omitted when null
  std::string prev_sha256;  // SHA-256 of the previous event object's bytes; "" for seq 1
};

// Canonical bytes: compact JSON with sorted keys and a trailing newline, so
// the same event always hashes the same.
std::string SerializeEvent(const AuditEvent& event);
Result<AuditEvent> ParseEvent(std::string_view bytes);
// "audit/00000000000000000042.json"
std::string EventObjectName(uint64_t seq);
// The sequence number in an event object name; kInvalidArgument for other names.
Result<uint64_t> ParseEventObjectName(std::string_view name);

inline constexpr std::string_view kAuditPrefix = "audit/";

}  // namespace trustplane::audit
