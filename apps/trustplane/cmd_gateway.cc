// `trustplane gateway serve --config gateway.yaml [--workers N] [--access-log FILE]`
// `trustplane gateway check --config gateway.yaml [--cert LEAF [--chain FILE]]`
#include "cmd_gateway.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "trustplane/base/digest.h"
#include "trustplane/gateway/client_verifier.h"
#include "trustplane/gateway/gateway_config.h"
#include "trustplane/gateway/gateway_server.h"
#include "trustplane/gateway/trust_load_reporter.h"
#include "trustplane/gateway/trust_snapshot.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::cli {
namespace {

using gateway::GatewayConfig;
using gateway::TrustSnapshotHolder;

// The config and its trust set, loaded; `home` owns the store a home source
// reads and the audit log `reporter` writes to.
struct Loaded {
  GatewayConfig config;
  std::string config_digest;
  std::unique_ptr<Home> home;
  std::unique_ptr<gateway::TrustLoadReporter> reporter;
  std::unique_ptr<TrustSnapshotHolder> trust;
};

// The name a gateway reports under when none is given: host name and port.
std::string DefaultGatewayName(const GatewayConfig& config) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "gateway");
  return std::string(host) + ":" + std::to_string(config.listen.port);
}

// How a serving gateway names itself in a home's audit log, where it records
// every trust set it loads; `check` does not report.
struct Reporting {
  bool enabled = false;
  std::string name;  // "" = DefaultGatewayName
};

Result<std::unique_ptr<Loaded>> Load(const std::string& path, const Reporting& reporting = {}) {
  auto loaded = std::make_unique<Loaded>();
  TP_ASSIGN_OR_RETURN(loaded->config, gateway::LoadGatewayConfig(path));
  {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    loaded->config_digest = Sha256Hex(ss.str());
  }
  const gateway::TrustSource& source = loaded->config.trust;
  std::unique_ptr<gateway::TrustSetSource> trust_source;
  x509::VerifyOptions options;
  if (source.kind == gateway::TrustSource::Kind::kHome) {
    auto home = Home::Open(source.path);
    if (!home.ok()) return home.status().WithContext("trust.home");
    loaded->home = std::move(home).value();
    options.crypto = loaded->home->policy().ToCryptoPolicy();
    trust_source =
        gateway::MakeTrustStoreSource(loaded->home->trust_store(), "home " + source.path);
  } else {
    trust_source = gateway::MakeTrustConfigFileSource(source.path);
  }
  loaded->trust = std::make_unique<TrustSnapshotHolder>(std::move(trust_source), options);
  if (loaded->home && reporting.enabled) {
    loaded->reporter = std::make_unique<gateway::TrustLoadReporter>(
        loaded->home->audit_log(),
        reporting.name.empty() ? DefaultGatewayName(loaded->config) : reporting.name,
        loaded->home->config().trust_config_id);
    loaded->trust->SetObserver(loaded->reporter.get());
  }
  TP_RETURN_IF_ERROR(loaded->trust->Load());
  return loaded;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

nlohmann::json EntriesJson(const std::vector<gateway::SnapshotEntry>& entries) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : entries) {
    out.push_back({{"sha256", e.cert.sha256_hex()},
                   {"subject", e.cert.subject()},
                   {"not_after", FormatRfc3339(e.cert.not_after())},
                   {"tenants", e.tenants}});
  }
  return out;
}

nlohmann::json RouteJson(const gateway::Route& r) {
  return {{"prefix", r.prefix},
          {"backend", r.backend},
          {"allow_unverified", r.allow_unverified},
          {"allow",
           {{"tenants", r.allow.tenants},
            {"cn", r.allow.cn},
            {"san", r.allow.san},
            {"spiffe", r.allow.spiffe}}}};
}

