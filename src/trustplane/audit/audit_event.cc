#include "trustplane/audit/audit_event.h"

#include <algorithm>
#include <cstdio>

#include "trustplane/base/time.h"

namespace trustplane::audit {
namespace {

using nlohmann::json;

constexpr std::string_view kEventSuffix = ".json";
constexpr size_t kSeqDigits = 20;

Status Invalid(const std::string& message) {
  return Status::InvalidArgument("audit event " + message);
}

Status TakeString(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) return Invalid("has no \"" + std::string(key) + "\" field");
  if (!it->is_string()) {
    return Invalid("field \"" + std::string(key) + "\" must be a string, not " + it->type_name());
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

Status TakeFields(const json& j, AuditEvent* e) {
  static constexpr const char* kKnown[] = {"seq",        "time",         "actor",  "action",
                                           "tenant",     "fingerprints", "result", "reason",
                                           "request_id", "prev_sha256",  "details"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return Invalid("has an unknown field \"" + key + "\"");
    }
  }
  auto seq = j.find("seq");
  if (seq == j.end()) return Invalid("has no \"seq\" field");
  if (!seq->is_number_unsigned()) {
    return Invalid("field \"seq\" must be a positive integer, not " + seq->dump());
  }
  e->seq = seq->get<uint64_t>();
  TP_RETURN_IF_ERROR(TakeString(j, "time", &e->time));
  TP_RETURN_IF_ERROR(TakeString(j, "actor", &e->actor));
  TP_RETURN_IF_ERROR(TakeString(j, "action", &e->action));
  TP_RETURN_IF_ERROR(TakeString(j, "tenant", &e->tenant));
  TP_RETURN_IF_ERROR(TakeString(j, "result", &e->result));
  TP_RETURN_IF_ERROR(TakeString(j, "reason", &e->reason));
  TP_RETURN_IF_ERROR(TakeString(j, "request_id", &e->request_id));
  TP_RETURN_IF_ERROR(TakeString(j, "prev_sha256", &e->prev_sha256));
  auto fps = j.find("fingerprints");
  if (fps == j.end()) return Invalid("has no \"fingerprints\" field");
  if (!fps->is_array() ||
      !std::all_of(fps->begin(), fps->end(), [](const json& f) { return f.is_string(); })) {
    return Invalid("field \"fingerprints\" must be an array of strings");
  }
  e->fingerprints = fps->get<std::vector<std::string>>();
  if (auto details = j.find("details"); details != j.end()) e->details = *details;
  return Status::Ok();
}

}  // namespace

bool IsSha256Hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string SerializeEvent(const AuditEvent& e) {
  // nlohmann::json's object is a std::map: keys come out sorted.
  json j = {{"seq", e.seq},
            {"time", e.time},
            {"actor", e.actor},
            {"action", e.action},
            {"tenant", e.tenant},
            {"fingerprints", e.fingerprints},
            {"result", e.result},
            {"reason", e.reason},
            {"request_id", e.request_id},
            {"prev_sha256", e.prev_sha256}};
  if (!e.details.is_null()) j["details"] = e.details;
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

Status ValidateEvent(const AuditEvent& e) {
  if (e.seq == 0) return Invalid("field \"seq\" must be at least 1");
  if (!ParseRfc3339(e.time).ok()) {
    return Invalid("field \"time\" must be an RFC 3339 time, not \"" + e.time + "\"");
  }
  if (e.actor.empty()) return Invalid("field \"actor\" is empty: every event names who acted");
  if (e.action.empty())
    return Invalid("field \"action\" is empty: every event names what was done");
  if (!e.prev_sha256.empty() && !IsSha256Hex(e.prev_sha256)) {
    return Invalid("field \"prev_sha256\" must be empty or 64 lowercase hex digits, not \"" +
                   e.prev_sha256 + "\"");
  }
  if (!e.details.is_null() && !e.details.is_object()) {
    return Invalid("field \"details\" must be a JSON object, not " +
                   std::string(e.details.type_name()));
  }
  return Status::Ok();
}

Result<AuditEvent> ParseEvent(std::string_view bytes) {
  json j;
  try {
    j = json::parse(bytes);
  } catch (const json::parse_error& ex) {
    return Invalid("is not valid JSON (syntax error at byte " + std::to_string(ex.byte) + " of " +
                   std::to_string(bytes.size()) + ")");
  }
  if (!j.is_object()) return Invalid("must be a JSON object, not " + std::string(j.type_name()));
  AuditEvent e;
  TP_RETURN_IF_ERROR(TakeFields(j, &e));
  TP_RETURN_IF_ERROR(ValidateEvent(e));
  return e;
}

std::string EventObjectName(uint64_t seq) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "audit/%020llu.json", static_cast<unsigned long long>(seq));
  return buf;
}

Result<uint64_t> ParseEventObjectName(std::string_view name) {
  const auto not_event = [&] {
    return Status::InvalidArgument("'" + std::string(name) + "' is not an audit event name");
  };
  if (name.size() != kAuditPrefix.size() + kSeqDigits + kEventSuffix.size() ||
      !name.starts_with(kAuditPrefix) || !name.ends_with(kEventSuffix)) {
    return not_event();
  }
  uint64_t seq = 0;
  for (char c : name.substr(kAuditPrefix.size(), kSeqDigits)) {
    if (c < '0' || c > '9') return not_event();
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (seq > (UINT64_MAX - digit) / 10) return not_event();  // 20 digits can exceed uint64
    seq = seq * 10 + digit;
  }
  if (seq == 0) return not_event();  // events count from 1
  return seq;
}

}  // namespace trustplane::audit
