#include <iostream>

#include "context.h"

namespace trustplane::cli {

void RegisterInitCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("init", "create the trustplane home: config and bucket directory");
  cmd->callback([&ctx] {
    ctx.action = [&ctx]() -> Status {
      const std::string dir = ctx.home_dir();
      TP_ASSIGN_OR_RETURN(bool created, InitHome(dir));
      if (ctx.json()) {
        PrintJson({{"home", dir}, {"created", created}});
      } else {
        std::cout << (created ? "initialized " : "already initialized: ") << dir << "\n";
      }
      return Status::Ok();
    };
  });
}

}  // namespace trustplane::cli
