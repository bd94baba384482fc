// ConnectionDeadline: when a connection's current step (handshake, idle
// wait, request head, backend exchange, ...) must be over. Setting it is a
// clock read and a store; the server's sweep (GatewayServer, HttpServer)
// checks every connection a few times a second, on the connection's own
// thread, and cancels the sockets of one whose deadline passed. A timer per
// I/O operation, as Beast's basic_stream keeps, costs a timer-queue insert
// and cancel on every read and write of the keep-alive path; timeouts of
// seconds need no such precision.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>

namespace trustplane::net {

class ConnectionDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  void ExpireAfter(Clock::duration d) {
    at_ = Clock::now() + d;
    expired_ = false;
  }
  bool expired() const { return expired_; }
  // Ends the current step now (shutdown ending an idle connection).
  void Expire() { expired_ = true; }
  // For the sweep: true, once, when now is past the deadline.
  bool ExpireIfDue(Clock::time_point now) {
    if (expired_ || now < at_) return false;
    expired_ = true;
    return true;
  }
  // An operation the sweep cancelled reports a timeout, as Beast's streams do.
  boost::beast::error_code Explain(boost::beast::error_code ec) const {
    if (expired_ && ec == boost::asio::error::operation_aborted) {
      return boost::beast::error::timeout;
    }
    return ec;
  }

 private:
  Clock::time_point at_ = Clock::time_point::max();
  bool expired_ = false;
};

}  // namespace trustplane::net
