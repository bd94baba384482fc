#include <iostream>
#include <memory>

#include "context.h"

namespace trustplane::cli {

void RegisterInitCommand(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("init", "create the trustplane home: config, bucket directory, encryption key");
  auto options = std::make_shared<InitOptions>();
  cmd->add_option("--kek", options->kek,
                  "key-encryption key: a key file path or a pkcs11: URI (default: a new key file in the home)");
  cmd->add_option("--environment", options->environment,
                  "environment bound into every encrypted object (default: default)");
  cmd->callback([&ctx, options] {
    ctx.action = [&ctx, options]() -> Status {
      const std::string dir = ctx.home_dir();
      TP_ASSIGN_OR_RETURN(bool created, InitHome(dir, *options));
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
