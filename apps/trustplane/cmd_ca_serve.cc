// `trustplane ca serve`: cfssl's HTTP API (/api/v1/cfssl/...), the DER CRL at
// /crl and OCSP at /ocsp, with cfssl serve's flags and defaults. Runs until
// SIGINT or SIGTERM, then lets requests in flight finish.
#include "cmd_ca_serve.h"
#include "stop_signals.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "ca_common.h"
#include "trustplane/api/cfssl_api.h"
#include "trustplane/net/http_server.h"
#include "trustplane/pki/go_duration.h"
#include "trustplane/pki/signing_config.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::cli {
namespace {

struct ServeOpts {
  std::string address = "127.0.0.1";
  int port = 8888;
  std::string ca, ca_key, config;
  CertDbFlags db;
  std::string responder, responder_key;
  std::string ocsp_validity = OcspSigningFlags{}.validity;
  std::string ca_bundle, int_bundle;
  std::string tls_cert, tls_key, mutual_tls_ca;
  std::string replay_window = "0s";
  std::string port_file;
  int threads = 0;
  size_t max_body = 1 << 20;
  int loglevel = 1;  // accepted for cfssl unit files; trustplane logs only start and stop
};

Status Serve(const ServeOpts& o, const std::string& home_dir) {
  if (o.port < 0 || o.port > 65535) return Status::InvalidArgument("--port must be 0..65535");
  TP_ASSIGN_OR_RETURN(int64_t replay_window, pki::ParseGoDurationSeconds(o.replay_window));
  api::CfsslApiOptions options;
  options.replay_window_seconds = replay_window;

  pki::SigningConfig config;
  if (!o.config.empty()) {
    TP_ASSIGN_OR_RETURN(config, pki::LoadSigningConfigFile(o.config));
  }
  std::optional<CaMaterial> ca;
  if (!o.ca.empty() || !o.ca_key.empty()) {
    TP_ASSIGN_OR_RETURN(ca, LoadCa(o.ca, o.ca_key));
    TP_ASSIGN_OR_RETURN(auto signer, pki::Signer::Create(ca->cert, ca->key, std::move(config), ca->chain));
    options.signer = std::move(signer);
    options.ca_key = ca->key;
  } else {
    std::cerr << "trustplane ca serve: warning: no -ca/-ca-key: sign, authsign, newcert, info and crl are off\n";
  }

  TP_ASSIGN_OR_RETURN(OpenedCertDb db, OpenCertDb(o.db, home_dir));
  options.certdb = db.certdb.get();
  options.record_issued = RecordIssued;

  // The responder reads the certdb on its own connection, so OCSP never
  // waits behind the API's certdb lock.
  OpenedCertDb ocsp_db;
  if (!o.responder.empty() || !o.responder_key.empty()) {
    if (!ca) return Status::InvalidArgument("-responder needs the CA (-ca, -ca-key)");
    if (!db.certdb) return Status::InvalidArgument("-responder needs the certdb: drop --no-db");
    TP_ASSIGN_OR_RETURN(ocsp_db, OpenCertDb(o.db, home_dir));
    OcspSigningFlags flags;
    flags.ca = o.ca;
    flags.responder = o.responder;
    flags.responder_key = o.responder_key;
    flags.validity = o.ocsp_validity;
    TP_ASSIGN_OR_RETURN(options.ocsp, LoadOcspResponder(flags, ocsp_db.certdb.get()));
  }
  if (!o.ca_bundle.empty()) {
    x509::TrustMaterial trust;
    TP_ASSIGN_OR_RETURN(auto roots, x509::ReadBundleFile(o.ca_bundle));
    trust.anchors = std::move(roots.certificates);
    if (!o.int_bundle.empty()) {
      TP_ASSIGN_OR_RETURN(auto ints, x509::ReadBundleFile(o.int_bundle));
      trust.intermediates = std::move(ints.certificates);
    }
    options.bundle_trust = std::move(trust);
  } else if (!o.int_bundle.empty()) {
    return Status::InvalidArgument("-int-bundle needs -ca-bundle, the roots to bundle to");
  }
  TP_ASSIGN_OR_RETURN(auto api, api::CfsslApi::Create(std::move(options)));

  net::HttpServerOptions http;
  http.address = o.address;
  http.port = static_cast<uint16_t>(o.port);
  http.threads = o.threads;
  http.max_body_bytes = o.max_body;
  http.error_formatter = api::CfsslApi::ServerError;
  if (!o.tls_cert.empty() || !o.tls_key.empty()) {
    http.tls = net::TlsServerFiles{o.tls_cert, o.tls_key, o.mutual_tls_ca};
  } else if (!o.mutual_tls_ca.empty()) {
    return Status::InvalidArgument("-mutual-tls-ca needs -tls-cert and -tls-key");
  }

  // Before the server threads start, so they inherit the mask.
  const sigset_t stop_signals = BlockStopSignals();

  const api::CfsslApi* handler = api.get();
  TP_ASSIGN_OR_RETURN(auto server,
                      net::HttpServer::StartAsync(std::move(http),
                                                  [handler](net::HttpRequest r, net::HttpResponder respond) {
                                                    handler->HandleAsync(std::move(r), std::move(respond));
                                                  }));
  const std::string url = std::string(server->tls() ? "https" : "http") + "://" + o.address + ":" +
                          std::to_string(server->port());
  std::cerr << "trustplane ca serve: listening on " << url << "/api/v1/cfssl/"
            << (db.certdb ? " (certdb: " + db.where + ")"
                          : std::string(" (no certdb: revoke and crl are off)"))
            << (ocsp_db.certdb ? ", OCSP at " + url + "/ocsp" : std::string()) << std::endl;
  WritePortFile(o.port_file, server->port());
  std::cerr << "trustplane ca serve: " << WaitForStopSignal(stop_signals)
            << ": finishing requests in flight" << std::endl;
  server->Stop();
  // Answers what still waits for a certdb commit while the server that
  // would send them exists (it drops them: Stop() is past its drain time).
  api.reset();
  std::cerr << "trustplane ca serve: stopped" << std::endl;
  return Status::Ok();
}

}  // namespace

