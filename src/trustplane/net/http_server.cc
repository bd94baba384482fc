#include "trustplane/net/http_server.h"

#include <sched.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <cctype>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "trustplane/base/time.h"
#include "trustplane/net/connection_deadline.h"
#include "trustplane/net/http_wire.h"

namespace trustplane::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
// Each worker thread runs its own io_context and a connection stays on one
// worker from accept to close, so no strand is needed, and sockets use
// io_context's own executor type: handlers copy their stream's executor
// several times per request, and a strand copy (a reference count) or the
// type-erased any_io_executor showed in the OCSP profile.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using TlsStream = asio::ssl::stream<Socket>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>,
                                         Executor>;
using Clock = ConnectionDeadline::Clock;

std::string_view HttpRequest::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view HttpRequest::query() const {
  std::string_view t = target;
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      return v;
    }
  }
  return {};
}

int UsableCpuCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

namespace {

std::string ToString(beast::string_view s) { return std::string(s.data(), s.size()); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string PeerSubject(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio) return "";
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len > 0 ? static_cast<size_t>(len) : 0);
  BIO_free(bio);
  return out;
}

bool IsParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category() &&
         ec != http::error::partial_message && ec != http::error::end_of_stream;
}

}  // namespace

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Posted to the session's worker by Stop().
  virtual void PostStop() = 0;
  // On the session's worker: cancels its I/O when its deadline has passed.
  virtual void CancelIfExpired(Clock::time_point now) = 0;
};

struct HttpServer::Impl {
  HttpServerOptions options;
  AsyncHttpHandler handler;
  // Declared before the workers: pending handlers destroyed with their
  // io_context still unregister their sessions here.
  std::mutex mu;
  std::condition_variable cv;
  struct Registered {
    std::weak_ptr<SessionBase> session;
    size_t worker;
  };
  std::unordered_map<SessionBase*, Registered> sessions;  // guarded by mu
  bool stopping = false;  // guarded by mu
  bool stopped = false;   // guarded by mu
  std::mutex stop_mu;     // one Stop() at a time
  std::shared_ptr<asio::ssl::context> tls;
  struct Worker {
    asio::io_context io;
    std::unique_ptr<Timer> sweep;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Worker>> workers;
  // On workers[0]; declared after the workers, so destroyed before them.
  std::unique_ptr<Acceptor> acceptor;
  size_t next_worker = 0;  // the acceptor's handler only
  // How often a worker looks for connections past their deadline: a
  // quarter of the shortest timeout, at most 250 ms.
  Clock::duration sweep_interval{};
  uint16_t port = 0;

