// `trustplane gateway serve|check`: the mTLS gateway (issue 4).
#pragma once

#include "context.h"

namespace trustplane::cli {

void RegisterGatewayCommands(CLI::App& app, Context& ctx);

}  // namespace trustplane::cli
