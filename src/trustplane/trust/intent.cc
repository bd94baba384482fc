#include "trustplane/trust/intent.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "trustplane/base/random.h"
#include "trustplane/trust/bucket_layout.h"

namespace trustplane::trust {
namespace {

// An intent this old is abandoned even if its pid is alive (pid reuse, other host).
constexpr UnixSeconds kAbandonAfterSeconds = 600;

const char* OpName(IntentItem::Op op) {
  switch (op) {
    case IntentItem::Op::kCreate: return "create";
    case IntentItem::Op::kClaim: return "claim";
    case IntentItem::Op::kUnclaim: return "unclaim";
    case IntentItem::Op::kDelete: return "delete";
  }
  return "";
}

std::string HostName() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

std::string Intent::ObjectName() const { return std::string(kIntentPrefix) + request_id + ".json"; }

std::string Intent::Serialize() const {
  nlohmann::json items_json = nlohmann::json::array();
  for (const auto& item : items) {
    items_json.push_back(
        {{"op", OpName(item.op)}, {"kind", TrustKindName(item.kind)}, {"sha256", item.sha256}});
  }
  nlohmann::json j = {{"request_id", request_id}, {"action", action}, {"actor", actor},
                      {"tenant", tenant},         {"reason", reason}, {"created", created},
                      {"host", host},             {"pid", pid},       {"items", items_json}};
  return j.dump() + "\n";
}

Result<Intent> Intent::Parse(std::string_view bytes) {
  try {
    auto j = nlohmann::json::parse(bytes);
    Intent in;
    in.request_id = j.at("request_id").get<std::string>();
    in.action = j.at("action").get<std::string>();
    in.actor = j.at("actor").get<std::string>();
    in.tenant = j.at("tenant").get<std::string>();
    in.reason = j.at("reason").get<std::string>();
    in.created = j.at("created").get<UnixSeconds>();
    in.host = j.at("host").get<std::string>();
    in.pid = j.at("pid").get<int>();
    for (const auto& ij : j.at("items")) {
      IntentItem item;
      std::string op = ij.at("op").get<std::string>();
      if (op == "create") item.op = IntentItem::Op::kCreate;
      else if (op == "claim") item.op = IntentItem::Op::kClaim;
      else if (op == "unclaim") item.op = IntentItem::Op::kUnclaim;
      else if (op == "delete") item.op = IntentItem::Op::kDelete;
      else return Status::InvalidArgument("intent has unknown op '" + op + "'");
      TP_ASSIGN_OR_RETURN(item.kind, ParseTrustKind(ij.at("kind").get<std::string>()));
      item.sha256 = ij.at("sha256").get<std::string>();
      in.items.push_back(std::move(item));
    }
    return in;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("unreadable intent record: ") + e.what());
  }
}

bool Intent::IsAbandoned(UnixSeconds now) const {
  if (now - created > kAbandonAfterSeconds) return true;
  if (host != HostName()) return false;
  return pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH);
}

Intent NewIntent(std::string action, std::string actor, std::string tenant, std::string reason) {
  Intent in;
  in.request_id = RandomHex(16);
  in.action = std::move(action);
  in.actor = std::move(actor);
  in.tenant = std::move(tenant);
  in.reason = std::move(reason);
  in.created = NowUnix();
  in.host = HostName();
  in.pid = static_cast<int>(getpid());
  return in;
}

}  // namespace trustplane::trust