  void Accept();
  void Sweep(size_t worker);
  // Registers a new session unless the server is stopping.
  bool Register(const std::shared_ptr<SessionBase>& s, size_t worker) {
    std::lock_guard lock(mu);
    if (stopping) return false;
    sessions.emplace(s.get(), Registered{s, worker});
    return true;
  }
  void Unregister(SessionBase* s) {
    std::lock_guard lock(mu);
    sessions.erase(s);
    cv.notify_all();
  }
  HttpResponse ErrorResponse(int status, const std::string& message) const {
    if (options.error_formatter) return options.error_formatter(status, message);
    HttpResponse r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = message + "\n";
    return r;
  }
};

namespace {

// RFC 9110 6.6.1: an origin server with a clock sends Date. Formatted once
// a second per worker thread, not once per response.
const std::string& DateNow() {
  thread_local UnixSeconds formatted_at = -1;
  thread_local std::string text;
  const UnixSeconds now = NowUnix();
  if (now != formatted_at) {
    text = FormatHttpDate(now);
    formatted_at = now;
  }
  return text;
}

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer::Impl* server, Stream stream, std::string remote)
      : server_(server), stream_(std::move(stream)), remote_(std::move(remote)) {}
  ~Session() override { server_->Unregister(this); }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Begin(); });
  }

  void PostStop() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->stop_ = true;
      // Idle connections close now; a request being handled is answered first.
      if (!self->in_request_) {
        self->deadline_.Expire();
        beast::error_code ignored;
        self->Lowest().cancel(ignored);
      }
    });
  }

  void CancelIfExpired(Clock::time_point now) override {
    if (!deadline_.ExpireIfDue(now)) return;
    beast::error_code ignored;
    Lowest().cancel(ignored);
  }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  auto& Lowest() { return beast::get_lowest_layer(stream_); }

  void Begin() {
    if constexpr (kTls) {
      deadline_.ExpireAfter(server_->options.io_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // bad client; nothing to answer
                                self->client_subject_ = PeerSubject(self->stream_.native_handle());
                                self->ReadHeader();
                              });
    } else {
      ReadHeader();
    }
  }

  void ReadHeader() {
    if (stop_) return Close();
    in_request_ = false;
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
    deadline_.ExpireAfter(server_->options.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    in_request_ = true;
    auto& req = parser_->get();
    auto expect = req[http::field::expect];
    if (Lower(ToString(expect)) == "100-continue") {
      // curl waits a second for this before sending a body over 1 KiB.
      continue_.emplace(http::status::continue_, req.version());
      deadline_.ExpireAfter(server_->options.io_timeout);
      http::async_write(stream_, *continue_,
                        [self = this->shared_from_this()](beast::error_code wec, size_t) {
                          if (wec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    // What came with the head (usually the whole body) is parsed in place,
    // not through an asynchronous read that would complete at once.
    if (buffer_.size() > 0 && !parser_->is_done()) {
      beast::error_code ec;
      parser_->eager(true);
      buffer_.consume(parser_->put(buffer_.data(), ec));
      if (ec && ec != http::error::need_more) return OnReadError(ec);
    }
    if (parser_->is_done()) return Handle();
    deadline_.ExpireAfter(server_->options.io_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->OnReadError(ec);
      self->Handle();
    });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return SendError(413, "request body is larger than the limit of " +
                                std::to_string(server_->options.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return SendError(431, "request headers are larger than the limit of " +
                                std::to_string(server_->options.max_header_bytes) + " bytes");
    }
    if (IsParseError(ec)) return SendError(400, "malformed HTTP request: " + ec.message());
    // Timed out: closed at once, as a client that went quiet gets no TLS
    // goodbye either. End of stream, reset, or Stop(): the orderly close.
    if (deadline_.expired() && !stop_) return CloseNow();
    Close();
  }

  void Handle() {
    auto& req = parser_->get();
    HttpRequest request;
    request.method = ToString(req.method_string());
    request.target = ToString(req.target());
    for (const auto& f : req) {
      request.headers.emplace_back(Lower(ToString(f.name_string())), ToString(f.value()));
    }
    request.body = std::move(req.body());
    request.remote_address = remote_;
    request.client_subject = client_subject_;
    answered_.store(false, std::memory_order_relaxed);
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    HttpResponder respond = [self = this->shared_from_this(), keep_alive, version](HttpResponse r) mutable {
      if (!self || self->answered_.exchange(true)) return;
      // Inline when the handler answers on this worker; posted otherwise.
      // The session moves along, so its last reference goes on its worker.
      const Executor executor = self->stream_.get_executor();
      asio::dispatch(executor, [self = std::move(self), keep_alive, version, r = std::move(r)]() mutable {
        self->Write(std::move(r), keep_alive && !self->stop_, version);
      });
    };
    try {
      server_->handler(std::move(request), respond);
    } catch (const std::exception& e) {
      respond(server_->ErrorResponse(500, std::string("internal error: ") + e.what()));
    } catch (...) {
      respond(server_->ErrorResponse(500, "internal error"));
    }
  }

  void SendError(int status, const std::string& message) {
    Write(server_->ErrorResponse(status, message), false, 11);
  }

  void Write(HttpResponse r, bool keep_alive, unsigned version) {
    in_request_ = true;
    if (StatusHasNoBody(r.status)) r.body.clear();
    ResponseHeadFields head;
    head.version = version;
    head.status = r.status;
    head.keep_alive = keep_alive;
    head.server = "trustplane";
    head.date = DateNow();
    head.content_type = r.content_type;
    head.extra = &r.headers;
    head.content_length = r.body.size();
    head_ = SerializeResponseHead(head);
    body_ = std::move(r.body);
    keep_alive_ = keep_alive;
    // Not a std::array of two buffers: once the head is written, Asio
    // (Boost 1.74) presents the rest as an empty buffer followed by the
    // body, and Beast's ssl_stream then writes nothing and reports the write
    // complete: TLS bodies over 16 KiB were lost. A buffers_cat view drops
    // the empty buffer.
    const auto parts = beast::buffers_cat(asio::buffer(head_), asio::buffer(body_));
    deadline_.ExpireAfter(server_->options.io_timeout);
    asio::async_write(stream_, parts, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) return self->Close();
      self->ReadHeader();
    });
  }

  void Close() {
    in_request_ = false;
    deadline_.ExpireAfter(std::chrono::seconds(2));
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->CloseNow(); });
    } else {
      beast::error_code ignored;
      Lowest().shutdown(tcp::socket::shutdown_send, ignored);
      // Drain what the client still sends (an unread body) until it closes,
      // so our last response is not lost to a reset.
      Drain();
    }
  }

  void Drain() {
    Lowest().async_read_some(asio::buffer(scratch_),
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (!ec) return self->Drain();
                               self->CloseNow();
                             });
  }

  void CloseNow() {
    in_request_ = false;
    beast::error_code ignored;
    Lowest().close(ignored);
  }

  HttpServer::Impl* server_;
  Stream stream_;
  ConnectionDeadline deadline_;
  std::string remote_;
  std::string client_subject_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  // The answer being written.
  std::string head_;
  std::string body_;
  bool keep_alive_ = false;
  char scratch_[4096];
  bool in_request_ = false;
  bool stop_ = false;
  std::atomic<bool> answered_{false};  // the current request's responder was called
};

}  // namespace

