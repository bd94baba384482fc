// AuditHead: the object audit/head, which names the newest audit event and
// the SHA-256 of its bytes. The hash chain shows a missing or edited event
// only when a later event points at it; the head points at the newest one,
// so deleting or editing the end of the log is detectable too.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"

namespace trustplane::audit {

inline constexpr std::string_view kHeadObjectName = "audit/head";

struct AuditHead {
  uint64_t seq = 0;    // the newest event, >= 1
  std::string sha256;  // of event seq's exact bytes, 64 lowercase hex digits
};

// {"seq":42,"sha256":"..."} and a newline.
std::string SerializeHead(const AuditHead& head);
// kInvalidArgument naming the problem.
Result<AuditHead> ParseHead(std::string_view bytes);

}  // namespace trustplane::audit
