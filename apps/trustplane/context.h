// Context: global flags and the one action the parsed command line selected.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "home.h"
#include "trustplane/base/status.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::cli {

struct Context {
  std::string home_flag;
  std::string output = "text";
  std::string actor;
  std::function<Status()> action;

  bool json() const { return output == "json"; }
  std::string home_dir() const { return ResolveHomeDir(home_flag); }
  // Opens the home once per process.
  Result<Home*> OpenHome();

 private:
  std::unique_ptr<Home> home_;
};

void PrintJson(const nlohmann::json& value);
// A command group ("trust", "cert", ...): run without a verb, it fails with
// the list of its verbs instead of CLI11's generic message.
CLI::App* AddCommandGroup(CLI::App& app, Context& ctx, const std::string& name,
                          const std::string& description);
nlohmann::json CertificateJson(const x509::Certificate& cert);

void RegisterInitCommand(CLI::App& app, Context& ctx);
void RegisterCertCommands(CLI::App& app, Context& ctx);
void RegisterTrustCommands(CLI::App& app, Context& ctx);
void RegisterVerifyCommand(CLI::App& app, Context& ctx);
void RegisterAuditCommands(CLI::App& app, Context& ctx);
void RegisterRenewCommand(CLI::App& app, Context& ctx);
void RegisterCaCommands(CLI::App& app, Context& ctx);
void RegisterKeysCommands(CLI::App& app, Context& ctx);
void RegisterUpCommand(CLI::App& app, Context& ctx);
void RegisterEchoBackendCommand(CLI::App& app, Context& ctx);
void RegisterCaRevocationCommands(CLI::App& ca, Context& ctx);
void RegisterCaBundleCommand(CLI::App& ca, Context& ctx);

}  // namespace trustplane::cli
