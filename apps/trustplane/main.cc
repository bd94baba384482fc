// trustplane: the command-line front end. Exit codes (docs/cli.md):
// 0 ok, 1 internal, 2 bad input, 3 not found, 4 conflict, 5 refused by policy.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cfssl_flags.h"
#include "cmd_gateway.h"
#include "cmd_serve.h"
#include "context.h"

namespace trustplane::cli {

Result<Home*> Context::OpenHome() {
  if (!home_) {
    TP_ASSIGN_OR_RETURN(home_, Home::Open(home_dir()));
  }
  return home_.get();
}

void PrintJson(const nlohmann::json& value) { std::cout << value.dump(2) << "\n"; }

CLI::App* AddCommandGroup(CLI::App& app, Context& ctx, const std::string& name,
                          const std::string& description) {
  CLI::App* group = app.add_subcommand(name, description);
  // CLI11 runs a verb's callback before its group's, so an action set by the verb wins.
  group->callback([&ctx, group, name] {
    if (ctx.action) return;
    std::string verbs;
    for (const CLI::App* verb : group->get_subcommands({})) {
      verbs += (verbs.empty() ? "" : ", ") + verb->get_name();
    }
    ctx.action = [name, verbs] {
      return Status::InvalidArgument("`trustplane " + name + "` needs a verb: " + verbs);
    };
  });
  return group;
}

namespace {

std::string DefaultActor() {
  if (const char* env = std::getenv("TRUSTPLANE_ACTOR"); env && *env) return env;
  const passwd* pw = getpwuid(getuid());
  return std::string("user:") + (pw ? pw->pw_name : std::to_string(getuid()));
}

int Run(int argc, char** argv) {
  Context ctx;
  CLI::App app{"trustplane: mTLS trust for platforms — onboarding, trust configs, audit"};
  app.set_version_flag("--version", "trustplane 0.1.0");
  app.add_option("--home", ctx.home_flag,
                 "trustplane home directory (default: $TRUSTPLANE_HOME, then ~/.trustplane)");
  app.add_option("--output", ctx.output, "output format")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_option("--actor", ctx.actor,
                 "who is acting, recorded in the audit log (default: $TRUSTPLANE_ACTOR, then "
                 "user:<login>)");
  RegisterInitCommand(app, ctx);
  RegisterCertCommands(app, ctx);
  RegisterTrustCommands(app, ctx);
  RegisterVerifyCommand(app, ctx);
  RegisterAuditCommands(app, ctx);
  RegisterRenewCommand(app, ctx);
  RegisterCaCommands(app, ctx);
  RegisterKeysCommands(app, ctx);
  RegisterUpCommand(app, ctx);
  RegisterEchoBackendCommand(app, ctx);
  RegisterGatewayCommands(app, ctx);
  RegisterServeCommand(app, ctx);
  NormalizeCfsslFlags(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return static_cast<int>(ErrorCode::kInvalidArgument);
  }
  // The ca commands record no actor; looking the login up (NSS, /etc/passwd)
  // would only add to their start-up.
  if (ctx.actor.empty() && !app.got_subcommand("ca")) ctx.actor = DefaultActor();
  if (!ctx.action) {
    std::cerr << "trustplane: error: no command given (see --help)\n";
    return static_cast<int>(ErrorCode::kInvalidArgument);
  }
  Status status = ctx.action();
  if (!status.ok()) {
    std::cerr << "trustplane: error: " << status.message() << "\n";
    return static_cast<int>(status.code());
  }
  return 0;
}

}  // namespace
}  // namespace trustplane::cli

int main(int argc, char** argv) { return trustplane::cli::Run(argc, argv); }
