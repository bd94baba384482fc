// When each audited change took effect: published, when the first
// `trustconfig.publish` event whose covers_seq reaches it was written; and
// loaded by a gateway, when the first `gateway.trust_loaded` event of that
// gateway whose covers_seq reaches it was written (a gateway reports the
// audit head it read before loading its trust set, so its set holds every
// change up to there).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "trustplane/audit/audit_event.h"

namespace trustplane::audit {

// The action a gateway records each time it starts enforcing a new trust set.
inline constexpr std::string_view kGatewayTrustLoaded = "gateway.trust_loaded";

// True for events that change the trusted set (trust.* that were not rejected).
bool ChangesTrust(const AuditEvent& event);

struct GatewayLoad {
  std::string gateway;  // the gateway's name (its event's details.gateway)
  std::string at;       // RFC 3339 time of its load event
};

struct Effect {
  std::string published_at;          // "" while unpublished
  std::vector<GatewayLoad> loaded_by;  // gateways enforcing it, by name
};

// One entry per event, in order; empty for events that do not change trust.
// `events` must be in sequence order.
std::vector<Effect> EffectiveTimes(const std::vector<AuditEvent>& events);

// Adds to an event's JSON form "effective_at" (time or null) and "loaded_by"
// ([{gateway, at}]), the fields the CLI and the API show for trust changes.
void AddEffectFields(const Effect& effect, nlohmann::json* event_json);

}  // namespace trustplane::audit