void RegisterCaServeCommand(CLI::App& ca, Context& ctx) {
  auto o = std::make_shared<ServeOpts>();
  auto* cmd = ca.add_subcommand(
      "serve", "serve cfssl's HTTP API, a DER CRL and OCSP (flags as cfssl serve; -flag or --flag)");
  cmd->add_option("--address", o->address, "listen address (default 127.0.0.1)");
  cmd->add_option("--port", o->port, "listen port (default 8888; 0: any free port)");
  cmd->add_option("--ca", o->ca, "CA certificate (PEM)");
  cmd->add_option("--ca-key", o->ca_key, "CA key (PEM; encrypted: CFSSL_CA_PK_PASSWORD)");
  cmd->add_option("--config", o->config, "cfssl signing config JSON");
  AddCertDbOptions(cmd, o->db, "no certdb (as cfssl serve without -db-config): nothing is recorded, and "
                               "revoke, crl, OCSP and certinfo by serial are off");
  cmd->add_option("--responder", o->responder, "OCSP responder certificate (the CA's own, or a delegated one)");
  cmd->add_option("--responder-key", o->responder_key, "OCSP responder key");
  cmd->add_option("--ocsp-validity", o->ocsp_validity,
                  "thisUpdate..nextUpdate of the OCSP answers it signs, which HTTP caches may keep as long "
                  "(default 96h)");
  cmd->add_option("--ca-bundle", o->ca_bundle, "roots the bundle endpoint builds chains to (PEM)");
  cmd->add_option("--int-bundle", o->int_bundle, "intermediates the bundle endpoint may use (PEM)");
  cmd->add_option("--tls-cert", o->tls_cert, "serve HTTPS with this certificate chain (PEM)");
  cmd->add_option("--tls-key", o->tls_key, "key of --tls-cert");
  cmd->add_option("--mutual-tls-ca", o->mutual_tls_ca, "require client certificates issued by these CAs");
  cmd->add_option("--replay-window", o->replay_window,
                  "authenticated requests need a signed \"timestamp\" within this Go duration and are "
                  "accepted once (default 0s: off, as cfssl)");
  cmd->add_option("--threads", o->threads,
                  "server threads (default: one per usable core, see taskset)");
  cmd->add_option("--max-body", o->max_body, "largest request body in bytes (default 1 MiB)");
  cmd->add_option("--port-file", o->port_file, "write the bound port to this file once listening");
  cmd->add_option("--loglevel", o->loglevel, "accepted for cfssl compatibility; ignored");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return Serve(*o, ctx.home_dir()); }; });
}

}  // namespace trustplane::cli
