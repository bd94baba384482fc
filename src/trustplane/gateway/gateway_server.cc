#include "trustplane/gateway/gateway_server.h"

#include <sys/socket.h>
#include <sys/stat.h>

// clang-format off
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "trustplane/base/digest.h"
#include "trustplane/gateway/access_log.h"
#include "trustplane/gateway/backend_pool.h"
#include "trustplane/gateway/client_verifier.h"
#include "trustplane/net/connection_deadline.h"
#include "trustplane/gateway/io_types.h"
#include "trustplane/gateway/metrics.h"
#include "trustplane/gateway/tls_connection.h"
#include "trustplane/gateway/tls_context.h"
#include "trustplane/net/http_wire.h"

namespace trustplane::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using io::kAwait;

namespace {

constexpr int64_t kMaxResponseBodyBytes = int64_t{1} << 30;
constexpr size_t kMaxIdleBackendConnections = 64;
// How often a worker looks for connections past their deadline: timeouts
// fire up to this much late.
constexpr auto kSweepInterval = std::chrono::milliseconds(250);
// Bytes asked of the client's TLS per read.
constexpr size_t kReadChunk = 16 * 1024;

// Hop-by-hop fields (RFC 9110 section 7.6.1): they describe one connection
// and must not be forwarded.
void RemoveHopByHop(http::fields& f) {
  // Fields the Connection header names are hop-by-hop too.
  std::vector<std::string> named;
  auto range = f.equal_range(http::field::connection);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view s(it->value().data(), it->value().size());
    size_t pos = 0;
    while (pos <= s.size()) {
      size_t comma = s.find(',', pos);
      if (comma == std::string_view::npos) comma = s.size();
      std::string_view token = s.substr(pos, comma - pos);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
        token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
        token.remove_suffix(1);
      if (!token.empty()) named.emplace_back(token);
      pos = comma + 1;
    }
  }
  for (const auto& n : named) f.erase(n);
  for (auto field : {http::field::connection, http::field::keep_alive, http::field::te,
                     http::field::trailer, http::field::transfer_encoding, http::field::upgrade,
                     http::field::proxy_authenticate, http::field::proxy_authorization}) {
    f.erase(field);
  }
  f.erase("Proxy-Connection");
}

std::string Str(beast::string_view v) {
  return std::string(v.data(), v.size());
}

int64_t MicrosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

http::response<http::string_body> PlainResponse(http::status status, unsigned version,
                                                std::string body) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http::status DenyStatus(std::string_view reason) {
  if (reason == deny::kNoRoute) return http::status::not_found;
  if (reason == deny::kInvalidPath) return http::status::bad_request;
  return http::status::forbidden;
}

bool ReadWhole(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Cheap change detection for the reload poll: identity, size and mtime of
// each file; the content is read and compared only when this changes.
std::string StatSignature(const std::vector<std::string>& paths) {
  std::string sig;
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      sig += "missing;";
      continue;
    }
    sig += std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ";";
  }
  return sig;
}

// The digest that identifies one version of the config: gateway.yaml and the
// server certificate and key it names (a rotated certificate is a new
// version even when gateway.yaml is unchanged). Only a hash of the key
// leaves this function.
std::string ContentDigest(const std::string& yaml, const TlsSettings& tls) {
  std::string cert, key;
  ReadWhole(tls.cert, cert);
  ReadWhole(tls.key, key);
  std::string all = Sha256(yaml) + Sha256(cert) + Sha256(key);
  std::fill(key.begin(), key.end(), '\0');
  return Sha256Hex(all);
}

// Head and body in one gather write: one sendmsg.
template <typename Message>
io::Task<void> WriteToBackend(io::Socket& socket, const Message& message, beast::error_code& ec) {
  const std::string head = net::SerializeHead(message);
  const std::array<asio::const_buffer, 2> parts = {asio::buffer(head), asio::buffer(message.body())};
  co_await asio::async_write(socket, parts, asio::redirect_error(kAwait, ec));
}

// One TLS record when head and body fit in one.
template <typename Message>
io::Task<void> WriteToClient(TlsConnection& conn, const Message& message, beast::error_code& ec) {
  const std::string head = net::SerializeHead(message);
  co_await conn.Write(head, message.body(), ec);
}

// Feeds parser from buffer, reading more from the client as needed, until
// the head (head_only) or the whole request is parsed. Ends of stream are
// reported as Beast's own reads do: end_of_stream when the client closed
// before a request began, partial_message when it closed inside one.
io::Task<void> ReadRequest(TlsConnection& conn, beast::flat_buffer& buffer,
                           http::request_parser<http::string_body>& parser, bool head_only,
                           beast::error_code& ec) {
  auto done = [&] { return head_only ? parser.is_header_done() : parser.is_done(); };
  for (;;) {
    while (buffer.size() > 0 && !done()) {
      ec = {};
      const size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == http::error::need_more || (!ec && used == 0)) break;
      if (ec) co_return;
    }
    ec = {};
    if (done()) co_return;
    const size_t n = co_await conn.ReadSome(buffer.prepare(kReadChunk).data(), kReadChunk, ec);
    if (ec == asio::error::eof) {
      if (!parser.got_some()) {
        ec = http::error::end_of_stream;
        co_return;
      }
      ec = {};
      parser.put_eof(ec);
      if (!ec && !done()) ec = http::error::partial_message;
      co_return;
    }
    if (ec) co_return;
    buffer.commit(n);
  }
}

