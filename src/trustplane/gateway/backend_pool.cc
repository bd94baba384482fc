#include "trustplane/gateway/backend_pool.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace trustplane::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

asio::awaitable<BackendPool::Lease> BackendPool::Acquire(const HostPort& backend,
                                                         std::chrono::seconds timeout,
                                                         beast::error_code& ec, bool fresh) {
  ec = {};
  Lease lease;
  auto it = fresh ? idle_.end() : idle_.find(Key(backend));
  const auto now = std::chrono::steady_clock::now();
  while (it != idle_.end() && !it->second.empty()) {
    Idle idle = std::move(it->second.back());
    it->second.pop_back();
    if (now - idle.since <= max_idle_ && idle.stream->socket().is_open()) {
      lease.stream = std::move(idle.stream);
      lease.reused = true;
      co_return lease;
    }
  }
  tcp::resolver resolver(io_);
  auto endpoints = co_await resolver.async_resolve(backend.host, std::to_string(backend.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return lease;
  auto stream = std::make_unique<beast::tcp_stream>(io_);
  stream->expires_after(timeout);
  co_await stream->async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return lease;
  stream->socket().set_option(tcp::no_delay(true), ec);
  ec = {};
  lease.stream = std::move(stream);
  co_return lease;
}

void BackendPool::Release(const HostPort& backend, std::unique_ptr<beast::tcp_stream> stream) {
  auto& list = idle_[Key(backend)];
  if (list.size() >= max_idle_per_backend_) return;  // closes it
  stream->expires_never();
  list.push_back({std::move(stream), std::chrono::steady_clock::now()});
}

}  // namespace trustplane::gateway
