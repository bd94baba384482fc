#include "trustplane/audit/audit_event.h"

#include <cstdio>

namespace trustplane::audit {

std::string SerializeEvent(const AuditEvent& e) {
  nlohmann::json j = {{"seq", e.seq},
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
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<AuditEvent> ParseEvent(std::string_view bytes) {
  try {
    auto j = nlohmann::json::parse(bytes);
    if (!j.is_object()) return Status::InvalidArgument("audit event is not a JSON object");
    AuditEvent e;
    e.seq = j.at("seq").get<uint64_t>();
    e.time = j.at("time").get<std::string>();
    e.actor = j.at("actor").get<std::string>();
    e.action = j.at("action").get<std::string>();
    e.tenant = j.at("tenant").get<std::string>();
    e.fingerprints = j.at("fingerprints").get<std::vector<std::string>>();
    e.result = j.at("result").get<std::string>();
    e.reason = j.at("reason").get<std::string>();
    e.request_id = j.at("request_id").get<std::string>();
    e.prev_sha256 = j.at("prev_sha256").get<std::string>();
    if (j.contains("details")) e.details = j.at("details");
    return e;
  } catch (const nlohmann::json::exception& ex) {
    return Status::InvalidArgument(std::string("unreadable audit event: ") + ex.what());
  }
}

std::string EventObjectName(uint64_t seq) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "audit/%020llu.json", static_cast<unsigned long long>(seq));
  return buf;
}

Result<uint64_t> ParseEventObjectName(std::string_view name) {
  constexpr size_t kDigits = 20;
  if (name.size() != kAuditPrefix.size() + kDigits + 5 || name.substr(0, kAuditPrefix.size()) != kAuditPrefix ||
      name.substr(name.size() - 5) != ".json") {
    return Status::InvalidArgument("'" + std::string(name) + "' is not an audit event name");
  }
  uint64_t seq = 0;
  for (char c : name.substr(kAuditPrefix.size(), kDigits)) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("'" + std::string(name) + "' is not an audit event name");
    }
    seq = seq * 10 + static_cast<uint64_t>(c - '0');
  }
  return seq;
}

}  // namespace trustplane::audit