bool SameHostPort(const std::optional<HostPort>& a, const std::optional<HostPort>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->host == b->host && a->port == b->port);
}

}  // namespace

class GatewayServer::Impl {
 public:
  Impl(GatewayConfig config, TrustSnapshotHolder& trust, ServerOptions options)
      : config_(std::move(config)),
        trust_(trust),
        options_(std::move(options)),
        cache_(std::make_shared<VerifiedChainCache>(options_.verified_cache_capacity)),
        sessions_(std::make_shared<SessionStore>(options_.session_capacity)),
        log_(options_.access_log) {}

  Status Init();
  Status Run();
  void Shutdown();
  void Reload();
  uint16_t port() const { return port_; }

 private:
  // One version of what gateway.yaml can change at run time, immutable once
  // published. A connection keeps the version its handshake used (its
  // SSL_CTX and the verifier behind that context's callbacks stay alive);
  // each request reads the newest one for routes, headers and limits.
  struct LiveConfig {
    GatewayConfig config;
    std::string digest;
    CertVariableSet needed;
    std::unique_ptr<ClientVerifier> verifier;  // before ssl_ctx: outlives the context's callbacks
    SslCtxPtr ssl_ctx;
  };
  using LivePtr = std::shared_ptr<const LiveConfig>;

  struct Session {
    net::ConnectionDeadline deadline;
    io::Socket* client = nullptr;
    io::Socket* backend = nullptr;  // the backend connection a request is waiting on
    bool idle = false;
    // Ends the current step: its wait, if any, completes with a timeout.
    void EndStep() {
      deadline.Expire();
      beast::error_code ignored;
      if (client) client->cancel(ignored);
      if (backend) backend->cancel(ignored);
    }
  };
  struct Worker {
    // Its sockets, timers and acceptor are only ever touched on its own
    // thread (other threads only post to it), so the reactor need not lock
    // per operation.
    asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    std::optional<io::Acceptor> acceptor;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::unique_ptr<BackendPool> pool;
    std::list<Session*> sessions;  // touched only on this worker's thread
    std::thread thread;
    std::atomic<bool> done{false};
  };

  io::Task<void> AcceptLoop(Worker& w);
  // Cancels the sockets of connections past their deadline, until the
  // worker drained.
  io::Task<void> SweepLoop(Worker& w);
  io::Task<void> Serve(Worker& w, io::Socket socket);
  io::Task<void> ServeConnection(Worker& w, Session& session, TlsConnection& stream, LivePtr live,
                                 const std::string& remote);
  // Proxies one authorized request; returns the response for the client.
  io::Task<http::response<http::string_body>> Forward(Worker& w, Session& session,
                                                      const LiveConfig& live, size_t route_index,
                                                      http::request<http::string_body>& req,
                                                      beast::flat_buffer& backend_buffer,
                                                      std::string& failure);
  void LogHandshakeFailure(const ConnectionTrust& conn, ClientValidation mode,
                           const std::string& remote, const std::string& error,
                           Clock::time_point start);
  void Drain(Worker& w);
  // Re-verifies conn's chain under `current`; false when REJECT_INVALID must
  // close the connection.
  bool Recheck(ConnectionTrust& conn, std::shared_ptr<const TrustSnapshot> current,
               const LiveConfig& live);
  LivePtr Live() const {
    std::lock_guard lock(live_mu_);
    return live_;
  }
  // Bumped with every published LiveConfig: a request compares it with the
  // value its connection last saw, a plain load instead of a lock.
  uint64_t LiveVersion() const { return live_version_.load(std::memory_order_acquire); }
  Result<LivePtr> BuildLive(GatewayConfig config, std::string digest);
  // On the control thread. forced: re-read even when no file looks changed.
  void ReloadConfig(bool forced);
  void WaitForSignals();
  void ScheduleReload();
  io::Task<void> AdminLoop();
  io::Task<void> ServeAdmin(io::Socket socket);

  GatewayConfig config_;  // as started: listen, admin_listen and trust never change
  TrustSnapshotHolder& trust_;
  ServerOptions options_;
  std::shared_ptr<VerifiedChainCache> cache_;
  std::shared_ptr<SessionStore> sessions_;
  std::shared_ptr<RevocationChecker> revocation_;  // control thread; nullptr: off
  AccessLog log_;
  mutable std::mutex live_mu_;
  LivePtr live_;
  std::atomic<uint64_t> live_version_{0};  // written under live_mu_
  std::string stat_signature_;             // control thread only
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  asio::io_context control_{1};
  std::optional<asio::steady_timer> reload_timer_;
  std::optional<asio::signal_set> signals_;
  std::optional<io::Acceptor> admin_;  // on control_
  GatewayMetrics metrics_;
  std::atomic<uint64_t> open_connections_{0};
};

