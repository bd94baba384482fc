// When each audited change took effect: the time of the first
// `trustconfig.publish` event whose covers_seq reaches it.
#pragma once

#include <string>
#include <vector>

#include "trustplane/audit/audit_event.h"

namespace trustplane::audit {

// True for events that change the trusted set (trust.* that were not rejected).
bool ChangesTrust(const AuditEvent& event);

// One entry per event, in order: the publish time for trust changes already
// published, "" otherwise. `events` must be in sequence order.
std::vector<std::string> EffectiveTimes(const std::vector<AuditEvent>& events);

}  // namespace trustplane::audit
