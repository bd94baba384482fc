// `trustplane echo-backend --listen HOST:PORT`: answers every request with the
// request itself as JSON (method, path, headers), so the headers the gateway
// adds can be seen; `trustplane up` runs it behind the gateway.
#include <signal.h>

#include <iostream>
#include <memory>

#include "context.h"
#include "stop_signals.h"
#include "trustplane/net/http_server.h"

namespace trustplane::cli {
namespace {

Status Echo(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("--listen wants HOST:PORT, not " + listen);
  net::HttpServerOptions options;
  options.address = listen.substr(0, colon);
  try {
    options.port = static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)));
  } catch (const std::exception&) {
    return Status::InvalidArgument("--listen wants HOST:PORT, not " + listen);
  }
  options.threads = 1;
  // Before the server thread starts, so it inherits the mask.
  const sigset_t stop_signals = BlockStopSignals();
  TP_ASSIGN_OR_RETURN(auto server, net::HttpServer::Start(options, [](const net::HttpRequest& r) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : r.headers) headers[name] = value;
    net::HttpResponse response;
    response.body = nlohmann::json{{"method", r.method}, {"path", r.target}, {"headers", headers}}.dump(2) + "\n";
    return response;
  }));
  std::cerr << "echo backend on http://" << listen << "/\n";
  WaitForStopSignal(stop_signals);
  server->Stop();
  return Status::Ok();
}

}  // namespace

void RegisterEchoBackendCommand(CLI::App& app, Context& ctx) {
  auto listen = std::make_shared<std::string>("127.0.0.1:9000");
  auto* cmd = app.add_subcommand("echo-backend", "an HTTP backend that echoes each request as JSON (for demos)");
  cmd->add_option("--listen", *listen, "HOST:PORT (default 127.0.0.1:9000)");
  cmd->callback([&ctx, listen] { ctx.action = [listen] { return Echo(*listen); }; });
}

}  // namespace trustplane::cli
