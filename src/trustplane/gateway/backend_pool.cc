#include "trustplane/gateway/backend_pool.h"

#include <boost/asio/redirect_error.hpp>

namespace trustplane::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;

std::vector<BackendPool::Idle>* BackendPool::Find(const HostPort& b) {
  for (Backend& e : backends_) {
    if (e.port == b.port && e.host == b.host) return &e.idle;
  }
  return nullptr;
}

BackendPool::Lease BackendPool::TakeIdle(const HostPort& backend) {
  Lease lease;
  std::vector<Idle>* idle = Find(backend);
  if (idle == nullptr) return lease;
  const auto now = std::chrono::steady_clock::now();
  while (!idle->empty()) {
    Idle last = std::move(idle->back());
    idle->pop_back();
    if (now - last.since <= max_idle_ && last.socket->is_open()) {
      lease.socket = std::move(last.socket);
      lease.reused = true;
      return lease;
    }
  }
  return lease;
}

io::Task<BackendPool::Lease> BackendPool::Connect(const HostPort& backend,
                                                  std::chrono::seconds timeout,
                                                  beast::error_code& ec) {
  ec = {};
  Lease lease;
  io::Resolver resolver(io_);
  auto endpoints = co_await resolver.async_resolve(backend.host, std::to_string(backend.port),
                                                   asio::redirect_error(io::kAwait, ec));
  if (ec) co_return lease;
  // Connecting is rare next to requests: a timer of its own is fine here.
  io::TcpStream stream(io_);
  stream.expires_after(timeout);
  co_await stream.async_connect(endpoints, asio::redirect_error(io::kAwait, ec));
  if (ec) co_return lease;
  stream.socket().set_option(io::Tcp::no_delay(true), ec);
  ec = {};
  lease.socket = std::make_unique<io::Socket>(stream.release_socket());
  co_return lease;
}

void BackendPool::Release(const HostPort& backend, std::unique_ptr<io::Socket> socket) {
  std::vector<Idle>* idle = Find(backend);
  if (idle == nullptr) {
    backends_.push_back(Backend{backend.host, backend.port, {}});
    idle = &backends_.back().idle;
  }
  if (idle->size() >= max_idle_per_backend_) return;  // closes it
  idle->push_back({std::move(socket), std::chrono::steady_clock::now()});
}

}  // namespace trustplane::gateway