void HttpServer::Impl::Accept() {
  const size_t worker = next_worker++ % workers.size();
  acceptor->async_accept(workers[worker]->io, [this, worker](beast::error_code ec, Socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      beast::error_code rec;
      // Responses are written whole; Nagle would only hold the next one on a
      // kept-alive connection back until the client's delayed ACK.
      socket.set_option(tcp::no_delay(true), rec);
      auto ep = socket.remote_endpoint(rec);
      std::string remote = rec ? "" : ep.address().to_string() + ":" + std::to_string(ep.port());
      if (tls) {
        auto s = std::make_shared<Session<TlsStream>>(this, TlsStream(std::move(socket), *tls),
                                                      std::move(remote));
        if (Register(s, worker)) s->Start();
      } else {
        auto s = std::make_shared<Session<Socket>>(this, std::move(socket), std::move(remote));
        if (Register(s, worker)) s->Start();
      }
    }
    Accept();  // transient errors (EMFILE, ...) do not stop the server
  });
}

void HttpServer::Impl::Sweep(size_t worker) {
  Timer& timer = *workers[worker]->sweep;
  timer.expires_after(sweep_interval);
  timer.async_wait([this, worker](beast::error_code ec) {
    if (ec) return;
    std::vector<std::shared_ptr<SessionBase>> mine;
    {
      std::lock_guard lock(mu);
      for (auto& [raw, entry] : sessions) {
        if (entry.worker != worker) continue;
        if (auto s = entry.session.lock()) mine.push_back(std::move(s));
      }
    }
    const auto now = Clock::now();
    for (auto& s : mine) s->CancelIfExpired(now);
    mine.clear();  // outside mu: a last reference unregisters
    Sweep(worker);
  });
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, HttpHandler handler) {
  // An exception leaves respond uncalled; the session answers it with a 500.
  return StartAsync(std::move(options), [handler = std::move(handler)](HttpRequest request, HttpResponder respond) {
    respond(handler(request));
  });
}

Result<std::unique_ptr<HttpServer>> HttpServer::StartAsync(HttpServerOptions options, AsyncHttpHandler handler) {
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  const auto& o = impl->options;
  if (o.tls) {
    TP_ASSIGN_OR_RETURN(impl->tls, MakeTlsServerContext(*o.tls));
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(o.address, ec);
  if (ec) return Status::InvalidArgument("listen address '" + o.address + "' is not an IP address");
  tcp::endpoint endpoint(address, o.port);
  const int n = o.threads > 0 ? o.threads : UsableCpuCount();
  for (int i = 0; i < n; ++i) impl->workers.push_back(std::make_unique<Impl::Worker>());
  impl->acceptor = std::make_unique<Acceptor>(impl->workers.front()->io);
  auto& acc = *impl->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (ec) {
    const std::string where = o.address + ":" + std::to_string(o.port);
    if (ec == asio::error::address_in_use) return Status::Conflict(where + " is already in use");
    return Status::InvalidArgument("cannot bind " + where + ": " + ec.message());
  }
  acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Internal("listen: " + ec.message());
  impl->port = acc.local_endpoint().port();
  const Clock::duration shortest = std::min(o.idle_timeout, o.io_timeout);
  impl->sweep_interval = std::clamp<Clock::duration>(shortest / 4, std::chrono::milliseconds(10),
                                                     std::chrono::milliseconds(250));
  impl->Accept();
  for (size_t i = 0; i < impl->workers.size(); ++i) {
    Impl::Worker& w = *impl->workers[i];
    w.sweep = std::make_unique<Timer>(w.io);
    impl->Sweep(i);
    w.thread = std::thread([&w] { w.io.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->tls != nullptr; }

void HttpServer::Stop() {
  std::lock_guard stop_lock(impl_->stop_mu);
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopped) return;
    impl_->stopping = true;
    for (auto& [raw, entry] : impl_->sessions) {
      if (auto s = entry.session.lock()) live.push_back(std::move(s));
    }
  }
  asio::post(impl_->acceptor->get_executor(), [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor->close(ignored);
  });
  for (auto& s : live) s->PostStop();
  live.clear();  // the sessions' own handlers keep them alive
  {
    std::unique_lock lock(impl_->mu);
    impl_->cv.wait_for(lock, impl_->options.drain_timeout, [&] { return impl_->sessions.empty(); });
  }
  for (auto& w : impl_->workers) w->io.stop();
  for (auto& w : impl_->workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  std::lock_guard lock(impl_->mu);
  impl_->stopped = true;
  impl_->cv.notify_all();
}

void HttpServer::Wait() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace trustplane::net
