#include "trustplane/audit/effective.h"

#include <algorithm>

namespace trustplane::audit {

bool ChangesTrust(const AuditEvent& e) { return e.action.rfind("trust.", 0) == 0 && e.result != "rejected"; }

std::vector<std::string> EffectiveTimes(const std::vector<AuditEvent>& events) {
  std::vector<std::string> effective(events.size());
  // Publishes only ever cover earlier events, so one forward scan serves all.
  size_t next_publish = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!ChangesTrust(events[i])) continue;
    for (next_publish = std::max(next_publish, i); next_publish < events.size(); ++next_publish) {
      const auto& p = events[next_publish];
      if (p.action == "trustconfig.publish" && p.details.is_object() &&
          p.details.value("covers_seq", uint64_t{0}) >= events[i].seq) {
        effective[i] = p.time;
        break;
      }
    }
  }
  return effective;
}

}  // namespace trustplane::audit