Result<GatewayServer::Impl::LivePtr> GatewayServer::Impl::BuildLive(GatewayConfig config,
                                                                    std::string digest) {
  auto live = std::make_shared<LiveConfig>();
  TP_ASSIGN_OR_RETURN(SslCtxPtr ctx, MakeServerTlsContext(config.tls));
  live->verifier =
      std::make_unique<ClientVerifier>(trust_, config.client_validation, digest, cache_, sessions_);
  // Kept across reloads while revocation: is unchanged (its CRLs and OCSP answers stay).
  revocation_ = RevocationChecker::Reuse(revocation_, config.revocation);
  live->verifier->SetRevocation(revocation_);
  live->verifier->Install(ctx.get());
  live->ssl_ctx = std::move(ctx);
  live->needed = config.header_variables();
  live->config = std::move(config);
  live->digest = std::move(digest);
  return LivePtr(std::move(live));
}

Status GatewayServer::Impl::Init() {
  std::string digest = options_.config_digest;
  if (!options_.config_path.empty()) {
    std::string yaml;
    if (!ReadWhole(options_.config_path, yaml)) {
      return Status::InvalidArgument("cannot read " + options_.config_path);
    }
    stat_signature_ = StatSignature({options_.config_path, config_.tls.cert, config_.tls.key});
    digest = ContentDigest(yaml, config_.tls);
  }
  TP_ASSIGN_OR_RETURN(live_, BuildLive(config_, std::move(digest)));

  int n = options_.workers > 0
              ? options_.workers
              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  beast::error_code ec;
  tcp::resolver resolver(control_);
  auto resolved = resolver.resolve(config_.listen.host, std::to_string(config_.listen.port),
                                   tcp::resolver::passive, ec);
  if (ec || resolved.empty()) {
    return Status::InvalidArgument("listen: cannot resolve " + config_.listen.host + ": " +
                                   ec.message());
  }
  tcp::endpoint endpoint = resolved.begin()->endpoint();
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->pool =
        std::make_unique<BackendPool>(w->io, kMaxIdleBackendConnections, std::chrono::seconds(60));
    io::Acceptor& a = w->acceptor.emplace(w->io);
    a.open(endpoint.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    // Every worker listens on the same port; the kernel spreads connections.
    if (!ec) a.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
    if (!ec) a.bind(endpoint, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Internal("listen on " + config_.listen.host + ":" +
                              std::to_string(endpoint.port()) + ": " + ec.message());
    }
    if (i == 0) {
      port_ = a.local_endpoint().port();
      endpoint.port(port_);  // the same port for the others, also when 0 was asked
    }
    workers_.push_back(std::move(w));
  }
  if (config_.admin_listen) {
    auto admin_resolved =
        resolver.resolve(config_.admin_listen->host, std::to_string(config_.admin_listen->port),
                         tcp::resolver::passive, ec);
    if (ec || admin_resolved.empty()) {
      return Status::InvalidArgument("admin_listen: cannot resolve " + config_.admin_listen->host);
    }
    io::Acceptor& a = admin_.emplace(control_);
    const tcp::endpoint admin_endpoint = admin_resolved.begin()->endpoint();
    a.open(admin_endpoint.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.bind(admin_endpoint, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Internal("admin_listen on " + config_.admin_listen->host + ":" +
                              std::to_string(config_.admin_listen->port) + ": " + ec.message());
    }
  }
  return Status::Ok();
}

Status GatewayServer::Impl::Run() {
  for (auto& w : workers_) {
    w->work.emplace(w->io.get_executor());
    asio::co_spawn(w->io, AcceptLoop(*w), asio::detached);
    asio::co_spawn(w->io, SweepLoop(*w), asio::detached);
    Worker* wp = w.get();
    w->thread = std::thread([wp] {
      for (;;) {
        try {
          wp->io.run();
          break;
        } catch (const std::exception&) {
          // A handler threw: keep serving the other connections.
        }
      }
      wp->done = true;
    });
  }
  if (options_.handle_signals) {
    signals_.emplace(control_, SIGINT, SIGTERM);
    signals_->add(SIGHUP);
    WaitForSignals();
  }
  reload_timer_.emplace(control_);
  ScheduleReload();
  if (admin_) asio::co_spawn(control_, AdminLoop(), asio::detached);
  auto control_work = asio::make_work_guard(control_);
  control_.run();  // until Shutdown

  const auto deadline = Clock::now() + std::chrono::seconds(Live()->config.timeouts.shutdown);
  for (auto& w : workers_) {
    while (!w->done && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!w->done) w->io.stop();  // connections still busy at the deadline are cut
  }
  for (auto& w : workers_) w->thread.join();
  return Status::Ok();
}

void GatewayServer::Impl::WaitForSignals() {
  signals_->async_wait([this](const beast::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      ReloadConfig(/*forced=*/true);
      if (!draining_) WaitForSignals();
      return;
    }
    Shutdown();
  });
}