Status Check(Context& ctx, const std::string& config_path, const std::string& cert_path,
             const std::string& chain_path) {
  TP_ASSIGN_OR_RETURN(auto loaded, Load(config_path));
  const GatewayConfig& config = loaded->config;
  auto snap = loaded->trust->Current();
  const auto& content = snap->content();

  nlohmann::json out = {
      {"config", config_path},
      {"listen", config.listen.host + ":" + std::to_string(config.listen.port)},
      {"client_validation", gateway::ClientValidationName(config.client_validation)},
      {"trust",
       {{"source", loaded->trust->source().Describe()},
        {"digest", snap->digest()},
        {"anchors", EntriesJson(content.anchors)},
        {"intermediates", EntriesJson(content.intermediates)},
        {"allowlisted", EntriesJson(content.allowlisted)}}},
  };
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& r : config.routes.routes()) routes.push_back(RouteJson(r));
  out["routes"] = routes;
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& h : config.headers) headers[h.name] = h.value.text();
  out["headers"] = headers;

  // Revocation: the sources as the gateway reads them at start (CRLs read once
  // here; OCSP asked when a certificate is checked).
  gateway::RevocationChecker::Options revocation_options;
  revocation_options.refresh_thread = false;
  revocation_options.log = nullptr;  // reported below instead
  auto revocation = gateway::RevocationChecker::Create(config.revocation, revocation_options);
  if (revocation) {
    out["revocation"] = {{"mode", gateway::RevocationModeName(config.revocation.mode)},
                         {"crls", revocation->DescribeCrls()},
                         {"ocsp", config.revocation.ocsp},
                         {"ocsp_responder", config.revocation.ocsp_responder}};
  }

  bool refused = false;
  if (!cert_path.empty()) {
    TP_ASSIGN_OR_RETURN(auto bundle, x509::ReadBundleFile(cert_path));
    std::vector<std::string> ders;
    for (const auto& c : bundle.certificates) ders.push_back(c.der());
    if (!chain_path.empty()) {
      TP_ASSIGN_OR_RETURN(auto chain, x509::ReadBundleFile(chain_path));
      for (const auto& c : chain.certificates) ders.push_back(c.der());
    }
    gateway::ClientVerifier verifier(*loaded->trust, config.client_validation,
                                     loaded->config_digest, 0);
    verifier.SetRevocation(revocation);
    gateway::ConnectionTrust conn;
    conn.snapshot = snap;
    verifier.VerifyChain(ders, &conn);
    refused = config.client_validation == gateway::ClientValidation::kRejectInvalid &&
              !conn.outcome.chain_verified;
    const auto vars = gateway::ClientCertVariables::Compute(conn.outcome);
    gateway::ClientIdentity identity;
    identity.chain_verified = conn.outcome.chain_verified;
    identity.leaf = conn.outcome.leaf ? &*conn.outcome.leaf : nullptr;
    identity.tenants = conn.tenants;
    nlohmann::json client = {{"subject", bundle.certificates.front().subject()},
                             {"chain_verified", conn.outcome.chain_verified},
                             {"error", conn.outcome.error},
                             {"detail", conn.detail},
                             {"tenants", conn.tenants},
                             {"revocation", revocation ? conn.revocation : "off"},
                             {"handshake", refused ? "refused" : "completes"}};
    nlohmann::json decisions = nlohmann::json::array();
    for (const auto& r : config.routes.routes()) {
      auto d = config.routes.Authorize(r.prefix, identity);
      decisions.push_back({{"prefix", r.prefix},
                           {"allowed", !refused && d.allowed},
                           {"reason", refused ? conn.outcome.error : std::string(d.deny_reason)}});
    }
    client["routes"] = decisions;
    nlohmann::json sent = nlohmann::json::object();
    for (const auto& h : config.headers) sent[h.name] = h.value.Render(vars);
    if (!refused) client["headers"] = sent;
    out["client"] = client;
  }

  if (ctx.json()) {
    PrintJson(out);
  } else {
    std::cout << "config: " << config_path << "\n"
              << "listen: " << out["listen"].get<std::string>()
              << "  client_validation: " << out["client_validation"].get<std::string>() << "\n"
              << "trust: " << loaded->trust->source().Describe() << " (" << content.anchors.size()
              << " anchors, " << content.intermediates.size() << " intermediates, "
              << content.allowlisted.size() << " allowlisted; digest "
              << snap->digest().substr(0, 16) << ")\n";
    auto print_entries = [](const char* kind, const std::vector<gateway::SnapshotEntry>& es) {
      for (const auto& e : es) {
        std::cout << "  " << kind << " " << e.cert.sha256_hex() << "  " << e.cert.subject()
                  << "  tenants: " << (e.tenants.empty() ? "(everyone)" : Join(e.tenants)) << "\n";
      }
    };
    print_entries("anchor      ", content.anchors);
    print_entries("intermediate", content.intermediates);
    print_entries("allowlisted ", content.allowlisted);
    std::cout << "routes:\n";
    for (const auto& r : config.routes.routes()) {
      std::cout << "  " << r.prefix << " -> " << r.backend << "  tenants: ["
                << Join(r.allow.tenants) << "]";
      if (!r.allow.cn.empty()) std::cout << " cn: [" << Join(r.allow.cn) << "]";
      if (!r.allow.san.empty()) std::cout << " san: [" << Join(r.allow.san) << "]";
      if (!r.allow.spiffe.empty()) std::cout << " spiffe: [" << Join(r.allow.spiffe) << "]";
      if (r.allow_unverified) std::cout << " (unverified allowed)";
      std::cout << "\n";
    }
    std::cout << "headers:\n";
    for (const auto& h : config.headers)
      std::cout << "  " << h.name << ": " << h.value.text() << "\n";
    if (out.contains("revocation")) {
      std::cout << "revocation: " << gateway::RevocationModeName(config.revocation.mode)
                << (config.revocation.ocsp
                        ? ", OCSP at " + (config.revocation.ocsp_responder.empty()
                                              ? std::string("the leaf's AIA URL")
                                              : config.revocation.ocsp_responder)
                        : std::string(", no OCSP"))
                << "\n";
      for (const auto& line : out["revocation"]["crls"]) {
        std::cout << "  crl " << line.get<std::string>() << "\n";
      }
    }
    if (out.contains("client")) {
      const auto& c = out["client"];
      std::cout << "client " << c["subject"].get<std::string>() << ": "
                << (c["chain_verified"].get<bool>()
                        ? "verified"
                        : "not verified: " + c["error"].get<std::string>() + " (" +
                              c["detail"].get<std::string>() + ")")
                << "; handshake " << c["handshake"].get<std::string>() << "; revocation "
                << c["revocation"].get<std::string>() << "\n";
      for (const auto& d : c["routes"]) {
        std::cout << "  " << d["prefix"].get<std::string>() << ": "
                  << (d["allowed"].get<bool>() ? "allowed"
                                               : "denied (" + d["reason"].get<std::string>() + ")")
                  << "\n";
      }
      if (c.contains("headers")) {
        std::cout << "  headers sent:\n";
        for (const auto& [name, value] : c["headers"].items()) {
          std::cout << "    " << name << ": " << value.get<std::string>() << "\n";
        }
      }
    }
  }
  if (refused) {
    return Status::Policy("the gateway would refuse this client's handshake: " +
                          out["client"]["error"].get<std::string>());
  }
  return Status::Ok();
}

