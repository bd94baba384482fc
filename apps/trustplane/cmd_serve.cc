// `trustplane serve`: the control-plane REST API on the home's trust store,
// revisions and audit log. Runs until SIGINT or SIGTERM, then lets requests
// in flight finish. `serve token ...` manages <home>/api-tokens.yaml.
#include "cmd_serve.h"
#include "stop_signals.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "trustplane/api/auth_tokens.h"
#include "trustplane/api/control_api.h"
#include "trustplane/base/time.h"
#include "trustplane/net/http_server.h"

namespace trustplane::cli {
namespace {

std::string CredentialsPath(const std::string& home_dir) { return home_dir + "/api-tokens.yaml"; }

struct ServeOpts {
  std::string listen = "127.0.0.1:8443";
  std::string port_file;
  std::string tls_cert, tls_key, client_ca;
  std::string id;
  int threads = 0;
  size_t max_body = 1 << 20;
  double rate = 10, burst = 30;
};

// "127.0.0.1:8080", "[::1]:0"
Status ParseListen(const std::string& listen, std::string* host, uint16_t* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) {
    return Status::InvalidArgument("--listen must be HOST:PORT, not \"" + listen + "\"");
  }
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  int p = -1;
  try {
    size_t used = 0;
    p = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) p = -1;
  } catch (const std::exception&) {
    p = -1;
  }
  if (p < 0 || p > 65535 || host->empty()) {
    return Status::InvalidArgument("--listen must be HOST:PORT with a port 0..65535, not \"" + listen + "\"");
  }
  *port = static_cast<uint16_t>(p);
  return Status::Ok();
}

Status Serve(Context& ctx, const ServeOpts& o) {
  net::HttpServerOptions http;
  TP_RETURN_IF_ERROR(ParseListen(o.listen, &http.address, &http.port));
  http.threads = o.threads;
  http.max_body_bytes = o.max_body;
  http.error_formatter = api::ControlApi::ServerError;
  if (!o.tls_cert.empty() || !o.tls_key.empty()) {
    if (o.tls_cert.empty() || o.tls_key.empty()) {
      return Status::InvalidArgument("--tls-cert and --tls-key go together");
    }
    http.tls = net::TlsServerFiles{o.tls_cert, o.tls_key, o.client_ca};
  } else if (!o.client_ca.empty()) {
    return Status::InvalidArgument("--client-ca needs --tls-cert and --tls-key");
  }

  TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
  // Settle changes a crashed command left half-audited before serving.
  TP_RETURN_IF_ERROR(home->lifecycle().Recover().status());
  // Check the credentials file now, so a broken one fails at start.
  const std::string creds_path = CredentialsPath(home->dir());
  TP_ASSIGN_OR_RETURN(auto creds, api::LoadCredentialsFile(creds_path));
  if (creds.empty()) {
    std::cerr << "trustplane serve: warning: no credentials in " << creds_path
              << " yet; create one with `trustplane serve token create`\n";
  }
  api::Authenticator auth(creds_path);
  api::ControlApiOptions options;
  options.store = &home->trust_store();
  options.lifecycle = &home->lifecycle();
  options.revisions = &home->revisions();
  options.audit = &home->audit_log();
  options.auth = &auth;
  options.trust_config_id = o.id.empty() ? home->config().trust_config_id : o.id;
  options.rate_per_second = o.rate;
  options.rate_burst = o.burst;
  TP_ASSIGN_OR_RETURN(auto api, api::ControlApi::Create(std::move(options)));

  // Before the server threads start, so they inherit the mask.
  const sigset_t stop_signals = BlockStopSignals();

  api::ControlApi* handler = api.get();
  TP_ASSIGN_OR_RETURN(auto server, net::HttpServer::Start(std::move(http), [handler](const net::HttpRequest& r) {
                        return handler->Handle(r);
                      }));
  std::string host = o.listen.substr(0, o.listen.rfind(':'));
  const std::string url =
      std::string(server->tls() ? "https" : "http") + "://" + host + ":" + std::to_string(server->port());
  std::cerr << "trustplane serve: listening on " << url << "/api/v1/"
            << (o.client_ca.empty() ? "" : " (client certificates required)") << std::endl;
  WritePortFile(o.port_file, server->port());
  std::cerr << "trustplane serve: " << WaitForStopSignal(stop_signals) << ": finishing requests in flight"
            << std::endl;
  server->Stop();
  std::cerr << "trustplane serve: stopped" << std::endl;
  return Status::Ok();
}

