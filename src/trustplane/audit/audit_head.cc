#include "trustplane/audit/audit_head.h"

#include <nlohmann/json.hpp>

#include "trustplane/audit/audit_event.h"

namespace trustplane::audit {

std::string SerializeHead(const AuditHead& head) {
  return nlohmann::json{{"seq", head.seq}, {"sha256", head.sha256}}.dump() + "\n";
}

Result<AuditHead> ParseHead(std::string_view bytes) {
  const auto invalid = [](const std::string& why) {
    return Status::InvalidArgument(std::string(kHeadObjectName) + " " + why);
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::parse_error& ex) {
    return invalid("is not valid JSON (syntax error at byte " + std::to_string(ex.byte) + ")");
  }
  if (!j.is_object() || j.size() != 2 || !j.contains("seq") || !j.contains("sha256")) {
    return invalid("must be a JSON object with exactly the fields \"seq\" and \"sha256\"");
  }
  const auto& seq = j["seq"];
  const auto& sha = j["sha256"];
  if (!seq.is_number_unsigned() || seq.get<uint64_t>() == 0) {
    return invalid("field \"seq\" must be a positive integer, not " + seq.dump());
  }
  if (!sha.is_string() || !IsSha256Hex(sha.get<std::string>())) {
    return invalid("field \"sha256\" must be 64 lowercase hex digits, not " + sha.dump());
  }
  return AuditHead{seq.get<uint64_t>(), sha.get<std::string>()};
}

}  // namespace trustplane::audit
