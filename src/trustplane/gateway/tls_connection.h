// TlsConnection: a client connection's TLS with OpenSSL on a BIO of our own.
// Writes go from OpenSSL straight to the socket (send with MSG_NOSIGNAL);
// reads come from a buffer that one asynchronous socket read fills whenever
// OpenSSL has consumed it. Asio tries that read at once; the connection
// first lets the connections already queued run, so the read usually finds
// the client's bytes there and costs one recv, no trip through epoll. Asio's
// ssl::stream instead passes every record through a memory BIO pair and runs
// an operation state machine per read and write; on the keep-alive path
// that was a good part of the gateway's own CPU.
//
// Timeouts: every wait goes through the connection's ConnectionDeadline; an
// operation the worker's sweep cancelled ends with beast::error::timeout.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/beast/core/error.hpp>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/openssl_ptr.h"
#include "trustplane/net/connection_deadline.h"
#include "trustplane/gateway/io_types.h"

namespace trustplane::gateway {

class TlsConnection {
 public:
  // On failure (out of memory) ok() is false.
  TlsConnection(io::Socket socket, SSL_CTX* ctx, net::ConnectionDeadline& deadline);
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  bool ok() const { return ssl_ != nullptr; }
  SSL* native_handle() { return ssl_.get(); }
  io::Socket& socket() { return socket_; }

  io::Task<void> Handshake(boost::beast::error_code& ec);
  // Up to size decrypted bytes; asio::error::eof after the client's
  // close_notify, asio::ssl::error::stream_truncated when it closed without.
  io::Task<size_t> ReadSome(void* data, size_t size, boost::beast::error_code& ec);
  // Both parts, in one TLS record (and one send) when they fit in one.
  io::Task<void> Write(std::string_view head, std::string_view body, boost::beast::error_code& ec);
  // Sends close_notify if the socket takes it now, and closes the socket.
  void Close();
  // Close() for a connection whose client may still be sending (a request
  // refused before its body was read): the socket's write side is shut and
  // what arrives is read and dropped until the client closes, for at most
  // `linger`, before the socket closes. Closing at once would make the
  // kernel answer the unread bytes with a reset, which can destroy the
  // response before the client reads it.
  io::Task<void> CloseAfterUnreadInput(std::chrono::seconds linger);

 private:
  friend struct TlsBio;

  // Refills the read buffer (want_read) or waits until the socket is
  // writable; false when that failed (ec set). The client's end of stream
  // is not a failure: OpenSSL reads it and tells how the stream ended.
  io::Task<bool> Wait(bool want_read, boost::beast::error_code& ec);
  // Runs one OpenSSL call's outcome through SSL_get_error: 0 done, 1 wait
  // for read, 2 wait for write, -1 failed (ec set).
  int Classify(int ret, boost::beast::error_code& ec);
  // Before an OpenSSL I/O call: what Classify reads must be that call's.
  static void ClearErrors() {
    ERR_clear_error();
    errno = 0;
  }
  void SendCloseNotify();

  io::Socket socket_;
  OpenSslPtr<SSL, SSL_free> ssl_;  // after socket_: freed first, its BIO never closes the socket
  net::ConnectionDeadline& deadline_;
  std::string scratch_;   // head and body joined, reused across responses
  std::vector<char> in_;  // bytes from the socket that OpenSSL has not read yet
  size_t in_pos_ = 0;
  size_t in_end_ = 0;
  bool in_eof_ = false;
};

}  // namespace trustplane::gateway