// Credential changes are recorded like trust changes: who granted what to whom.
Status AuditCredentialChange(Context& ctx, Home& home, const std::string& action, const api::Credential& c) {
  audit::AuditEvent e;
  e.actor = ctx.actor;
  e.action = action;
  e.result = "ok";
  // The tenant goes in details, not `tenant`: a tenant's trail is its objects.
  e.details = {{"api_actor", c.actor}, {"role", api::RoleName(c.role)}};
  if (!c.tenant.empty()) e.details["api_tenant"] = c.tenant;
  return home.audit_log().Append(std::move(e)).status();
}

void TokenCommands(CLI::App& serve, Context& ctx) {
  auto* token = AddCommandGroup(serve, ctx, "token", "API credentials in <home>/api-tokens.yaml");

  struct CreateOpts {
    std::string actor, role, tenant, subject_cn;
  };
  auto c = std::make_shared<CreateOpts>();
  auto* create = token->add_subcommand(
      "create", "make a bearer token (printed once; only its hash is stored), or with --subject-cn map an mTLS "
                "client certificate");
  create->add_option("--actor", c->actor, "who the credential acts as, recorded in the audit log")->required();
  create->add_option("--role", c->role, "viewer, tenant, operator or admin")
      ->required()
      ->check(CLI::IsMember({"viewer", "tenant", "operator", "admin"}));
  create->add_option("--tenant", c->tenant, "the tenant (role tenant only)");
  create->add_option("--subject-cn", c->subject_cn, "authenticate client certificates with this CN instead");
  create->callback([&ctx, c] {
    ctx.action = [&ctx, c]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      const std::string path = CredentialsPath(home->dir());
      TP_ASSIGN_OR_RETURN(auto creds, api::LoadCredentialsFile(path));
      api::Credential cred;
      cred.actor = c->actor;
      TP_ASSIGN_OR_RETURN(cred.role, api::ParseRole(c->role));
      cred.tenant = c->tenant;
      cred.subject_cn = c->subject_cn;
      cred.created_at = FormatRfc3339(NowUnix());
      std::string token;
      if (c->subject_cn.empty()) {
        token = api::NewBearerToken();
        cred.token_sha256 = api::BearerTokenHash(token);
      }
      TP_RETURN_IF_ERROR(api::ValidateCredential(cred));
      for (const auto& other : creds) {
        if (!cred.subject_cn.empty() && other.subject_cn == cred.subject_cn) {
          return Status::Conflict("client certificate CN " + cred.subject_cn + " already maps to " + other.actor);
        }
      }
      creds.push_back(cred);
      TP_RETURN_IF_ERROR(api::SaveCredentialsFile(path, creds));
      TP_RETURN_IF_ERROR(AuditCredentialChange(ctx, *home, "api.credential.create", cred));
      if (ctx.json()) {
        nlohmann::json j = {{"actor", cred.actor}, {"role", api::RoleName(cred.role)}, {"tenant", cred.tenant}};
        if (!token.empty()) j["token"] = token;
        if (!cred.subject_cn.empty()) j["subject_cn"] = cred.subject_cn;
        PrintJson(j);
      } else if (!token.empty()) {
        std::cout << token << "\n";
        std::cerr << "token for " << cred.actor << " (" << api::RoleName(cred.role)
                  << (cred.tenant.empty() ? "" : ", tenant " + cred.tenant)
                  << "): shown once; only its hash is kept in " << path << "\n";
      } else {
        std::cout << "client certificates with CN " << cred.subject_cn << " act as " << cred.actor << "\n";
      }
      return Status::Ok();
    };
  });

  auto* list = token->add_subcommand("list", "list API credentials (never the tokens)");
  list->callback([&ctx] {
    ctx.action = [&ctx]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto creds, api::LoadCredentialsFile(CredentialsPath(home->dir())));
      nlohmann::json all = nlohmann::json::array();
      for (const auto& cr : creds) {
        if (ctx.json()) {
          all.push_back({{"actor", cr.actor},
                         {"role", api::RoleName(cr.role)},
                         {"tenant", cr.tenant},
                         {"kind", cr.subject_cn.empty() ? "bearer" : "mtls"},
                         {"subject_cn", cr.subject_cn},
                         {"created_at", cr.created_at}});
        } else {
          std::cout << cr.actor << "\t" << api::RoleName(cr.role) << "\t" << (cr.tenant.empty() ? "-" : cr.tenant)
                    << "\t" << (cr.subject_cn.empty() ? "bearer" : "mtls CN=" + cr.subject_cn) << "\t"
                    << cr.created_at << "\n";
        }
      }
      if (ctx.json()) PrintJson(all);
      return Status::Ok();
    };
  });

  auto revoke_actor = std::make_shared<std::string>();
  auto* revoke = token->add_subcommand("revoke", "remove every credential of an actor (takes effect at once)");
  revoke->add_option("--actor", *revoke_actor, "the actor")->required();
  revoke->callback([&ctx, revoke_actor] {
    ctx.action = [&ctx, revoke_actor]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      const std::string path = CredentialsPath(home->dir());
      TP_ASSIGN_OR_RETURN(auto creds, api::LoadCredentialsFile(path));
      std::vector<api::Credential> kept, gone;
      for (auto& cr : creds) (cr.actor == *revoke_actor ? gone : kept).push_back(std::move(cr));
      if (gone.empty()) return Status::NotFound("no API credential for actor " + *revoke_actor);
      TP_RETURN_IF_ERROR(api::SaveCredentialsFile(path, kept));
      for (const auto& cr : gone) TP_RETURN_IF_ERROR(AuditCredentialChange(ctx, *home, "api.credential.revoke", cr));
      if (ctx.json()) {
        PrintJson({{"actor", *revoke_actor}, {"revoked", gone.size()}});
      } else {
        std::cout << "revoked " << gone.size() << " credential(s) of " << *revoke_actor << "\n";
      }
      return Status::Ok();
    };
  });
}

}  // namespace

void RegisterServeCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ServeOpts>();
  auto* cmd = app.add_subcommand("serve", "serve the control-plane REST API (/api/v1/, docs/api.md)");
  cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (default 127.0.0.1:8443; port 0: any free port)");
  cmd->add_option("--port-file", o->port_file, "write the bound port to this file once listening");
  cmd->add_option("--tls-cert", o->tls_cert, "serve HTTPS with this certificate chain (PEM)");
  cmd->add_option("--tls-key", o->tls_key, "key of --tls-cert");
  cmd->add_option("--client-ca", o->client_ca,
                  "require client certificates issued by these CAs; their CN maps to an actor (token create "
                  "--subject-cn)");
  cmd->add_option("--id", o->id, "trust config id (default: trust_config_id from config.yaml)");
  cmd->add_option("--threads", o->threads, "server threads (default: one per core)");
  cmd->add_option("--max-body", o->max_body, "largest request body in bytes (default 1 MiB)");
  cmd->add_option("--rate", o->rate, "requests per second per actor (default 10; 0: unlimited)");
  cmd->add_option("--burst", o->burst, "burst of requests per actor (default 30)");
  TokenCommands(*cmd, ctx);
  // A `token` verb sets the action first; plain `serve` serves.
  cmd->callback([&ctx, o] {
    if (ctx.action) return;
    ctx.action = [&ctx, o] { return Serve(ctx, *o); };
  });
}

}  // namespace trustplane::cli