void GatewayServer::Impl::Reload() {
  asio::post(control_, [this] {
    if (!draining_) ReloadConfig(/*forced=*/true);
  });
}

void GatewayServer::Impl::ReloadConfig(bool forced) {
  const std::string& path = options_.config_path;
  if (path.empty()) return;
  const LivePtr current = Live();
  const std::string sig = StatSignature({path, current->config.tls.cert, current->config.tls.key});
  if (!forced && sig == stat_signature_) return;
  // Remembered also when the new version is refused: the same broken files
  // are not re-read and re-logged every interval, and the next edit retries.
  stat_signature_ = sig;
  auto refuse = [&](const std::string& why) {
    std::fprintf(stderr,
                 "trustplane gateway: config reload refused, keeping the running config: %s\n",
                 why.c_str());
  };
  std::string yaml;
  if (!ReadWhole(path, yaml)) return refuse("cannot read " + path);
  auto parsed = ParseGatewayConfig(yaml, DirName(path));
  if (!parsed.ok()) return refuse(path + ": " + parsed.status().message());
  std::string digest = ContentDigest(yaml, parsed->tls);
  if (digest == current->digest) return;  // touched, not changed
  if (!SameHostPort(parsed->listen, config_.listen)) return refuse("listen changes need a restart");
  if (!SameHostPort(parsed->admin_listen, config_.admin_listen)) {
    return refuse("admin_listen changes need a restart");
  }
  if (parsed->trust.kind != config_.trust.kind || parsed->trust.path != config_.trust.path) {
    return refuse("trust source changes need a restart");
  }
  const std::string cert = parsed->tls.cert;
  auto built = BuildLive(std::move(parsed).value(), std::move(digest));
  if (!built.ok()) return refuse(built.status().message());
  const LivePtr& next = *built;
  {
    std::lock_guard lock(live_mu_);
    live_ = next;
    live_version_.fetch_add(1, std::memory_order_release);
  }
  // The new files' state, so the next poll does not see them as a change.
  stat_signature_ = StatSignature({path, next->config.tls.cert, next->config.tls.key});
  std::fprintf(stderr,
               "trustplane gateway: config reloaded from %s (%zu routes, %zu headers, %s, server "
               "certificate %s)\n",
               path.c_str(), next->config.routes.routes().size(), next->config.headers.size(),
               std::string(ClientValidationName(next->config.client_validation)).c_str(),
               cert.c_str());
}

void GatewayServer::Impl::ScheduleReload() {
  reload_timer_->expires_after(options_.reload_interval);
  reload_timer_->async_wait([this](const beast::error_code& ec) {
    if (ec || draining_) return;
    auto changed = trust_.Refresh();
    if (!changed.ok()) {
      std::fprintf(stderr, "trustplane gateway: trust reload failed, keeping generation %llu: %s\n",
                   static_cast<unsigned long long>(trust_.Current()->generation()),
                   changed.status().message().c_str());
    } else if (*changed) {
      auto snap = trust_.Current();
      std::fprintf(stderr,
                   "trustplane gateway: trust set generation %llu (%zu anchors, %zu "
                   "intermediates, %zu allowlisted)\n",
                   static_cast<unsigned long long>(snap->generation()),
                   snap->content().anchors.size(), snap->content().intermediates.size(),
                   snap->content().allowlisted.size());
    }
    ReloadConfig(/*forced=*/false);
    ScheduleReload();
  });
}

void GatewayServer::Impl::Shutdown() {
  asio::post(control_, [this] {
    if (draining_.exchange(true)) return;
    if (reload_timer_) reload_timer_->cancel();
    if (signals_) signals_->cancel();
    beast::error_code ignored;
    if (admin_) admin_->close(ignored);
    for (auto& w : workers_) {
      Worker* wp = w.get();
      asio::post(wp->io, [this, wp] { Drain(*wp); });
    }
    control_.stop();
  });
}

bool GatewayServer::Impl::Recheck(ConnectionTrust& conn,
                                  std::shared_ptr<const TrustSnapshot> current,
                                  const LiveConfig& live) {
  if (!conn.outcome.leaf) {  // no certificate: nothing to re-verify
    conn.snapshot = std::move(current);
    return live.config.client_validation != ClientValidation::kRejectInvalid;
  }
  std::vector<std::string> ders = {conn.outcome.leaf->der()};
  for (const auto& c : conn.outcome.presented) ders.push_back(c.der());
  ConnectionTrust fresh;
  fresh.snapshot = std::move(current);
  fresh.resumed = conn.resumed;
  live.verifier->VerifyChain(ders, &fresh);
  conn = std::move(fresh);
  return conn.outcome.chain_verified ||
         live.config.client_validation != ClientValidation::kRejectInvalid;
}

