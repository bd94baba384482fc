// `trustplane ca serve`: a drop-in for `cfssl serve` (same flags and defaults).
#pragma once

#include <CLI/CLI.hpp>

#include "context.h"

namespace trustplane::cli {

void RegisterCaServeCommand(CLI::App& ca, Context& ctx);

}  // namespace trustplane::cli
