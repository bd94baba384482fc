// tls_load_client: the load generator bench/gateway_vs_nginx.sh drives both
// servers with, so they see byte-for-byte the same clients.
//
//   tls_load_client --port P (--cert C --key K | --cert-list F) [--host 127.0.0.1]
//                   [--path /] [--mode handshake|keepalive] [--concurrency N]
//                   [--duration SECONDS] [--max-connections M]
//                   [--requests K] [--tls 1.2|1.3] [--resume]
//
// handshake: every connection does a full mTLS handshake and one GET, then
//            closes (no session resumption unless --resume).
// keepalive: every connection does one handshake and K GETs (default 1000).
// --cert-list F: "cold clients": F holds certificate PEM, key PEM pairs
//            (bench/make_client_certs.cc); connection i presents pair i, each
//            pair once, and the run ends when the list is used up, so the
//            server never sees a certificate twice.
// N blocking threads run until the duration or M connections (or the
// end of the --cert-list), whichever comes first. Prints one line of key=value results: connections/s,
// requests/s, p50/p99 latency (of a connection in handshake mode, of a
// request in keepalive mode), failures. The server certificate is not
// verified: this measures the server, and the client's own work is kept to
// what a TLS client cannot skip.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string cert, key, cert_list, path = "/";
  std::string mode = "handshake";
  int concurrency = 4;
  double duration = 10;
  long max_connections = 0;  // 0: no limit
  int requests = 1000;       // per connection in keepalive mode
  std::string tls = "1.3";
  bool resume = false;
};

// One client certificate and its key, for the cold-client case.
struct Identity {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
};

std::vector<Identity> LoadIdentities(const std::string& path) {
  std::vector<Identity> out;
  FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return out;
  for (;;) {
    Identity id;
    id.cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    if (id.cert == nullptr) break;
    id.key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    if (id.key == nullptr) {
      X509_free(id.cert);
      break;
    }
    out.push_back(id);
  }
  ERR_clear_error();  // the end of the file reads as an error
  std::fclose(f);
  return out;
}

struct Totals {
  std::atomic<long> started{0}, completed{0}, requests{0}, failures{0};
  std::atomic<size_t> next_identity{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
};

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr, "tls_load_client: %s\n", why);
  std::exit(2);
}

int Connect(const Options& o, const sockaddr_in& addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  (void)o;
  return fd;
}

// Sends one GET and reads the response (Content-Length bodies only, which is
// what both servers send for the bench backend). False on any error.
bool Exchange(SSL* ssl, const std::string& request, std::string& in, bool& server_closes) {
  if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0) return false;
  char buf[16384];
  size_t end;
  while ((end = in.find("\r\n\r\n")) == std::string::npos) {
    int n = SSL_read(ssl, buf, sizeof(buf));
    if (n <= 0) return false;
    in.append(buf, static_cast<size_t>(n));
  }
  std::string head = in.substr(0, end + 4);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (head.compare(0, 12, "http/1.1 200") != 0) return false;
  size_t body = 0;
  if (size_t p = head.find("\r\ncontent-length:"); p != std::string::npos) {
    body = std::strtoul(head.c_str() + p + 17, nullptr, 10);
  }
  server_closes = head.find("\r\nconnection: close") != std::string::npos;
  while (in.size() < end + 4 + body) {
    int n = SSL_read(ssl, buf, sizeof(buf));
    if (n <= 0) return false;
    in.append(buf, static_cast<size_t>(n));
  }
  in.erase(0, end + 4 + body);
  return true;
}

