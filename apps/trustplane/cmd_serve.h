// `trustplane serve`: the control-plane REST API (docs/api.md), and
// `trustplane serve token create|list|revoke` for its credentials file.
#pragma once

#include <CLI/CLI.hpp>

#include "context.h"

namespace trustplane::cli {

void RegisterServeCommand(CLI::App& app, Context& ctx);

}  // namespace trustplane::cli