Status Serve(const std::string& config_path, int workers, const std::string& access_log,
             const std::string& reload_interval, const std::string& name) {
  TP_ASSIGN_OR_RETURN(auto loaded, Load(config_path, Reporting{true, name}));
  gateway::ServerOptions options;
  options.workers = workers;
  options.config_digest = loaded->config_digest;
  options.config_path = config_path;  // reloaded on change and on SIGHUP
  TP_ASSIGN_OR_RETURN(int64_t reload_seconds, ParseDurationSeconds(reload_interval));
  if (reload_seconds <= 0) return Status::InvalidArgument("--reload-interval must be positive");
  options.reload_interval = std::chrono::seconds(reload_seconds);
  std::FILE* log = stdout;
  if (access_log == "-") {
    log = stdout;
  } else if (access_log == "off") {
    log = nullptr;
  } else {
    log = std::fopen(access_log.c_str(), "a");
    if (log == nullptr) return Status::InvalidArgument("cannot open access log " + access_log);
  }
  options.access_log = log;
  const std::string host = loaded->config.listen.host;
  auto snap = loaded->trust->Current();
  auto server = gateway::GatewayServer::Create(std::move(loaded->config), *loaded->trust, options);
  if (!server.ok()) return server.status();
  std::fprintf(
      stderr,
      "trustplane gateway: listening on %s:%u; trust generation %llu from %s (%zu anchors, "
      "%zu intermediates, %zu allowlisted)\n",
      host.c_str(), static_cast<unsigned>((*server)->port()),
      static_cast<unsigned long long>(snap->generation()),
      loaded->trust->source().Describe().c_str(), snap->content().anchors.size(),
      snap->content().intermediates.size(), snap->content().allowlisted.size());
  Status st = (*server)->Run();
  if (log != nullptr && log != stdout) std::fclose(log);
  std::fprintf(stderr, "trustplane gateway: stopped\n");
  return st;
}

}  // namespace

void RegisterGatewayCommands(CLI::App& app, Context& ctx) {
  CLI::App* gw = AddCommandGroup(app, ctx, "gateway", "the mTLS gateway (reverse proxy)");

  struct ServeOpts {
    std::string config, access_log = "-", reload = "1s", name;
    int workers = 0;
  };
  auto s = std::make_shared<ServeOpts>();
  auto* serve = gw->add_subcommand("serve", "terminate mTLS and proxy to the configured backends");
  serve->add_option("--config", s->config, "gateway.yaml")->required();
  serve->add_option("--workers", s->workers, "event loops (default: one per core)");
  serve->add_option("--access-log", s->access_log,
                    "JSON-lines access log: a file, '-' for stdout (default), or 'off'");
  serve->add_option("--reload-interval", s->reload,
                    "how often the trust source and gateway.yaml (with its server certificate "
                    "and key) are checked for changes (default 1s); SIGHUP reloads at once");
  serve->add_option("--name", s->name,
                    "the name under which this gateway records, in a trustplane home's audit "
                    "log, each trust set it starts enforcing (default: HOSTNAME:PORT)");
  serve->callback([&ctx, s] {
    ctx.action = [s] { return Serve(s->config, s->workers, s->access_log, s->reload, s->name); };
  });

  struct CheckOpts {
    std::string config, cert, chain;
  };
  auto c = std::make_shared<CheckOpts>();
  auto* check = gw->add_subcommand(
      "check", "validate gateway.yaml and its trust source; with --cert, what a client would get");
  check->add_option("--config", c->config, "gateway.yaml")->required();
  check->add_option("--cert", c->cert,
                    "client certificate (further certificates in the file are "
                    "the chain it sends)");
  check->add_option("--chain", c->chain, "intermediates the client sends");
  check->callback(
      [&ctx, c] { ctx.action = [&ctx, c] { return Check(ctx, c->config, c->cert, c->chain); }; });
}

}  // namespace trustplane::cli
