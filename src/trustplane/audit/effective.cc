#include "trustplane/audit/effective.h"

#include <algorithm>
#include <map>

namespace trustplane::audit {
namespace {

struct Reach {
  uint64_t covers_seq;
  const std::string* time;
};

uint64_t CoversSeq(const AuditEvent& e) {
  return e.details.is_object() ? e.details.value("covers_seq", uint64_t{0}) : 0;
}

// The time of the first entry whose covers_seq reaches seq, or nullptr.
// Append keeps covers_seq non-decreasing, so the list can be searched.
const std::string* FirstReaching(const std::vector<Reach>& reaches, uint64_t seq) {
  auto it = std::lower_bound(reaches.begin(), reaches.end(), seq,
                             [](const Reach& r, uint64_t s) { return r.covers_seq < s; });
  return it == reaches.end() ? nullptr : it->time;
}

// A later event covers at least what an earlier one did: the sets it was
// taken from were read later.
void Append(std::vector<Reach>& reaches, const AuditEvent& e) {
  uint64_t covers = CoversSeq(e);
  if (!reaches.empty()) covers = std::max(covers, reaches.back().covers_seq);
  reaches.push_back({covers, &e.time});
}

}  // namespace

bool ChangesTrust(const AuditEvent& e) { return e.action.rfind("trust.", 0) == 0 && e.result != "rejected"; }

std::vector<Effect> EffectiveTimes(const std::vector<AuditEvent>& events) {
  std::vector<Reach> publishes;
  std::map<std::string, std::vector<Reach>> gateways;  // by name, so output order is stable
  for (const auto& e : events) {
    if (e.action == "trustconfig.publish") {
      Append(publishes, e);
    } else if (e.action == kGatewayTrustLoaded && e.details.is_object()) {
      Append(gateways[e.details.value("gateway", e.actor)], e);
    }
  }
  std::vector<Effect> effects(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    if (!ChangesTrust(events[i])) continue;
    if (const std::string* t = FirstReaching(publishes, events[i].seq)) {
      effects[i].published_at = *t;
    }
    for (const auto& [name, reaches] : gateways) {
      if (const std::string* t = FirstReaching(reaches, events[i].seq)) {
        effects[i].loaded_by.push_back({name, *t});
      }
    }
  }
  return effects;
}

void AddEffectFields(const Effect& effect, nlohmann::json* event_json) {
  auto& j = *event_json;
  j["effective_at"] = effect.published_at.empty() ? nlohmann::json(nullptr)
                                                   : nlohmann::json(effect.published_at);
  j["loaded_by"] = nlohmann::json::array();
  for (const auto& g : effect.loaded_by) j["loaded_by"].push_back({{"gateway", g.gateway}, {"at", g.at}});
}

}  // namespace trustplane::audit
