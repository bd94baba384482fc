// HttpServer: an HTTP/1.1 server (Boost.Beast on Boost.Asio) for the
// control-plane APIs. N worker threads each run an io_context; a connection
// stays on one worker, with keep-alive, size limits, timeouts (checked a few
// times a second: one fires up to 250 ms, or a quarter of the shortest
// timeout, late) and optional TLS / mTLS. Handlers see only the small Request/Response structs
// below, so no Beast type leaks into other modules.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/net/tls_server_context.h"

namespace trustplane::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/v1/cfssl/crl?expiry=24h"
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order
  std::string body;
  std::string remote_address;  // "127.0.0.1:53412"
  // The verified client certificate's subject (mTLS only), one line.
  std::string client_subject;

  std::string_view path() const;   // target up to '?'
  std::string_view query() const;  // after '?', "" when none
  // First header with this (case-insensitive) name, or "".
  std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Runs on an io thread; may be called on many threads at once. Exceptions
// are caught and answered with a 500.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// Sends the answer to one request; call it exactly once, from any thread.
// The connection reads nothing more until it is called.
using HttpResponder = std::function<void(HttpResponse)>;
// A handler that may answer after it returns, from another thread, so a
// request that waits (for a durable database commit, say) holds no io
// thread meanwhile. It runs on an io thread like HttpHandler.
using AsyncHttpHandler = std::function<void(HttpRequest, HttpResponder)>;
// Builds the answer to requests the server refuses before any handler runs
// (413 body too large, 431 headers too large, 400 malformed), so an API can
// keep its own error format. `message` says what was wrong.
using HttpErrorFormatter = std::function<HttpResponse(int status, const std::string& message)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port, see HttpServer::port()
  int threads = 0;    // 0: UsableCpuCount()
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  // Waiting for the next request on a kept-alive (or new) connection.
  std::chrono::milliseconds idle_timeout{60'000};
  // Reading one request body, and writing one response.
  std::chrono::milliseconds io_timeout{30'000};
  // How long Stop() lets in-flight requests finish.
  std::chrono::milliseconds drain_timeout{10'000};
  std::optional<TlsServerFiles> tls;  // none: plain HTTP
  HttpErrorFormatter error_formatter;  // none: text/plain
};

// The CPUs this process may run on (its affinity mask, so `taskset -c 0`
// gives 1), at least 1. hardware_concurrency() counts every CPU of the
// machine; threads beyond the usable ones only add futex wake-ups.
int UsableCpuCount();

class HttpServer {
 public:
  // Binds, listens and starts the threads. kInvalidArgument for a bad
  // address or unusable TLS files, kConflict when the port is taken.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, HttpHandler handler);
  static Result<std::unique_ptr<HttpServer>> StartAsync(HttpServerOptions options, AsyncHttpHandler handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;  // the bound port
  bool tls() const;
  // Stops accepting, closes idle connections, lets requests being handled
  // finish and answers them with "Connection: close" (up to drain_timeout),
  // then joins the threads; an async answer that comes later is dropped. Idempotent; safe from any thread but an io one.
  void Stop();
  // Blocks until Stop() has finished (from another thread).
  void Wait();

  struct Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace trustplane::net
