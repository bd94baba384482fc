#include "trustplane/gateway/tls_connection.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <cstring>

namespace trustplane::gateway {

namespace asio = boost::asio;
using boost::beast::error_code;

namespace {

// The largest plaintext of one TLS record.
constexpr size_t kRecordPayload = 16 * 1024;
// A joined response larger than this is not kept for the next one.
constexpr size_t kKeptScratch = 4 * 1024;

// A TLS record at most, with its header and the largest expansion.
constexpr size_t kReadBuffer = 5 + 16 * 1024 + 256;
// What a closing connection reads and drops at most before it closes anyway.
constexpr size_t kMaxLingerBytes = 4 << 20;

}  // namespace

// OpenSSL's side of the connection's BIO.
struct TlsBio {
  static TlsConnection& Of(BIO* bio) { return *static_cast<TlsConnection*>(BIO_get_data(bio)); }

  // OpenSSL's own socket BIO writes with write(), which raises SIGPIPE when
  // the client has gone; send() with MSG_NOSIGNAL reports EPIPE instead.
  static int Write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    const int fd = Of(bio).socket_.native_handle();
    ssize_t n;
    do {
      n = ::send(fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_write(bio);
    return static_cast<int>(n);
  }

  static int Read(BIO* bio, char* data, int size) {
    BIO_clear_retry_flags(bio);
    TlsConnection& c = Of(bio);
    if (c.in_pos_ == c.in_end_) {
      if (c.in_eof_) return 0;
      BIO_set_retry_read(bio);  // TlsConnection::Wait refills
      return -1;
    }
    const size_t n = std::min(static_cast<size_t>(size), c.in_end_ - c.in_pos_);
    std::memcpy(data, c.in_.data() + c.in_pos_, n);
    c.in_pos_ += n;
    return static_cast<int>(n);
  }

  static long Ctrl(BIO*, int cmd, long, void*) {
    // Writes are never held here: a flush has nothing to do.
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
  }

  static int Create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static const BIO_METHOD* Method() {
    // Made once and kept for the life of the process.
    static BIO_METHOD* const method = [] {
      BIO_METHOD* m =
          BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "trustplane gateway connection");
      if (m != nullptr) {
        BIO_meth_set_write(m, Write);
        BIO_meth_set_read(m, Read);
        BIO_meth_set_ctrl(m, Ctrl);
        BIO_meth_set_create(m, Create);
      }
      return m;
    }();
    return method;
  }
};

TlsConnection::TlsConnection(io::Socket socket, SSL_CTX* ctx, net::ConnectionDeadline& deadline)
    : socket_(std::move(socket)), deadline_(deadline) {
  // Writes go straight to the descriptor and must not block.
  error_code ec;
  socket_.non_blocking(true, ec);
  const BIO_METHOD* method = TlsBio::Method();
  if (ec || method == nullptr) return;
  SSL* ssl = SSL_new(ctx);
  BIO* bio = ssl != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl);
    return;
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by ssl
  SSL_set_accept_state(ssl);
  // Take whole buffered records at once, not a record header and then its body.
  SSL_set_read_ahead(ssl, 1);
  ssl_.reset(ssl);
}

int TlsConnection::Classify(int ret, error_code& ec) {
  if (ret > 0) return 0;
  const int sys = errno;
  const int err = SSL_get_error(ssl_.get(), ret);
  const unsigned long queued = ERR_get_error();
  ERR_clear_error();
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return 1;
    case SSL_ERROR_WANT_WRITE:
      return 2;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;  // the client's close_notify
      return -1;
    case SSL_ERROR_SYSCALL:
      if (queued != 0) {
        ec = error_code(static_cast<int>(queued), asio::error::get_ssl_category());
      } else if (sys != 0) {
        ec = error_code(sys, boost::system::system_category());
      } else {
        ec = asio::ssl::error::stream_truncated;
      }
      return -1;
    default:
      if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ec = asio::ssl::error::stream_truncated;
      } else {
        // The same codes (and messages) Asio's ssl::stream reports.
        ec = error_code(static_cast<int>(queued), asio::error::get_ssl_category());
      }
      return -1;
  }
}