void Worker(const Options& o, SSL_CTX* ctx, const sockaddr_in& addr, Clock::time_point deadline,
            const std::vector<Identity>& identities, Totals& t) {
  const std::string request =
      "GET " + o.path + " HTTP/1.1\r\nHost: " + o.host + "\r\nUser-Agent: tls_load_client\r\n\r\n";
  const bool keepalive = o.mode == "keepalive";
  SSL_SESSION* session = nullptr;
  std::vector<double> lat;
  while (Clock::now() < deadline) {
    if (o.max_connections > 0 && t.started.fetch_add(1) >= o.max_connections) break;
    const Identity* identity = nullptr;
    if (!identities.empty()) {
      const size_t i = t.next_identity.fetch_add(1);
      if (i >= identities.size()) break;
      identity = &identities[i];
    }
    const auto start = Clock::now();
    int fd = Connect(o, addr);
    if (fd < 0) {
      t.failures++;
      continue;
    }
    SSL* ssl = SSL_new(ctx);
    if (identity != nullptr &&
        (SSL_use_certificate(ssl, identity->cert) != 1 ||
         SSL_use_PrivateKey(ssl, identity->key) != 1)) {
      t.failures++;
      SSL_free(ssl);
      close(fd);
      continue;
    }
    SSL_set_fd(ssl, fd);
    if (o.resume && session) SSL_set_session(ssl, session);
    bool ok = SSL_connect(ssl) == 1;
    std::string in;
    int done = 0;
    const int want = keepalive ? o.requests : 1;
    while (ok && done < want && Clock::now() < deadline) {
      const auto req_start = Clock::now();
      bool closes = false;
      ok = Exchange(ssl, request, in, closes);
      if (!ok) break;
      ++done;
      t.requests++;
      if (keepalive) {
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - req_start).count());
      }
      if (closes) break;
    }
    if (!ok) {
      t.failures++;
      ERR_clear_error();
    } else if (done > 0) {
      // Cut by the deadline before its first request: neither success nor failure.
      t.completed++;
      if (!keepalive) {
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
    }
    if (ok && o.resume) {
      if (session) SSL_SESSION_free(session);
      session = SSL_get1_session(ssl);
    }
    if (ok) SSL_shutdown(ssl);  // close_notify, as a polite client does; no wait for the reply
    SSL_free(ssl);
    close(fd);
  }
  if (session) SSL_SESSION_free(session);
  std::lock_guard lock(t.mu);
  t.latencies_ms.insert(t.latencies_ms.end(), lat.begin(), lat.end());
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--host") o.host = next();
    else if (a == "--port") o.port = std::atoi(next().c_str());
    else if (a == "--cert") o.cert = next();
    else if (a == "--key") o.key = next();
    else if (a == "--cert-list") o.cert_list = next();
    else if (a == "--path") o.path = next();
    else if (a == "--mode") o.mode = next();
    else if (a == "--concurrency") o.concurrency = std::atoi(next().c_str());
    else if (a == "--duration") o.duration = std::atof(next().c_str());
    else if (a == "--max-connections") o.max_connections = std::atol(next().c_str());
    else if (a == "--requests") o.requests = std::atoi(next().c_str());
    else if (a == "--tls") o.tls = next();
    else if (a == "--resume") o.resume = true;
    else Usage(("unknown option " + a).c_str());
  }
  if (o.port <= 0) Usage("--port is required");
  if (o.mode != "handshake" && o.mode != "keepalive") Usage("--mode is handshake or keepalive");
  if (o.concurrency < 1 || o.duration <= 0 || o.requests < 1) Usage("bad counts");

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  const int version = o.tls == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  if (!o.resume) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
  }
  if (!o.cert.empty() &&
      (SSL_CTX_use_certificate_chain_file(ctx, o.cert.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1)) {
    Usage("cannot load --cert/--key");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) Usage("--host must be an IPv4 address");

  std::vector<Identity> identities;
  if (!o.cert_list.empty()) {
    identities = LoadIdentities(o.cert_list);
    if (identities.empty()) Usage("--cert-list holds no certificate and key pair");
  }

  Totals t;
  const auto start = Clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  std::vector<std::thread> threads;
  for (int i = 0; i < o.concurrency; ++i) {
    threads.emplace_back([&] { Worker(o, ctx, addr, deadline, identities, t); });
  }
  for (auto& th : threads) th.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const long ok_conns = t.completed.load();
  std::printf(
      "mode=%s tls=%s concurrency=%d seconds=%.2f connections=%ld failures=%ld requests=%ld "
      "conn_per_s=%.1f req_per_s=%.1f p50_ms=%.3f p99_ms=%.3f\n",
      o.mode.c_str(), o.tls.c_str(), o.concurrency, secs, ok_conns, t.failures.load(),
      t.requests.load(), static_cast<double>(ok_conns) / secs,
      static_cast<double>(t.requests.load()) / secs, Percentile(t.latencies_ms, 0.50),
      Percentile(t.latencies_ms, 0.99));
  for (auto& id : identities) {
    X509_free(id.cert);
    EVP_PKEY_free(id.key);
  }
  SSL_CTX_free(ctx);
  return t.failures.load() > 0 && t.requests.load() == 0 ? 1 : 0;
}
