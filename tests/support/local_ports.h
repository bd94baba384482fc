// Ports on 127.0.0.1 for tests that start servers.
#pragma once

#include <cstdint>

namespace trustplane::testing {

// A port nobody listens on right now (the kernel's pick for an ephemeral bind).
uint16_t FreePort();
// Whether something accepts TCP connections on 127.0.0.1:port.
bool CanConnect(uint16_t port);

}  // namespace trustplane::testing