io::Task<bool> TlsConnection::Wait(bool want_read, error_code& ec) {
  if (want_read) {
    // Asio tries the read at once; after a response went out the client's
    // next request is rarely there yet. Letting the connections already
    // queued run first makes that try succeed far more often than not,
    // saving a failed recv and an epoll round per request.
    co_await asio::post(socket_.get_executor(), io::kAwait);
  }
  // Checked after the yield too: the deadline may have passed (or shutdown
  // ended the connection) while no operation was there to cancel.
  if (deadline_.expired()) {
    ec = boost::beast::error::timeout;
    co_return false;
  }
  if (!want_read) {
    co_await socket_.async_wait(io::Socket::wait_write, asio::redirect_error(io::kAwait, ec));
    ec = deadline_.Explain(ec);
    co_return !ec;
  }
  if (in_.empty()) in_.resize(kReadBuffer);
  const size_t n =
      co_await socket_.async_read_some(asio::buffer(in_), asio::redirect_error(io::kAwait, ec));
  if (ec == asio::error::eof) {
    in_eof_ = true;
    ec = {};
    co_return true;
  }
  ec = deadline_.Explain(ec);
  in_pos_ = 0;
  in_end_ = ec ? 0 : n;
  co_return !ec;
}

io::Task<void> TlsConnection::Handshake(error_code& ec) {
  ec = {};
  for (;;) {
    ClearErrors();
    const int step = Classify(SSL_do_handshake(ssl_.get()), ec);
    if (step == 0) co_return;
    if (step < 0 || !co_await Wait(step == 1, ec)) co_return;
  }
}

io::Task<size_t> TlsConnection::ReadSome(void* data, size_t size, error_code& ec) {
  ec = {};
  for (;;) {
    ClearErrors();
    size_t n = 0;
    const int step = Classify(SSL_read_ex(ssl_.get(), data, size, &n), ec);
    if (step == 0) co_return n;
    if (step < 0 || !co_await Wait(step == 1, ec)) co_return 0;
  }
}

io::Task<void> TlsConnection::Write(std::string_view head, std::string_view body, error_code& ec) {
  ec = {};
  std::string_view parts[2] = {head, body};
  if (!head.empty() && !body.empty() && head.size() + body.size() <= kRecordPayload) {
    scratch_.assign(head);
    scratch_.append(body);
    parts[0] = scratch_;
    parts[1] = {};
  }
  for (std::string_view part : parts) {
    while (!part.empty()) {
      // Without SSL_MODE_ENABLE_PARTIAL_WRITE a success wrote all of it; a
      // retry after a wait passes the same buffer, as OpenSSL requires.
      ClearErrors();
      size_t n = 0;
      const int step = Classify(SSL_write_ex(ssl_.get(), part.data(), part.size(), &n), ec);
      if (step == 0) break;
      if (step < 0 || !co_await Wait(step == 1, ec)) co_return;
    }
  }
  if (scratch_.capacity() > kKeptScratch) std::string().swap(scratch_);
}

void TlsConnection::SendCloseNotify() {
  // One close_notify if the socket takes it now; the client's own
  // close_notify is not waited for.
  if (ssl_ == nullptr || !SSL_is_init_finished(ssl_.get())) return;
  ClearErrors();
  SSL_shutdown(ssl_.get());
  ClearErrors();
}

io::Task<void> TlsConnection::CloseAfterUnreadInput(std::chrono::seconds linger) {
  SendCloseNotify();
  error_code ec;
  socket_.shutdown(io::Socket::shutdown_send, ec);
  deadline_.ExpireAfter(linger);  // the sweep cancels the read below
  if (in_.empty()) in_.resize(kReadBuffer);
  size_t dropped = 0;
  while (!ec && dropped < kMaxLingerBytes && !deadline_.expired()) {
    dropped +=
        co_await socket_.async_read_some(asio::buffer(in_), asio::redirect_error(io::kAwait, ec));
  }
  socket_.close(ec);
}

void TlsConnection::Close() {
  SendCloseNotify();
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace trustplane::gateway
