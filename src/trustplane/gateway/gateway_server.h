// GatewayServer: the mTLS reverse proxy. One event loop per worker thread,
// each with its own SO_REUSEPORT listening socket, backend pool and
// connections. Per connection: TLS handshake with ClientVerifier, the
// client_cert_* variables computed once; per request: client-sent headers of
// the configured names removed, RoutePolicy authorization, the configured
// headers added, HTTP/1.1 proxied to the route's backend. The trust snapshot
// is refreshed from its source every reload interval; SIGINT/SIGTERM (or
// Shutdown) stop accepting, let requests in flight finish and close idle
// connections, within timeouts.shutdown. gateway.yaml itself is reloaded
// too (see ServerOptions::config_path). With admin_listen, plain HTTP
// /metrics (Prometheus text), /healthz and /readyz (503 while draining).
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "trustplane/base/status.h"
#include "trustplane/gateway/gateway_config.h"
#include "trustplane/gateway/trust_snapshot.h"

namespace trustplane::gateway {

struct ServerOptions {
  int workers = 0;                 // 0: one per core
  std::FILE* access_log = stdout;  // nullptr: no access log
  std::chrono::milliseconds reload_interval{1000};
  // Folded into every session id context, so a session resumes only under
  // the configuration (validation mode, routes, headers) that admitted it.
  std::string config_digest;
  size_t verified_cache_capacity = 10000;
  size_t session_capacity = 20000;  // TLS sessions kept for resumption
  bool handle_signals = true;  // SIGINT/SIGTERM start a graceful shutdown; SIGHUP reloads
  // gateway.yaml, re-read every reload interval when it (or the server
  // certificate or key file it names) changed, and on SIGHUP. Routes,
  // headers, limits, timeouts, client_validation and tls: are swapped for new
  // requests and handshakes; connections keep the TLS context they started
  // with. A config that does not parse, whose TLS files do not load, or that
  // changes listen, admin_listen or trust (restart needed) is refused with a
  // log line and the running one keeps serving. Empty: no config reload.
  std::string config_path;
};

class GatewayServer {
 public:
  // Builds the TLS context and binds the listeners (so port() is known and a
  // busy port fails here). kInvalidArgument for bad TLS files or settings,
  // kInternal when the address cannot be bound.
  static Result<std::unique_ptr<GatewayServer>> Create(GatewayConfig config,
                                                       TrustSnapshotHolder& trust,
                                                       ServerOptions options);
  ~GatewayServer();

  uint16_t port() const;
  // Serves until a signal or Shutdown(); returns once drained.
  Status Run();
  // Starts a graceful shutdown; safe from any thread and from a signal-free context.
  void Shutdown();
  // Re-reads options.config_path now, as SIGHUP does; safe from any thread.
  void Reload();

  class Impl;

 private:
  explicit GatewayServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trustplane::gateway
