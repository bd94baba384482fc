// TlsConnection against a real OpenSSL client on a loopback socket: the
// client runs blocking OpenSSL calls on a thread of its own while the
// connection's coroutine runs on the test's io_context.
#include "trustplane/gateway/tls_connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/error.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "support/test_pki.h"
#include "trustplane/base/openssl_ptr.h"

namespace trustplane::gateway {
namespace {

namespace asio = boost::asio;
using boost::beast::error_code;
using SslCtx = OpenSslPtr<SSL_CTX, SSL_CTX_free>;
using Ssl = OpenSslPtr<SSL, SSL_free>;

SslCtx ServerContext() {
  const testing::Issued root = testing::MakeRootCa("tls connection test root");
  const testing::Issued leaf = testing::MakeLocalServerLeaf("localhost", root);
  SslCtx ctx(SSL_CTX_new(TLS_server_method()));
  OpenSslPtr<BIO, BIO_free_all> pem(
      BIO_new_mem_buf(leaf.cert_pem.data(), static_cast<int>(leaf.cert_pem.size())));
  OpenSslPtr<X509, X509_free> cert(PEM_read_bio_X509(pem.get(), nullptr, nullptr, nullptr));
  if (!ctx || !cert || SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), leaf.key.get()) != 1) {
    throw std::runtime_error("server context");
  }
  return ctx;
}

// Bytes whose position can be told from their value.
std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// A blocking TLS client on its own thread; the test gives it a script.
class Client {
 public:
  Client(uint16_t port, std::function<void(SSL*, int fd)> script)
      : thread_([port, script = std::move(script)] {
          SslCtx ctx(SSL_CTX_new(TLS_client_method()));
          const int fd = socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in addr{};
          addr.sin_family = AF_INET;
          addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          addr.sin_port = htons(port);
          Ssl ssl(SSL_new(ctx.get()));
          if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
            SSL_set_fd(ssl.get(), fd);
            if (SSL_connect(ssl.get()) == 1) script(ssl.get(), fd);
          }
          close(fd);
        }) {}
  ~Client() { Join(); }
  // Waits for the script to end.
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

