// The gateway's I/O types, bound to io_context's own executor instead of
// Asio's polymorphic any_io_executor: every asynchronous operation on the
// request path copies its stream's executor (several times per request), and
// the type-erased copy, compare and destroy showed up in the keep-alive
// profile. Each worker runs one io_context, so nothing needs the polymorphism.
#pragma once

// clang-format off
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>

namespace trustplane::gateway::io {

using Executor = boost::asio::io_context::executor_type;
using Tcp = boost::asio::ip::tcp;
using Socket = boost::asio::basic_stream_socket<Tcp, Executor>;
using Acceptor = boost::asio::basic_socket_acceptor<Tcp, Executor>;
using Resolver = Tcp::resolver::rebind_executor<Executor>::other;
using Timer = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;
// A TCP stream with Beast's per-operation timeouts.
using TcpStream = boost::beast::basic_stream<Tcp, Executor>;
template <typename T>
using Task = boost::asio::awaitable<T, Executor>;
inline constexpr boost::asio::use_awaitable_t<Executor> kAwait{};

}  // namespace trustplane::gateway::io
