#include "trustplane/api/remote_certificate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "trustplane/base/openssl_ptr.h"
#include "trustplane/pki/hosts.h"

namespace trustplane::api {
namespace {

using Clock = std::chrono::steady_clock;
using SslCtxPtr = OpenSslPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = OpenSslPtr<SSL, SSL_free>;
using X509Ptr = OpenSslPtr<X509, X509_free>;

bool IsIp(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits until fd is ready for `events`; false on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

class Socket {
 public:
  Socket() = default;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// A connected non-blocking socket to the first address that answers in time.
Status Connect(const HostPort& hp, Clock::time_point deadline, Socket* sock) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found); rc != 0) {
    return Status::NotFound("cannot resolve '" + hp.host + "': " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
  std::string last_error = "no address";
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    sock->Reset(
        socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (sock->fd() < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (connect(sock->fd(), a->ai_addr, a->ai_addrlen) == 0) return Status::Ok();
    if (errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    if (!WaitFor(sock->fd(), POLLOUT, deadline)) {
      last_error = "timed out";
      continue;
    }
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(sock->fd(), SOL_SOCKET, SO_ERROR, &error, &len);
    if (error == 0) return Status::Ok();
    last_error = std::strerror(error);
  }
  sock->Reset(-1);
  return Status::NotFound("cannot connect to " + hp.host + ":" + hp.port + ": " + last_error);
}

// OpenSSL writes to the socket with write(), which raises SIGPIPE (and would
// end the server) when the peer has closed; this thread blocks it meanwhile
// and discards one it raised.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;
  ~SigpipeBlocked() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

std::string SslReason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "the connection closed";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<HostPort> SplitDomain(const std::string& domain) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("domain '" + domain + "' is not host[:port]: " + why);
  };
  if (domain.empty()) return bad("it is empty");
  HostPort out{domain, "443"};
  if (domain[0] == '[') {
    const size_t close = domain.find(']');
    if (close == std::string::npos) return bad("'[' without ']'");
    out.host = domain.substr(1, close - 1);
    const std::string rest = domain.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("text after ']' that is not :port");
      out.port = rest.substr(1);
    }
    if (!IsIp(out.host) || out.host.find(':') == std::string::npos)
      return bad("[...] must hold an IPv6 address");
  } else if (std::count(domain.begin(), domain.end(), ':') == 1) {
    const size_t colon = domain.find(':');
    out.host = domain.substr(0, colon);
    out.port = domain.substr(colon + 1);
  }
  if (out.port.empty() || out.port.size() > 5 ||
      !std::all_of(out.port.begin(), out.port.end(),
                   [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoi(out.port) < 1 || std::stoi(out.port) > 65535) {
    return bad("the port must be 1-65535");
  }
  if (!IsIp(out.host)) {
    if (out.host.find('*') != std::string::npos) return bad("a wildcard is not a host");
    if (std::string why = pki::DnsNameError(out.host); !why.empty()) return bad(why);
  }
  return out;
}

Result<x509::Certificate> FetchServerCertificate(const std::string& domain,
                                                 std::chrono::milliseconds timeout) {
  TP_ASSIGN_OR_RETURN(HostPort hp, SplitDomain(domain));
  const Clock::time_point deadline = Clock::now() + timeout;
  Socket sock;
  TP_RETURN_IF_ERROR(Connect(hp, deadline, &sock));
  SigpipeBlocked no_sigpipe;

  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Status::Internal("cannot create a TLS client context: " + SslReason());
  // cfssl looks at whatever the server presents; verifying would hide the certificates worth
  // looking at.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SslPtr ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), sock.fd()) != 1)
    return Status::Internal("cannot set up TLS: " + SslReason());
  if (!IsIp(hp.host)) SSL_set_tlsext_host_name(ssl.get(), hp.host.c_str());
  const std::string where = hp.host + ":" + hp.port;
  while (true) {
    const int rc = SSL_connect(ssl.get());
    if (rc == 1) break;
    const int why = SSL_get_error(ssl.get(), rc);
    const bool wait_read = why == SSL_ERROR_WANT_READ;
    if (!wait_read && why != SSL_ERROR_WANT_WRITE) {
      return Status::NotFound(
          where + " did not complete a TLS handshake (is it a TLS server?): " + SslReason());
    }
    if (!WaitFor(sock.fd(), wait_read ? POLLIN : POLLOUT, deadline)) {
      ERR_clear_error();
      return Status::NotFound(where + " did not complete a TLS handshake within " +
                              std::to_string(timeout.count()) + " ms");
    }
  }
  X509Ptr leaf(SSL_get1_peer_certificate(ssl.get()));
  // No close_notify: the connection is dropped, which is all a look at the certificate needs.
  ERR_clear_error();
  if (!leaf) return Status::NotFound(where + " presented no certificate");
  unsigned char* der = nullptr;
  const int len = i2d_X509(leaf.get(), &der);
  if (len <= 0) return Status::Internal("cannot encode the server's certificate");
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return x509::Certificate::FromDer(bytes);
}

}  // namespace trustplane::api