class TlsConnectionTest : public ::testing::Test {
 protected:
  TlsConnectionTest() : ctx_(ServerContext()), acceptor_(io_) {
    acceptor_.open(io::Tcp::v4());
    acceptor_.bind({asio::ip::address_v4::loopback(), 0});
    acceptor_.listen();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Accepts one connection and runs `body` on it to its end.
  void Serve(std::function<io::Task<void>(TlsConnection&)> body) {
    asio::co_spawn(
        io_,
        [&]() -> io::Task<void> {
          io::Socket socket = co_await acceptor_.async_accept(io::kAwait);
          TlsConnection conn(std::move(socket), ctx_.get(), deadline_);
          EXPECT_TRUE(conn.ok());
          co_await body(conn);
        },
        asio::detached);
    io_.run();
  }

  SslCtx ctx_;
  asio::io_context io_{1};
  io::Acceptor acceptor_;
  net::ConnectionDeadline deadline_;
};

TEST_F(TlsConnectionTest, ReadsWhatTheClientSentAndWritesMoreThanOneRecordIntact) {
  const std::string big = Pattern(100000);
  std::string received;
  Client client(port(), [&](SSL* ssl, int) {
    SSL_write(ssl, "hello gateway", 13);
    char buf[8192];
    while (received.size() < 5 + big.size()) {
      const int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) break;
      received.append(buf, static_cast<size_t>(n));
    }
    SSL_shutdown(ssl);  // close_notify
  });
  Serve([&](TlsConnection& conn) -> io::Task<void> {
    error_code ec;
    co_await conn.Handshake(ec);
    EXPECT_FALSE(ec) << ec.message();
    char buf[64];
    const size_t n = co_await conn.ReadSome(buf, sizeof(buf), ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(std::string(buf, n), "hello gateway");
    co_await conn.Write("head:", big, ec);
    EXPECT_FALSE(ec) << ec.message();
    co_await conn.ReadSome(buf, sizeof(buf), ec);
    EXPECT_EQ(ec, asio::error::eof) << "a close_notify is a clean end: " << ec.message();
    conn.Close();
  });
  client.Join();
  EXPECT_EQ(received, "head:" + big);
}

TEST_F(TlsConnectionTest, AWriteTheSocketCannotTakeAtOnceWaitsForTheClientToRead) {
  // Far more than the loopback socket buffers hold: the write must wait for
  // the client, which starts reading only after a pause.
  const std::string big = Pattern(16 << 20);
  std::string received;
  Client client(port(), [&](SSL* ssl, int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::string buf(1 << 16, '\0');
    while (received.size() < big.size()) {
      const int n = SSL_read(ssl, buf.data(), static_cast<int>(buf.size()));
      if (n <= 0) break;
      received.append(buf.data(), static_cast<size_t>(n));
    }
  });
  Serve([&](TlsConnection& conn) -> io::Task<void> {
    error_code ec;
    co_await conn.Handshake(ec);
    co_await conn.Write("", big, ec);
    EXPECT_FALSE(ec) << ec.message();
    conn.Close();
  });
  client.Join();
  EXPECT_EQ(received.size(), big.size());
  EXPECT_TRUE(received == big) << "the bytes arrived changed or out of order";
}

TEST_F(TlsConnectionTest, AClientThatClosesWithoutCloseNotifyIsATruncatedStream) {
  Client client(port(), [](SSL*, int fd) { shutdown(fd, SHUT_RDWR); });
  Serve([&](TlsConnection& conn) -> io::Task<void> {
    error_code ec;
    co_await conn.Handshake(ec);
    char buf[64];
    co_await conn.ReadSome(buf, sizeof(buf), ec);
    EXPECT_EQ(ec, asio::ssl::error::stream_truncated) << ec.message();
  });
}

TEST_F(TlsConnectionTest, APassedDeadlineEndsAWaitingReadWithATimeout) {
  Client client(port(), [](SSL* ssl, int) {
    char c;
    SSL_read(ssl, &c, 1);  // until the server closes
  });
  Serve([&](TlsConnection& conn) -> io::Task<void> {
    error_code ec;
    co_await conn.Handshake(ec);
    EXPECT_FALSE(ec) << ec.message();
    // What the gateway's sweep does for a connection past its deadline.
    deadline_.ExpireAfter(std::chrono::seconds(0));
    io::Timer sweep(io_, std::chrono::milliseconds(50));
    sweep.async_wait([&](error_code) {
      if (deadline_.ExpireIfDue(net::ConnectionDeadline::Clock::now())) conn.socket().cancel();
    });
    char buf[64];
    co_await conn.ReadSome(buf, sizeof(buf), ec);
    EXPECT_EQ(ec, boost::beast::error::timeout) << ec.message();
    // Once expired, the next wait fails at once instead of waiting unbounded.
    co_await conn.ReadSome(buf, sizeof(buf), ec);
    EXPECT_EQ(ec, boost::beast::error::timeout) << ec.message();
    conn.Close();
  });
}

TEST_F(TlsConnectionTest, APlainHttpClientFailsTheHandshakeWithOpenSslsReason) {
  std::thread plain([port = port()] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
      (void)!write(fd, request.data(), request.size());
      char c;
      while (read(fd, &c, 1) > 0) {
      }
    }
    close(fd);
  });
  Serve([&](TlsConnection& conn) -> io::Task<void> {
    error_code ec;
    co_await conn.Handshake(ec);
    EXPECT_EQ(&ec.category(), &asio::error::get_ssl_category()) << ec.message();
    EXPECT_NE(ec.message().find("http request"), std::string::npos) << ec.message();
    conn.Close();
  });
  plain.join();
}

}  // namespace
}  // namespace trustplane::gateway