void GatewayServer::Impl::Drain(Worker& w) {
  beast::error_code ec;
  if (w.acceptor) w.acceptor->close(ec);
  for (Session* s : w.sessions) {
    // Expired as well as cancelled: a connection between its yield and its
    // read has no wait to cancel yet, and its read then ends at once.
    if (s->idle) s->EndStep();
  }
  w.pool->Clear();
  w.work.reset();
}

io::Task<void> GatewayServer::Impl::AcceptLoop(Worker& w) {
  for (;;) {
    beast::error_code ec;
    io::Socket socket = co_await w.acceptor->async_accept(asio::redirect_error(kAwait, ec));
    if (ec) {
      if (draining_ || ec == asio::error::operation_aborted || !w.acceptor->is_open()) co_return;
      // Out of descriptors or similar: pause instead of spinning.
      io::Timer pause(w.io, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(kAwait, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(w.io, Serve(w, std::move(socket)), asio::detached);
  }
}

io::Task<void> GatewayServer::Impl::SweepLoop(Worker& w) {
  io::Timer timer(w.io);
  while (!(draining_ && w.sessions.empty())) {
    beast::error_code ec;
    timer.expires_after(kSweepInterval);
    co_await timer.async_wait(asio::redirect_error(kAwait, ec));
    const auto now = Clock::now();
    for (Session* s : w.sessions) {
      if (s->deadline.ExpireIfDue(now)) s->EndStep();
    }
  }
}

void GatewayServer::Impl::LogHandshakeFailure(const ConnectionTrust& conn, ClientValidation mode,
                                              const std::string& remote, const std::string& error,
                                              Clock::time_point start) {
  AccessRecord r;
  r.remote_ip = remote;
  r.status = 0;
  r.latency_us = MicrosSince(start);
  r.trust_generation = conn.snapshot ? conn.snapshot->generation() : 0;
  if (conn.outcome.leaf) r.client_cert_sha256 = conn.outcome.leaf->sha256_hex();
  if (conn.verify_ran && !conn.outcome.chain_verified && !conn.outcome.error.empty()) {
    r.status_details = conn.outcome.error;
    r.detail = conn.detail;
  } else if (!conn.verify_ran && mode == ClientValidation::kRejectInvalid &&
             error.find("certificate") != std::string::npos) {
    r.status_details = "client_cert_not_provided";
    r.detail = error;
  } else {
    // Includes a failed CertificateVerify (proof of possession).
    r.status_details = "tls_handshake_failed";
    r.detail = error;
  }
  log_.Write(r);
  metrics_.CountHandshake(false, r.status_details, false);
}

io::Task<void> GatewayServer::Impl::Serve(Worker& w, io::Socket socket) {
  Session session;
  ++open_connections_;
  w.sessions.push_front(&session);
  auto registered = w.sessions.begin();
  std::string remote;
  {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  try {
    LivePtr live = Live();
    TlsConnection stream(std::move(socket), live->ssl_ctx.get(), session.deadline);
    session.client = &stream.socket();
    if (!stream.ok()) throw std::runtime_error("cannot set up TLS for the connection");
    co_await ServeConnection(w, session, stream, live, remote);
  } catch (const std::exception& e) {
    AccessRecord r;
    r.remote_ip = remote;
    r.status_details = "internal_error";
    r.detail = e.what();
    log_.Write(r);
  }
  w.sessions.erase(registered);
  --open_connections_;
}

io::Task<void> GatewayServer::Impl::ServeConnection(Worker& w, Session& session,
                                                    TlsConnection& stream, LivePtr live,
                                                    const std::string& remote) {
  const auto start = Clock::now();
  net::ConnectionDeadline& deadline = session.deadline;
  ConnectionTrust conn;
  live->verifier->Prepare(stream.native_handle(), &conn);

  beast::error_code ec;
  deadline.ExpireAfter(std::chrono::seconds(live->config.timeouts.handshake));
  co_await stream.Handshake(ec);
  if (ec) {
    LogHandshakeFailure(conn, live->config.client_validation, remote, ec.message(), start);
    co_return;
  }
  if (Status st = live->verifier->Finish(stream.native_handle(), &conn); !st.ok()) {
    LogHandshakeFailure(conn, live->config.client_validation, remote, st.message(), start);
    co_return;
  }
  metrics_.CountHandshake(true, "", conn.resumed);

  // The config requests are served under: the newest one, read before each
  // request, so a reloaded route rule or header applies on open connections too.
  LivePtr cur = live;
  uint64_t seen_version = ~uint64_t{0};  // none yet: the first request reads Live()
  // The revocation data the handshake was checked with; newer data (a CRL
  // refresh, an OCSP "revoked") re-checks this connection's chain.
  const RevocationChecker* seen_checker = cur->verifier->revocation().get();
  uint64_t seen_revocation = seen_checker != nullptr ? seen_checker->version() : 0;
  const Timeouts* t = &cur->config.timeouts;
  // Once per connection (and per trust or config change): every request reads the same values.
  ClientCertVariables vars = ClientCertVariables::Compute(conn.outcome, cur->needed);
  ClientIdentity identity;
  auto bind_identity = [&] {
    identity.chain_verified = conn.outcome.chain_verified;
    identity.leaf = conn.outcome.leaf ? &*conn.outcome.leaf : nullptr;
    identity.tenants = conn.tenants;
  };
  bind_identity();
  const std::string fingerprint = conn.outcome.leaf ? conn.outcome.leaf->sha256_hex() : "";

  // A connection closed between requests because its client is no longer admitted.
  auto log_closed = [&](const std::string& status_details, const std::string& detail) {
    AccessRecord r;
    r.remote_ip = remote;
    r.client_cert_sha256 = fingerprint;
    r.status_details = status_details;
    r.detail = detail;
    r.trust_generation = conn.snapshot->generation();
    log_.Write(r);
  };
  beast::flat_buffer buffer;
  beast::flat_buffer backend_buffer;
  bool keep_alive = true;
  while (keep_alive && !draining_) {
    // Idle until the first byte of the next request, then the header timeout.
    if (buffer.size() == 0) {
      session.idle = true;
      deadline.ExpireAfter(std::chrono::seconds(t->idle));
      size_t n = co_await stream.ReadSome(buffer.prepare(kReadChunk).data(), kReadChunk, ec);
      session.idle = false;
      if (ec) break;
      buffer.commit(n);
    }
    // A keep-alive connection must not outlive the trust that admitted it:
    // after a trust change its chain is checked again (usually a cache hit).
    bool recompute = false;
    LivePtr newest;
    if (const uint64_t v = LiveVersion(); v != seen_version) {
      seen_version = v;  // read before Live(): a publish in between shows up next time
      newest = Live();
    }
    if (newest && newest != cur) {
      cur = std::move(newest);
      t = &cur->config.timeouts;
      recompute = true;
      // A validation mode tightened by a reload applies to open connections.
      if (cur->config.client_validation == ClientValidation::kRejectInvalid &&
          !conn.outcome.chain_verified) {
        log_closed(conn.outcome.error.empty() ? "client_cert_not_provided" : conn.outcome.error,
                   "closed: client_validation is now REJECT_INVALID");
        break;
      }
    }
    if (auto current = trust_.Current(); current != conn.snapshot) {
      if (!Recheck(conn, current, *cur)) {
        log_closed(conn.outcome.error, "no longer verified under trust generation " +
                                           std::to_string(current->generation()) + ": " +
                                           conn.detail);
        break;
      }
      recompute = true;
    }
    if (const RevocationChecker* checker = cur->verifier->revocation().get();
        checker != nullptr && conn.outcome.chain_verified &&
        (checker != seen_checker || checker->version() != seen_revocation)) {
      seen_checker = checker;
      seen_revocation = checker->version();
      if (!Recheck(conn, conn.snapshot, *cur)) {
        log_closed(conn.outcome.error,
                   "no longer admitted after new revocation data: " + conn.detail);
        break;
      }
      recompute = true;
    }
    if (recompute) {
      vars = ClientCertVariables::Compute(conn.outcome, cur->needed);
      bind_identity();
    }
    const GatewayConfig& config = cur->config;
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(config.limits.max_request_header_bytes));
    parser.body_limit(static_cast<uint64_t>(config.limits.max_request_body_bytes));
    // The whole head usually came with the first bytes; if not, the rest
    // must come within the header timeout.
    deadline.ExpireAfter(std::chrono::seconds(t->header));
    co_await ReadRequest(stream, buffer, parser, /*head_only=*/true, ec);
    const auto req_start = Clock::now();
    AccessRecord rec;  // status and status_details feed the metrics; the rest only the log
    if (log_.enabled()) {
      rec.remote_ip = remote;
      rec.client_cert_sha256 = fingerprint;
    }
    rec.chain_verified = conn.outcome.chain_verified;
    rec.resumed = conn.resumed;
    rec.trust_generation = conn.snapshot->generation();

    std::optional<http::response<http::string_body>> reject;
    if (ec == http::error::header_limit) {
      reject = PlainResponse(http::status::request_header_fields_too_large, 11,
                             "request header too large\n");
      rec.status_details = "request_header_too_large";
    } else if (ec == http::error::body_limit) {  // a Content-Length over the limit
      reject = PlainResponse(http::status::payload_too_large, 11, "request body too large\n");
      rec.status_details = "request_body_too_large";
    } else if (ec) {
      if (ec != beast::error::timeout && ec != http::error::end_of_stream &&
          ec != asio::error::operation_aborted && ec != asio::ssl::error::stream_truncated &&
          ec != asio::error::eof) {
        reject = PlainResponse(http::status::bad_request, 11, "malformed request\n");
        rec.status_details = "malformed_request";
        rec.detail = ec.message();
      } else {
        break;
      }
    } else {
      const auto& h = parser.get();
      if (std::distance(h.begin(), h.end()) > config.limits.max_header_count) {
        reject = PlainResponse(http::status::request_header_fields_too_large, h.version(),
                               "too many request header fields\n");
        rec.status_details = "request_header_too_large";
      } else if (!parser.is_done()) {
        if (beast::iequals(h[http::field::expect], "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          deadline.ExpireAfter(std::chrono::seconds(t->header));
          co_await stream.Write(kContinue, {}, ec);
          if (ec) break;
        }
        deadline.ExpireAfter(std::chrono::seconds(t->backend));
        co_await ReadRequest(stream, buffer, parser, /*head_only=*/false, ec);
        if (ec == http::error::body_limit) {
          reject = PlainResponse(http::status::payload_too_large, h.version(),
                                 "request body too large\n");
          rec.status_details = "request_body_too_large";
        } else if (ec) {
          break;
        }
      }
    }
    if (reject) {
      // The rest of the stream cannot be trusted to hold a request boundary.
      reject->keep_alive(false);
      rec.status = static_cast<int>(reject->result_int());
      rec.latency_us = MicrosSince(req_start);
      deadline.ExpireAfter(std::chrono::seconds(t->header));
      co_await WriteToClient(stream, *reject, ec);
      log_.Write(rec);
      metrics_.CountRequest(rec.status, rec.status_details, rec.latency_us);
      // The client may still be sending the body refused here.
      co_await stream.CloseAfterUnreadInput(std::chrono::seconds(2));
      co_return;
    }

    http::request<http::string_body> req = parser.release();
    keep_alive = req.keep_alive();
    const std::string target = Str(req.target());
    if (log_.enabled()) {
      rec.method = Str(req.method_string());
      rec.path = target;
    }
    // Never let a client speak for the gateway: drop every field of a
    // configured name, whatever its case, before anything reads the request.
    for (const auto& rule : config.headers) req.erase(rule.name);

    const RouteDecision decision = config.routes.Authorize(target, identity);
    if (decision.route && log_.enabled()) {
      rec.route = decision.route->prefix;
      rec.backend = decision.route->backend;
    }
    http::response<http::string_body> res;
    if (!decision.allowed) {
      res = PlainResponse(DenyStatus(decision.deny_reason), req.version(),
                          Str(http::obsolete_reason(DenyStatus(decision.deny_reason))) + ": " +
                              std::string(decision.deny_reason) + "\n");
      rec.status_details = std::string(decision.deny_reason);
    } else {
      for (const auto& rule : config.headers) req.set(rule.name, rule.value.Render(vars));
      // As the load balancer does: the client's address appended, the scheme stated.
      const std::string xff = Str(req["X-Forwarded-For"]);
      req.set("X-Forwarded-For", xff.empty() ? remote : xff + "," + remote);
      req.set("X-Forwarded-Proto", "https");
      const size_t index = static_cast<size_t>(decision.route - config.routes.routes().data());
      std::string failure;
      res = co_await Forward(w, session, *cur, index, req, backend_buffer, failure);
      rec.status_details = failure;
      if (failure.empty()) rec.status_details = "response_sent_by_backend";
    }
    res.keep_alive(keep_alive && !draining_);
    rec.status = static_cast<int>(res.result_int());
    deadline.ExpireAfter(std::chrono::seconds(t->backend));
    co_await WriteToClient(stream, res, ec);
    rec.latency_us = MicrosSince(req_start);
    log_.Write(rec);
    metrics_.CountRequest(rec.status, rec.status_details, rec.latency_us);
    if (ec) co_return;
    keep_alive = keep_alive && !draining_;
  }
  stream.Close();
}

io::Task<http::response<http::string_body>> GatewayServer::Impl::Forward(
    Worker& w, Session& session, const LiveConfig& live, size_t route_index,
    http::request<http::string_body>& req, beast::flat_buffer& buf, std::string& failure) {
  const BackendUrl& backend = live.config.backends[route_index];
  const unsigned client_version = req.version();
  if (backend.scheme != "http") {
    failure = "backend_scheme_unsupported";
    co_return PlainResponse(http::status::bad_gateway, client_version,
                            "bad gateway: https backends are not supported yet\n");
  }
  const bool head = req.method() == http::verb::head;
  RemoveHopByHop(req);
  // The gateway answered it and holds the whole body: a backend that sent
  // its own 100 Continue would have it read as the response.
  req.erase(http::field::expect);
  if (!backend.base_path.empty()) req.target(backend.base_path + Str(req.target()));
  req.version(11);
  req.keep_alive(true);
  req.prepare_payload();

  const auto timeout = std::chrono::seconds(live.config.timeouts.backend);
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    // The pooled connection is taken without suspending; a retry connects afresh.
    BackendPool::Lease lease;
    if (attempt == 0) lease = w.pool->TakeIdle(backend.address);
    if (!lease.socket) lease = co_await w.pool->Connect(backend.address, timeout, ec);
    if (ec) {
      failure = "backend_connection_failed";
      co_return PlainResponse(http::status::bad_gateway, client_version,
                              "bad gateway: cannot connect to the backend\n");
    }
    session.deadline.ExpireAfter(timeout);
    session.backend = lease.socket.get();
    co_await WriteToBackend(*lease.socket, req, ec);
    // Reused across the connection's requests (no allocation per request),
    // emptied first: bytes from another backend connection never carry over.
    buf.clear();
    http::response_parser<http::string_body> parser;
    parser.body_limit(static_cast<uint64_t>(kMaxResponseBodyBytes));
    if (head) parser.skip(true);
    if (!ec) {
      // The backend has only just been sent the request: let the connections
      // already queued run first, so the read Asio tries at once usually
      // finds the response instead of failing with EAGAIN (as for client
      // reads in TlsConnection).
      co_await asio::post(w.io.get_executor(), kAwait);
      co_await http::async_read(*lease.socket, buf, parser, asio::redirect_error(kAwait, ec));
    }
    session.backend = nullptr;
    ec = session.deadline.Explain(ec);
    if (ec) {
      // A pooled connection the backend closed while idle: try a fresh one.
      if (lease.reused && !parser.got_some() && ec != beast::error::timeout) continue;
      failure = ec == beast::error::timeout ? "backend_timeout" : "backend_connection_closed";
      co_return PlainResponse(
          ec == beast::error::timeout ? http::status::gateway_timeout : http::status::bad_gateway,
          client_version,
          ec == beast::error::timeout ? "gateway timeout\n" : "bad gateway: backend failed\n");
    }
    http::response<http::string_body> res = parser.release();
    if (res.keep_alive()) w.pool->Release(backend.address, std::move(lease.socket));
    RemoveHopByHop(res);
    res.version(client_version);
    if (!head) res.prepare_payload();
    co_return res;
  }
  failure = "backend_connection_closed";
  co_return PlainResponse(http::status::bad_gateway, client_version,
                          "bad gateway: backend failed\n");
}

io::Task<void> GatewayServer::Impl::AdminLoop() {
  for (;;) {
    beast::error_code ec;
    io::Socket socket = co_await admin_->async_accept(asio::redirect_error(kAwait, ec));
    if (ec) {
      if (draining_ || !admin_->is_open()) co_return;
      continue;
    }
    asio::co_spawn(control_, ServeAdmin(std::move(socket)), asio::detached);
  }
}

// /metrics, /healthz, /readyz; one request per connection.
io::Task<void> GatewayServer::Impl::ServeAdmin(io::Socket socket) {
  io::TcpStream stream(std::move(socket));
  beast::flat_buffer buffer;
  http::request<http::empty_body> req;
  beast::error_code ec;
  stream.expires_after(std::chrono::seconds(10));
  co_await http::async_read(stream, buffer, req, asio::redirect_error(kAwait, ec));
  if (ec) co_return;
  const std::string target = Str(req.target());
  const std::string path = target.substr(0, target.find('?'));
  http::response<http::string_body> res;
  if (path == "/metrics") {
    GatewayMetrics::Gauges g;
    g.trust_generation = trust_.Current()->generation();
    g.cache_hits = cache_->hits();
    g.cache_misses = cache_->misses();
    g.open_connections = open_connections_.load();
    g.tls_sessions = sessions_->size();
    res = PlainResponse(http::status::ok, req.version(), metrics_.Render(g));
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  } else if (path == "/healthz") {
    res = PlainResponse(http::status::ok, req.version(), "ok\n");
  } else if (path == "/readyz") {
    res = draining_ ? PlainResponse(http::status::service_unavailable, req.version(), "draining\n")
                    : PlainResponse(http::status::ok, req.version(), "ready\n");
  } else {
    res = PlainResponse(http::status::not_found, req.version(), "not found\n");
  }
  res.keep_alive(false);
  co_await http::async_write(stream, res, asio::redirect_error(kAwait, ec));
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

GatewayServer::GatewayServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GatewayServer::~GatewayServer() = default;

Result<std::unique_ptr<GatewayServer>> GatewayServer::Create(GatewayConfig config,
                                                             TrustSnapshotHolder& trust,
                                                             ServerOptions options) {
  if (!trust.Current()) return Status::Internal("the trust set is not loaded");
  auto impl = std::make_unique<Impl>(std::move(config), trust, std::move(options));
  TP_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<GatewayServer>(new GatewayServer(std::move(impl)));
}

uint16_t GatewayServer::port() const {
  return impl_->port();
}
Status GatewayServer::Run() {
  return impl_->Run();
}
void GatewayServer::Shutdown() {
  impl_->Shutdown();
}
void GatewayServer::Reload() {
  impl_->Reload();
}

}  // namespace trustplane::gateway
