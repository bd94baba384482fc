// What every long-running command (serve, ca serve, echo-backend) does around
// its server: SIGINT/SIGTERM blocked before server threads start (they
// inherit the mask, so only the waiting thread sees them), the bound port
// published in a file, then a wait for the stop signal.
#pragma once

#include <csignal>
#include <cstdint>
#include <string>

namespace trustplane::cli {

// Blocks SIGINT and SIGTERM in the calling thread; returns that set.
sigset_t BlockStopSignals();
// Waits for one of `signals`; returns "SIGINT" or "SIGTERM".
const char* WaitForStopSignal(const sigset_t& signals);
// Writes port to `path` aside and renames it into place, so a reader that
// sees a port can connect; "" writes nothing.
void WritePortFile(const std::string& path, uint16_t port);

}  // namespace trustplane::cli
