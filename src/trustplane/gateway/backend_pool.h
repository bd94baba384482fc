// BackendPool: idle keep-alive connections to the backends, per event loop
// (a worker's connections never cross threads, so no locks). Connections are
// reused most-recent first; one idle longer than max_idle is closed instead.
// Taking a pooled connection (TakeIdle) is synchronous and allocates nothing,
// since it runs on every proxied request.
// A pooled connection may have been closed by the backend meanwhile: the
// caller retries once on a fresh one when a reused connection fails before
// any response byte arrives.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trustplane/gateway/gateway_config.h"
#include "trustplane/gateway/io_types.h"

namespace trustplane::gateway {

class BackendPool {
 public:
  BackendPool(boost::asio::io_context& io, size_t max_idle_per_backend,
              std::chrono::seconds max_idle)
      : io_(io), max_idle_per_backend_(max_idle_per_backend), max_idle_(max_idle) {}

  // Reads and writes on a leased connection are bounded by the client
  // connection's deadline (its worker sweeps them), not by a timer here.
  struct Lease {
    std::unique_ptr<io::Socket> socket;
    bool reused = false;
  };
  // A pooled connection to backend that is still open and has not idled
  // past max_idle; an empty lease when there is none.
  Lease TakeIdle(const HostPort& backend);
  // A new connection (resolve + connect within timeout). On failure ec is
  // set and the lease is empty.
  io::Task<Lease> Connect(const HostPort& backend, std::chrono::seconds timeout,
                          boost::beast::error_code& ec);
  // Returns a connection whose last response was read completely and allowed
  // keep-alive.
  void Release(const HostPort& backend, std::unique_ptr<io::Socket> socket);
  // Closes every idle connection (shutdown).
  void Clear() { backends_.clear(); }

 private:
  struct Idle {
    std::unique_ptr<io::Socket> socket;
    std::chrono::steady_clock::time_point since;
  };
  struct Backend {
    std::string host;
    uint16_t port = 0;
    std::vector<Idle> idle;
  };
  // A handful of backends per gateway: a linear search compares in place
  // where a map would build a key string per request.
  std::vector<Idle>* Find(const HostPort& b);

  boost::asio::io_context& io_;
  size_t max_idle_per_backend_;
  std::chrono::seconds max_idle_;
  std::vector<Backend> backends_;
};

}  // namespace trustplane::gateway
