// `trustplane gateway serve` end to end: the real binary, real curl and
// openssl clients, and an echo backend in the test that returns the request
// header block it received as the body.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "cli_fixture.h"
#include "support/curl_result.h"
#include "support/local_ports.h"
#include "trustplane/base/encoding.h"

namespace trustplane::testing {
namespace {

// A socket listening on 127.0.0.1, on a port the kernel picks.
int ListenOnLoopback(int backlog, uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, backlog) != 0) {
    close(fd);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

// A tiny HTTP/1.1 server with keep-alive: each response's body is the
// request's header block and then its body, byte for byte.
class EchoBackend {
 public:
  EchoBackend() {
    fd_ = ListenOnLoopback(64, port_);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~EchoBackend() {
    stopping_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    accept_thread_.join();
    {
      std::lock_guard lock(mu_);
      for (int c : conns_) shutdown(c, SHUT_RDWR);
    }
    for (auto& t : workers_) t.join();
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::lock_guard lock(mu_);
      conns_.push_back(c);
      workers_.emplace_back([this, c] { Serve(c); });
    }
  }
  void Serve(int c) {
    std::string in;
    char buf[8192];
    for (;;) {
      size_t end;
      while ((end = in.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = read(c, buf, sizeof(buf));
        if (n <= 0) return Close(c);
        in.append(buf, static_cast<size_t>(n));
      }
      std::string head = in.substr(0, end + 4);
      size_t body_len = 0;
      std::string lower = head;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (size_t p = lower.find("\r\ncontent-length:"); p != std::string::npos) {
        body_len = std::stoul(head.substr(p + 17));
      }
      while (in.size() < end + 4 + body_len) {
        ssize_t n = read(c, buf, sizeof(buf));
        if (n <= 0) return Close(c);
        in.append(buf, static_cast<size_t>(n));
      }
      const std::string echoed = in.substr(0, end + 4 + body_len);
      in.erase(0, end + 4 + body_len);
      ++requests_;
      std::string res = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                        std::to_string(echoed.size()) + "\r\n\r\n" + echoed;
      if (write(c, res.data(), res.size()) != static_cast<ssize_t>(res.size())) return Close(c);
    }
  }
  void Close(int c) {
    std::lock_guard lock(mu_);
    close(c);
    conns_.erase(std::find(conns_.begin(), conns_.end(), c));
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::thread> workers_;
};

const char* kHeaders = R"(headers:
  X-Client-Cert-Present: "{client_cert_present}"
  X-Client-Cert-Chain-Verified: "{client_cert_chain_verified}"
  X-Client-Cert-Error: "{client_cert_error}"
  X-Client-Cert-Hash: "{client_cert_sha256_fingerprint}"
  X-Client-Cert-Serial: "{client_cert_serial_number}"
  X-Client-Cert-Not-After: "{client_cert_valid_not_after}"
)";

class GatewayTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    root_a_ = MakeRootCa("tenant a root");
    root_b_ = MakeRootCa("tenant b root");
    Issued inter_a = MakeIntermediateCa("tenant a issuing", *root_a_);
    alice_ = MakeClientLeaf("alice", inter_a);
    bob_ = MakeClientLeaf("bob", *root_b_);
    mallory_ = MakeClientLeaf("mallory", MakeRootCa("untrusted root"));
    // alice sends her intermediate, as clients of a multi-level PKI do.
    alice_cert_ = Write("alice.pem", alice_->cert_pem + inter_a.cert_pem);
    alice_key_ = Write("alice-key.pem", alice_->key_pem);
    bob_cert_ = WritePem("bob.pem", *bob_);
    bob_key_ = Write("bob-key.pem", bob_->key_pem);
    mallory_cert_ = WritePem("mallory.pem", *mallory_);
    mallory_key_ = Write("mallory-key.pem", mallory_->key_pem);

    server_ca_issued_ = MakeRootCa("gateway server ca");
    const Issued& server_ca = *server_ca_issued_;
    Issued server = MakeLocalServerLeaf("gateway", server_ca);
    server_ca_ = WritePem("server-ca.pem", server_ca);
    Write("server.pem", server.cert_pem);
    Write("server-key.pem", server.key_pem);

    ASSERT_EQ(Tp({"trust", "add", "--tenant", "acme", WritePem("root-a.pem", *root_a_)}).exit_code,
              0);
    ASSERT_EQ(Tp({"trust", "add", "--tenant", "beta", WritePem("root-b.pem", *root_b_)}).exit_code,
              0);
    backend_ = std::make_unique<EchoBackend>();
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      ProcessResult r = WaitProcess(pid_);
      EXPECT_EQ(r.exit_code, 0) << "gateway did not shut down cleanly (signal " << r.signal << ")";
    }
    backend_.reset();
  }

  std::string Config(const std::string& mode, const std::string& routes,
                     const std::string& extra = "") {
    if (port_ == 0) port_ = FreePort();
    std::ostringstream y;
    y << "listen: 127.0.0.1:" << port_ << "\n"
      << "tls: {cert: server.pem, key: server-key.pem}\n"
      << "client_validation: " << mode << "\n"
      << "trust: {home: " << home() << "}\n"
      << kHeaders << extra << "routes:\n"
      << routes;
    return Write("gateway.yaml", y.str());
  }
  std::string Backend() const { return "http://127.0.0.1:" + std::to_string(backend_->port()); }
  std::string TenantRoutes() const {
    return "  - {prefix: /a, backend: \"" + Backend() +
           "\", allow: {tenants: [acme], cn: [alice]}}\n"
           "  - {prefix: /b, backend: \"" +
           Backend() + "\", allow: {tenants: [beta]}}\n";
  }

  void StartGateway(const std::string& config, std::vector<std::string> extra_args = {}) {
    log_ = dir().Join("access.log");
    std::vector<std::string> argv = {TRUSTPLANE_BIN, "gateway", "serve",        "--config",
                                     config,         "--workers", "2",          "--access-log",
                                     log_};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    pid_ = SpawnProcess(argv);
    for (int i = 0; i < 200; ++i) {
      if (CanConnect(port_)) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "gateway exited during start-up";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "gateway did not listen on port " << port_;
  }

  CurlResult Curl(const std::string& path, const std::string& cert, const std::string& key,
                  std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {"curl",     "-sS",      "--max-time", "10",
                                     "--cacert", server_ca_, "-w",         "\n%{http_code}"};
    if (!cert.empty()) argv.insert(argv.end(), {"--cert", cert, "--key", key});
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://127.0.0.1:" + std::to_string(port_) + path);
    ProcessResult r = RunProcess(argv);
    return CurlResultOf(r);
  }

  // Access-log lines (JSON) so far.
  std::vector<nlohmann::json> AccessLog() const {
    std::vector<nlohmann::json> out;
    std::istringstream in(ReadFile(log_));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    }
    return out;
  }
  bool LoggedStatusDetails(const std::string& details) const {
    // The log is written as requests finish; give a closing connection a moment.
    for (int i = 0; i < 50; ++i) {
      for (const auto& j : AccessLog()) {
        if (j.value("statusDetails", "") == details) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // "X-Client-Cert-Hash: <value>" as the backend saw it ("" if absent).
  static std::optional<std::string> HeaderValue(const std::string& echoed,
                                                const std::string& name) {
    std::string needle = "\r\n" + name + ": ";
    size_t p = echoed.find(needle);
    std::string bare = "\r\n" + name + ":\r\n";  // an empty value may come without the space
    if (p == std::string::npos) {
      if (echoed.find(bare) != std::string::npos) return std::string();
      return std::nullopt;
    }
    p += needle.size();
    return echoed.substr(p, echoed.find("\r\n", p) - p);
  }

  // Replaces `name` in the test directory at once (write aside, rename), as
  // an operator's deploy tool would; a reader sees the old or the new file.
  void Replace(const std::string& name, const std::string& content) {
    const std::string aside = Write(name + ".new", content);
    const std::string path = aside.substr(0, aside.size() - 4);
    ASSERT_EQ(std::rename(aside.c_str(), path.c_str()), 0);
  }
  // The subject of the certificate the gateway serves to a new handshake.
  std::string ServedSubject() {
    ProcessResult r = RunProcess({"sh", "-c",
                                  "openssl s_client -connect 127.0.0.1:" + std::to_string(port_) +
                                      " -cert " + alice_cert_ + " -key " + alice_key_ +
                                      " </dev/null 2>/dev/null | openssl x509 -noout -subject"});
    return r.out;
  }

  // `openssl s_client -ign_eof` as bob, in the background: `input` (a
  // printf format) on its stdin, and its stdin then held open for 30 s, so
  // only the gateway can end the connection before that. Its output goes to
  // s_client.out.
  pid_t StartHeldOpenClient(const std::string& input) {
    const std::string script = "timeout 40 openssl s_client -ign_eof -connect 127.0.0.1:" +
                               std::to_string(port_) + " -CAfile " + server_ca_ + " -cert " +
                               bob_cert_ + " -key " + bob_key_ + " < <(printf '" + input +
                               "'; sleep 30) > " + dir().Join("s_client.out") + " 2>&1; touch " +
                               dir().Join("client-ended");
    return SpawnProcess({"bash", "-c", script});
  }
  // True when that client ended within `limit`; it is killed otherwise.
  bool ClientEndedWithin(pid_t client, std::chrono::seconds limit) {
    const std::string marker = dir().Join("client-ended");
    const auto end = std::chrono::steady_clock::now() + limit;
    bool ended = access(marker.c_str(), F_OK) == 0;
    while (!ended && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ended = access(marker.c_str(), F_OK) == 0;
    }
    if (!ended) kill(client, SIGKILL);
    WaitProcess(client);
    return ended;
  }

  std::optional<Issued> root_a_, root_b_, alice_, bob_, mallory_, server_ca_issued_;
  std::string alice_cert_, alice_key_, bob_cert_, bob_key_, mallory_cert_, mallory_key_;
  std::string server_ca_, log_;
  std::unique_ptr<EchoBackend> backend_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// The SHA-256 fingerprint as `openssl x509` computes it, in the header's
// encoding (unpadded standard base64).
std::string OpensslFingerprintB64(const std::string& pem_path) {
  ProcessResult r =
      RunProcess({"openssl", "x509", "-in", pem_path, "-noout", "-fingerprint", "-sha256"});
  std::string hex;
  for (char c : r.out.substr(r.out.find('=') + 1)) {
    if (std::isxdigit(static_cast<unsigned char>(c))) hex.push_back(c);
  }
  auto raw = HexDecode(hex);
  return raw.ok() ? Base64EncodeUnpadded(*raw) : "";
}

TEST_F(GatewayTest, TenantClientReachesItsRouteWithTheLoadBalancersHeaders) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes()));
  CurlResult r = Curl("/a/orders?x=1", alice_cert_, alice_key_,
                      {"-H", "X-Client-Cert-Chain-Verified: spoofed", "-H",
                       "x-client-cert-error: spoofed", "-H", "X-CLIENT-CERT-HASH: spoofed"});
  ASSERT_EQ(r.exit_code, 0) << r.body;
  ASSERT_EQ(r.http_code, 200) << r.body;
  EXPECT_EQ(r.body.rfind("GET /a/orders?x=1 HTTP/1.1\r\n", 0), 0u) << r.body;
  EXPECT_EQ(HeaderValue(r.body, "X-Client-Cert-Present"), "true") << r.body;
  EXPECT_EQ(HeaderValue(r.body, "X-Client-Cert-Chain-Verified"), "true") << r.body;
  EXPECT_EQ(HeaderValue(r.body, "X-Client-Cert-Error"), "") << r.body;
  EXPECT_EQ(HeaderValue(r.body, "X-Client-Cert-Hash"), OpensslFingerprintB64(alice_cert_));
  EXPECT_EQ(HeaderValue(r.body, "X-Client-Cert-Serial"),
            HexEncodeColons(alice_->cert.serial_der_content()));
  EXPECT_EQ(HeaderValue(r.body, "X-Client-Cert-Not-After"),
            FormatRfc3339Offset(alice_->cert.not_after()));
  // Whatever case the client used, its copies never reach the backend.
  EXPECT_EQ(r.body.find("spoofed"), std::string::npos) << r.body;

  ASSERT_TRUE(LoggedStatusDetails("response_sent_by_backend"));
  auto line = AccessLog().back();
  EXPECT_EQ(line["status"], 200);
  EXPECT_EQ(line["route"], "/a");
  EXPECT_EQ(line["clientCertSha256"], alice_->cert.sha256_hex());
}

TEST_F(GatewayTest, OtherTenantsClientIsRefusedOnTheRouteThoughItsCaIsTrusted) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes()));
  CurlResult denied = Curl("/a/orders", bob_cert_, bob_key_);
  EXPECT_EQ(denied.exit_code, 0);
  EXPECT_EQ(denied.http_code, 403) << denied.body;
  EXPECT_NE(denied.body.find("tenant_not_allowed"), std::string::npos) << denied.body;
  EXPECT_TRUE(LoggedStatusDetails("tenant_not_allowed"));

  CurlResult own = Curl("/b/x", bob_cert_, bob_key_);
  EXPECT_EQ(own.http_code, 200) << own.body;
  // Tenant a's client on tenant b's route likewise.
  EXPECT_EQ(Curl("/b/x", alice_cert_, alice_key_).http_code, 403);
  EXPECT_EQ(Curl("/nowhere", alice_cert_, alice_key_).http_code, 404);
  EXPECT_EQ(backend_->requests(), 1);
}

TEST_F(GatewayTest, RejectInvalidFailsTheHandshakeForUntrustedAndMissingCertificates) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes()));
  CurlResult untrusted = Curl("/a/x", mallory_cert_, mallory_key_);
  EXPECT_NE(untrusted.exit_code, 0);
  EXPECT_EQ(untrusted.http_code, 0) << untrusted.body;
  EXPECT_TRUE(LoggedStatusDetails("client_cert_validation_failed"));

  CurlResult none = Curl("/a/x", "", "");
  EXPECT_NE(none.exit_code, 0);
  EXPECT_EQ(none.http_code, 0) << none.body;
  EXPECT_TRUE(LoggedStatusDetails("client_cert_not_provided"));
  EXPECT_EQ(backend_->requests(), 0);

  // The same check with openssl s_client: no HTTP exchange ever happens.
  ProcessResult s = RunProcess(
      {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port_), "-CAfile",
       server_ca_, "-cert", mallory_cert_, "-key", mallory_key_, "-quiet", "-ign_eof"},
      {}, "GET /a/x HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(s.out.find("HTTP/1.1"), std::string::npos) << s.out;
  EXPECT_EQ(backend_->requests(), 0);
}

TEST_F(GatewayTest, AllowModeForwardsMissingAndInvalidCertificatesWithTheirError) {
  StartGateway(Config("ALLOW_INVALID_OR_MISSING_CLIENT_CERT",
                      "  - {prefix: /, backend: \"" + Backend() + "\", allow_unverified: true}\n"));
  CurlResult none = Curl("/x", "", "", {"-H", "X-Client-Cert-Present: true"});
  ASSERT_EQ(none.http_code, 200) << none.body;
  EXPECT_EQ(HeaderValue(none.body, "X-Client-Cert-Present"), "false") << none.body;
  EXPECT_EQ(HeaderValue(none.body, "X-Client-Cert-Chain-Verified"), "false");
  EXPECT_EQ(HeaderValue(none.body, "X-Client-Cert-Error"), "client_cert_not_provided");
  EXPECT_EQ(HeaderValue(none.body, "X-Client-Cert-Hash"), "");

  CurlResult untrusted = Curl("/x", mallory_cert_, mallory_key_);
  ASSERT_EQ(untrusted.http_code, 200) << untrusted.body;
  EXPECT_EQ(HeaderValue(untrusted.body, "X-Client-Cert-Present"), "true");
  EXPECT_EQ(HeaderValue(untrusted.body, "X-Client-Cert-Chain-Verified"), "false");
  EXPECT_EQ(HeaderValue(untrusted.body, "X-Client-Cert-Error"), "client_cert_validation_failed");
  EXPECT_EQ(HeaderValue(untrusted.body, "X-Client-Cert-Hash"),
            OpensslFingerprintB64(mallory_cert_));

  CurlResult good = Curl("/x", alice_cert_, alice_key_);
  ASSERT_EQ(good.http_code, 200) << good.body;
  EXPECT_EQ(HeaderValue(good.body, "X-Client-Cert-Chain-Verified"), "true");
}

TEST_F(GatewayTest, RoutesThatRequireVerificationRefuseUnverifiedClientsInAllowMode) {
  StartGateway(Config("ALLOW_INVALID_OR_MISSING_CLIENT_CERT", TenantRoutes()));
  CurlResult none = Curl("/a/x", "", "");
  EXPECT_EQ(none.http_code, 403) << none.body;
  EXPECT_TRUE(LoggedStatusDetails("no_client_cert"));
  CurlResult untrusted = Curl("/a/x", mallory_cert_, mallory_key_);
  EXPECT_EQ(untrusted.http_code, 403) << untrusted.body;
  EXPECT_TRUE(LoggedStatusDetails("client_cert_not_verified"));
  EXPECT_EQ(backend_->requests(), 0);
}

TEST_F(GatewayTest, OversizedRequestHeadersGet431AndNeverReachTheBackend) {
  std::string config = Config("REJECT_INVALID", TenantRoutes());
  WriteFile(config, ReadFile(config) + "limits: {max_request_header_bytes: 2048}\n");
  StartGateway(config);
  CurlResult big =
      Curl("/a/x", alice_cert_, alice_key_, {"-H", "X-Big: " + std::string(4096, 'b')});
  EXPECT_EQ(big.http_code, 431) << big.body;
  EXPECT_TRUE(LoggedStatusDetails("request_header_too_large"));
  EXPECT_EQ(backend_->requests(), 0);
  CurlResult small = Curl("/a/x", alice_cert_, alice_key_, {"-H", "X-Small: s"});
  EXPECT_EQ(small.http_code, 200) << small.body;
  EXPECT_EQ(HeaderValue(small.body, "X-Forwarded-Proto"), "https");
  EXPECT_EQ(HeaderValue(small.body, "X-Forwarded-For"), "127.0.0.1");
}

TEST_F(GatewayTest, AdminListenerServesMetricsAndHealth) {
  const uint16_t admin = FreePort();
  std::string config = Config("REJECT_INVALID", TenantRoutes());
  WriteFile(config, ReadFile(config) + "admin_listen: 127.0.0.1:" + std::to_string(admin) + "\n");
  StartGateway(config);
  ASSERT_EQ(Curl("/a/x", alice_cert_, alice_key_).http_code, 200);
  EXPECT_EQ(Curl("/a/x", mallory_cert_, mallory_key_).http_code, 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(admin);
  std::string metrics;
  const std::string failed =
      "trustplane_gateway_handshakes_total{result=\"failed\",reason=\"client_cert_validation_"
      "failed\"} 1\n";
  for (int i = 0; i < 50 && metrics.find(failed) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    metrics = RunProcess({"curl", "-sS", "--max-time", "5", base + "/metrics"}).out;
  }
  EXPECT_NE(metrics.find(failed), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("trustplane_gateway_handshakes_total{result=\"ok\",reason=\"\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("trustplane_gateway_requests_total{code=\"200\",status_details=\"response_"
                         "sent_by_backend\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("trustplane_gateway_trust_generation 1\n"), std::string::npos) << metrics;
  EXPECT_EQ(RunProcess({"curl", "-sS", "--max-time", "5", base + "/healthz"}).out, "ok\n");
  EXPECT_EQ(RunProcess({"curl", "-sS", "--max-time", "5", base + "/readyz"}).out, "ready\n");
}

TEST_F(GatewayTest, KeepAliveRequestsShareOneClientConnection) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes()));
  const std::string url = "https://127.0.0.1:" + std::to_string(port_) + "/a/";
  ProcessResult r = RunProcess({"curl",      "-sS",       "--max-time",
                                "10",        "--cacert",  server_ca_,
                                "--cert",    alice_cert_, "--key",
                                alice_key_,  "-o",        "/dev/null",
                                "-o",        "/dev/null", "-o",
                                "/dev/null", "-w",        "%{http_code} %{num_connects}\n",
                                url + "1",   url + "2",   url + "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "200 1\n200 0\n200 0\n");
  EXPECT_EQ(backend_->requests(), 3);
}

// Sessions are kept by the gateway: a TLS 1.2 client resumes by session id
// as a TLS 1.3 client does by ticket, and /metrics counts what is stored.
TEST_F(GatewayTest, Tls12And13ClientsResumeServerSideSessions) {
  const uint16_t admin = FreePort();
  std::string config = Config("REJECT_INVALID", TenantRoutes());
  WriteFile(config, ReadFile(config) + "admin_listen: 127.0.0.1:" + std::to_string(admin) + "\n");
  StartGateway(config);
  const std::string addr = "127.0.0.1:" + std::to_string(port_);
  const std::string request = "GET /b/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  for (const char* version : {"-tls1_2", "-tls1_3"}) {
    SCOPED_TRACE(version);
    const std::string sess = dir().Join(std::string("bob") + version + ".sess");
    ProcessResult first =
        RunProcess({"openssl", "s_client", version, "-connect", addr, "-CAfile", server_ca_,
                    "-cert", bob_cert_, "-key", bob_key_, "-sess_out", sess, "-ign_eof"},
                   {}, request);
    ASSERT_NE(first.out.find("HTTP/1.1 200"), std::string::npos)
        << first.out << first.err << ReadFile(log_);
    EXPECT_NE(first.out.find("New,"), std::string::npos) << first.out;
    ProcessResult resumed =
        RunProcess({"openssl", "s_client", version, "-connect", addr, "-CAfile", server_ca_,
                    "-sess_in", sess, "-ign_eof"},
                   {}, request);
    EXPECT_NE(resumed.out.find("Reused,"), std::string::npos) << resumed.out;
    EXPECT_NE(resumed.out.find("HTTP/1.1 200"), std::string::npos) << resumed.out;
  }
  const std::string metrics =
      RunProcess({"curl", "-sS", "--max-time", "5",
                  "http://127.0.0.1:" + std::to_string(admin) + "/metrics"})
          .out;
  // One session per full handshake, and one more per TLS 1.3 resumption
  // (its new ticket); a TLS 1.2 resumption keeps its session.
  EXPECT_NE(metrics.find("trustplane_gateway_tls_sessions 3\n"), std::string::npos) << metrics;
}

TEST_F(GatewayTest, RemovedCaIsRefusedAfterReloadAlsoForAResumedSession) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes()));
  const std::string sess = dir().Join("bob.sess");
  const std::string addr = "127.0.0.1:" + std::to_string(port_);
  ProcessResult first =
      RunProcess({"openssl", "s_client", "-connect", addr, "-CAfile", server_ca_, "-cert",
                  bob_cert_, "-key", bob_key_, "-sess_out", sess, "-ign_eof"},
                 {}, "GET /b/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_NE(first.out.find("HTTP/1.1 200"), std::string::npos) << first.out << first.err;
  // Before the removal, the saved session resumes.
  ProcessResult resumed =
      RunProcess({"openssl", "s_client", "-connect", addr, "-CAfile", server_ca_, "-sess_in", sess,
                  "-ign_eof"},
                 {}, "GET /b/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(resumed.out.find("Reused,"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("HTTP/1.1 200"), std::string::npos) << resumed.out;

  ASSERT_EQ(
      Tp({"trust", "remove", root_b_->cert.sha256_hex(), "--reason", "compromised"}).exit_code, 0);
  // The gateway polls every second; within 2 s bob is refused.
  bool refused = false;
  for (int i = 0; i < 40 && !refused; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    refused = Curl("/b/x", bob_cert_, bob_key_).http_code == 0;
  }
  EXPECT_TRUE(refused);
  ProcessResult after = RunProcess({"openssl", "s_client", "-connect", addr, "-CAfile", server_ca_,
                                    "-sess_in", sess, "-ign_eof"},
                                   {}, "GET /b/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(after.out.find("Reused,"), std::string::npos) << after.out;
  EXPECT_EQ(after.out.find("HTTP/1.1 200"), std::string::npos) << after.out;
  // Tenant a is untouched.
  EXPECT_EQ(Curl("/a/x", alice_cert_, alice_key_).http_code, 200);
}

TEST_F(GatewayTest, RollbackReachesARunningGatewayAndTheAuditLogSaysWhenItLoaded) {
  const std::string rev1 = TpJson({"trust", "publish"})["revision"].get<std::string>();
  // Gateway names are what operators see in `audit log`; --name sets it.
  StartGateway(Config("REJECT_INVALID", TenantRoutes()), {"--name", "edge-1"});
  ASSERT_EQ(Curl("/b/x", bob_cert_, bob_key_).http_code, 200);

  ASSERT_EQ(
      Tp({"trust", "remove", root_b_->cert.sha256_hex(), "--reason", "suspected leak"}).exit_code,
      0);
  const std::string rev2 = TpJson({"trust", "publish"})["revision"].get<std::string>();
  ASSERT_NE(rev1, rev2);
  auto eventually = [&](int want_http_code) {
    for (int i = 0; i < 40; ++i) {
      if (Curl("/b/x", bob_cert_, bob_key_).http_code == want_http_code) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(eventually(0)) << "the removed CA was still accepted";

  auto rollback = Tp({"trust", "rollback", rev1, "--reason", "false alarm"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  EXPECT_TRUE(eventually(200)) << "the rollback did not reach the running gateway";

  // The gateway recorded each trust set it loaded, with the revision it
  // renders to: the one published before, then rev2, then rev1 again.
  std::vector<std::string> loaded_revisions;
  for (int i = 0; i < 40; ++i) {
    loaded_revisions.clear();
    for (const auto& e : AuditEvents()) {
      if (e["action"] == "gateway.trust_loaded") {
        EXPECT_EQ(e["actor"], "gateway:edge-1");
        loaded_revisions.push_back(e["details"]["revision"]);
      }
    }
    if (loaded_revisions.size() >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(loaded_revisions.size(), 3u);
  EXPECT_EQ(loaded_revisions.front(), rev1);
  EXPECT_NE(std::find(loaded_revisions.begin(), loaded_revisions.end(), rev2),
            loaded_revisions.end());
  EXPECT_EQ(loaded_revisions.back(), rev1);

  // Every trust change, the rollback's included, is published and loaded by
  // edge-1, never before it happened.
  int changes = 0;
  for (const auto& e : AuditEvents()) {
    if (e["action"].get<std::string>().rfind("trust.", 0) != 0) continue;
    ++changes;
    ASSERT_FALSE(e["effective_at"].is_null()) << e.dump();
    ASSERT_EQ(e["loaded_by"].size(), 1u) << e.dump();
    EXPECT_EQ(e["loaded_by"][0]["gateway"], "edge-1");
    EXPECT_GE(e["loaded_by"][0]["at"].get<std::string>(), e["time"].get<std::string>());
  }
  EXPECT_GE(changes, 4);  // two adds, the removal, the rollback's re-add
  ProcessResult text = Tp({"audit", "log"});
  EXPECT_NE(text.out.find("loaded by gateway edge-1"), std::string::npos) << text.out;
}

TEST_F(GatewayTest, ReloadingTheTrustSetUnderLoadFailsNoRequest) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes()));
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread load([&] {
    while (!stop) (Curl("/a/x", alice_cert_, alice_key_).http_code == 200 ? ok : failed)++;
  });
  for (int i = 0; i < 3; ++i) {
    const std::string other = WritePem("other" + std::to_string(i) + ".pem",
                                       MakeRootCa("other root " + std::to_string(i)));
    EXPECT_EQ(Tp({"trust", "add", "--tenant", "gamma", other}).exit_code, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // past a reload poll
  }
  stop = true;
  load.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(ok, 3);
  // Requests were served under more than one generation.
  uint64_t newest = 0;
  for (const auto& j : AccessLog()) newest = std::max<uint64_t>(newest, j["trustGeneration"]);
  EXPECT_GE(newest, 2u);
}

TEST_F(GatewayTest, KeepAliveConnectionEndsWhenItsCaIsRemoved) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes()));
  // Two requests on one connection, three seconds apart; the CA goes in between.
  const std::string request = "GET /b/x HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n";
  const std::string script =
      "(printf '" + request + "'; sleep 3; printf '" + request +
      "'; sleep 2) | timeout 30 openssl s_client -quiet -ign_eof -connect 127.0.0.1:" + std::to_string(port_) +
      " -CAfile " + server_ca_ + " -cert " + bob_cert_ + " -key " + bob_key_;
  ProcessResult client;
  std::thread t([&] { client = RunProcess({"sh", "-c", script}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(
      Tp({"trust", "remove", root_b_->cert.sha256_hex(), "--reason", "rotated out"}).exit_code, 0);
  t.join();
  size_t responses = 0;
  for (size_t p = client.out.find("HTTP/1.1 200"); p != std::string::npos;
       p = client.out.find("HTTP/1.1 200", p + 1)) {
    ++responses;
  }
  EXPECT_EQ(responses, 1u) << client.out;
  bool cut = false;
  for (const auto& j : AccessLog()) {
    cut = cut || (j["statusDetails"] == "client_cert_validation_failed" &&
                  j.value("detail", "").find("no longer verified") != std::string::npos);
  }
  EXPECT_TRUE(cut);
  EXPECT_EQ(backend_->requests(), 1);
}

TEST_F(GatewayTest, CheckPrintsRoutesTrustAndWhatAClientWouldGet) {
  const std::string config = Config("REJECT_INVALID", TenantRoutes());
  auto j = TpJson({"gateway", "check", "--config", config, "--cert", bob_cert_});
  EXPECT_EQ(j["client_validation"], "REJECT_INVALID");
  EXPECT_EQ(j["trust"]["anchors"].size(), 2u);
  ASSERT_EQ(j["routes"].size(), 2u);
  EXPECT_EQ(j["client"]["chain_verified"], true);
  EXPECT_EQ(j["client"]["tenants"], nlohmann::json::array({"beta"}));
  EXPECT_EQ(j["client"]["routes"][0]["allowed"], false);
  EXPECT_EQ(j["client"]["routes"][0]["reason"], "tenant_not_allowed");
  EXPECT_EQ(j["client"]["routes"][1]["allowed"], true);
  EXPECT_EQ(j["client"]["headers"]["X-Client-Cert-Present"], "true");

  auto refused = TpJson({"gateway", "check", "--config", config, "--cert", mallory_cert_}, 5);
  EXPECT_EQ(refused["client"]["handshake"], "refused");
  EXPECT_EQ(refused["client"]["error"], "client_cert_validation_failed");

  auto bad = Tp({"gateway", "check", "--config", Write("bad.yaml", "listen: nowhere\n")});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

}  // namespace
}  // namespace trustplane::testing

namespace trustplane::testing {
namespace {

TEST_F(GatewayTest, ConfigReloadSwapsRulesAndServerCertificateUnderLoadWithoutFailures) {
  const std::string config = Config("REJECT_INVALID", TenantRoutes());
  StartGateway(config);
  ASSERT_EQ(Curl("/b/x", bob_cert_, bob_key_).http_code, 200);
  EXPECT_NE(ServedSubject().find("CN = gateway\n"), std::string::npos) << ServedSubject();

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread load([&] {
    while (!stop) (Curl("/a/x", alice_cert_, alice_key_).http_code == 200 ? ok : failed)++;
  });
  auto wait_until = [](const std::function<bool()>& done) {
    for (int i = 0; i < 100 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  };

  // 1. A route's rule changes: tenant beta loses /b, acme's alice gains it.
  const std::string new_routes = "  - {prefix: /a, backend: \"" + Backend() +
                                 "\", allow: {tenants: [acme], cn: [alice]}}\n"
                                 "  - {prefix: /b, backend: \"" +
                                 Backend() + "\", allow: {tenants: [acme]}}\n";
  Config("REJECT_INVALID", new_routes);  // same port, same file
  EXPECT_TRUE(wait_until([&] { return Curl("/b/x", bob_cert_, bob_key_).http_code == 403; }));
  EXPECT_EQ(Curl("/b/x", alice_cert_, alice_key_).http_code, 200);

  // 2. A broken config is refused; the running one keeps serving.
  Replace("gateway.yaml", "listen: [this is not\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past two reload polls
  EXPECT_EQ(Curl("/b/x", alice_cert_, alice_key_).http_code, 200);
  EXPECT_EQ(Curl("/b/x", bob_cert_, bob_key_).http_code, 403);
  Config("REJECT_INVALID", new_routes);

  // 3. The server certificate is rotated in place (new key, new name).
  CertSpec spec;
  spec.cn = "gateway-rotated";
  spec.eku = {"serverAuth"};
  spec.ip = {"127.0.0.1"};
  spec.dns = {"localhost"};
  Issued rotated = MakeIssued(spec, *server_ca_issued_);
  Replace("server-key.pem", rotated.key_pem);
  Replace("server.pem", rotated.cert_pem);
  EXPECT_TRUE(wait_until(
      [&] { return ServedSubject().find("CN = gateway-rotated") != std::string::npos; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  stop = true;
  load.join();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(ok, 5);
  EXPECT_EQ(Curl("/a/x", alice_cert_, alice_key_).http_code, 200);
}

TEST_F(GatewayTest, SighupReloadsAConfigWhoseFilesDidNotChangeTheirMtime) {
  const std::string path = Config("REJECT_INVALID", TenantRoutes());
  StartGateway(path);
  ASSERT_EQ(Curl("/b/x", bob_cert_, bob_key_).http_code, 200);
  struct stat before {};
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  const std::string new_routes = "  - {prefix: /b, backend: \"" + Backend() +
                                 "\", allow: {tenants: [acme]}}\n";
  Config("REJECT_INVALID", new_routes);
  // Put the old mtime back: only the signal can tell the gateway.
  timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(kill(pid_, SIGHUP), 0);
  bool denied = false;
  for (int i = 0; i < 50 && !denied; ++i) {
    denied = Curl("/b/x", bob_cert_, bob_key_).http_code == 403;
    if (!denied) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(denied);
}

TEST_F(GatewayTest, ClientThatNeverStartsTheHandshakeIsClosedAfterTheHandshakeTimeout) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes(), "timeouts: {handshake: 1s}\n"));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  // Far longer than the configured second, far shorter than the 10 s default.
  timeval tv{6, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char c;
  const ssize_t n = recv(fd, &c, 1, 0);
  const int err = errno;
  close(fd);
  EXPECT_TRUE(n == 0 || (n < 0 && err != EAGAIN && err != EWOULDBLOCK))
      << "the gateway kept a silent connection open (n=" << n << ")";
  EXPECT_TRUE(LoggedStatusDetails("tls_handshake_failed"));
}

TEST_F(GatewayTest, IdleConnectionAfterTheHandshakeIsClosedAfterTheIdleTimeout) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes(), "timeouts: {idle: 1s}\n"));
  pid_t client = StartHeldOpenClient("");
  // 8 s: the idle time plus ample slack.
  EXPECT_TRUE(ClientEndedWithin(client, std::chrono::seconds(8)))
      << "the idle connection was still open";
  // It was an accepted client that idled, not a refused one.
  const std::string out = ReadFile(dir().Join("s_client.out"));
  EXPECT_NE(out.find("Cipher is"), std::string::npos) << out;
  EXPECT_EQ(out.find("alert"), std::string::npos) << out;
}

TEST_F(GatewayTest, RequestBodiesReachTheBackendAndOversizedOnesGet413) {
  std::string config = Config("REJECT_INVALID", TenantRoutes());
  WriteFile(config, ReadFile(config) + "limits: {max_request_body_bytes: 65536}\n");
  StartGateway(config);
  std::string body;
  for (int i = 0; body.size() < 40000; ++i) body += "line " + std::to_string(i) + "\n";
  const std::string file = Write("body.txt", body);
  CurlResult posted = Curl("/a/upload", alice_cert_, alice_key_, {"--data-binary", "@" + file});
  ASSERT_EQ(posted.http_code, 200) << posted.body;
  EXPECT_EQ(posted.body.rfind("POST /a/upload HTTP/1.1\r\n", 0), 0u) << posted.body.substr(0, 400);
  EXPECT_EQ(HeaderValue(posted.body, "Content-Length"), std::to_string(body.size()));
  EXPECT_EQ(posted.body.substr(posted.body.find("\r\n\r\n") + 4), body);
  // A client that waits for "100 Continue" before it sends the body gets it.
  CurlResult continued = Curl("/a/upload", alice_cert_, alice_key_,
                              {"-H", "Expect: 100-continue", "--expect100-timeout", "5",
                               "--data-binary", "@" + file});
  ASSERT_EQ(continued.http_code, 200) << continued.body;
  EXPECT_EQ(continued.body.substr(continued.body.find("\r\n\r\n") + 4), body);
  // The gateway answered it; the backend gets the whole request at once.
  EXPECT_EQ(HeaderValue(continued.body, "Expect"), std::nullopt) << continued.body;

  const int before = backend_->requests();
  const std::string big = Write("big.txt", std::string(100000, 'x'));
  CurlResult refused = Curl("/a/upload", alice_cert_, alice_key_, {"--data-binary", "@" + big});
  EXPECT_EQ(refused.http_code, 413) << refused.body;
  EXPECT_TRUE(LoggedStatusDetails("request_body_too_large"));
  // Chunked, the size shows only while the body arrives.
  CurlResult chunked = Curl("/a/upload", alice_cert_, alice_key_,
                            {"-H", "Transfer-Encoding: chunked", "--data-binary", "@" + big});
  EXPECT_EQ(chunked.http_code, 413) << chunked.body;
  CurlResult small_chunked = Curl("/a/upload", alice_cert_, alice_key_,
                                  {"-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file});
  ASSERT_EQ(small_chunked.http_code, 200) << small_chunked.body;
  EXPECT_EQ(small_chunked.body.substr(small_chunked.body.find("\r\n\r\n") + 4), body);
  EXPECT_EQ(backend_->requests(), before + 1);
}

// A socket that listens and never accepts: the kernel completes the TCP
// handshake and buffers the request, and no response ever comes.
class SilentBackend {
 public:
  SilentBackend() { fd_ = ListenOnLoopback(8, port_); }
  ~SilentBackend() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST_F(GatewayTest, SilentBackendGets504AfterTheBackendTimeoutAndAMissingOne502) {
  SilentBackend silent;
  const uint16_t nobody = FreePort();
  const std::string routes =
      TenantRoutes() + "  - {prefix: /slow, backend: \"http://127.0.0.1:" +
      std::to_string(silent.port()) + "\", allow: {tenants: [acme]}}\n" +
      "  - {prefix: /down, backend: \"http://127.0.0.1:" + std::to_string(nobody) +
      "\", allow: {tenants: [acme]}}\n";
  StartGateway(Config("REJECT_INVALID", routes, "timeouts: {backend: 1s}\n"));
  const auto start = std::chrono::steady_clock::now();
  CurlResult slow = Curl("/slow/x", alice_cert_, alice_key_);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(slow.http_code, 504) << slow.body;
  EXPECT_LT(waited, std::chrono::seconds(8)) << "not the configured 1 s backend timeout";
  EXPECT_TRUE(LoggedStatusDetails("backend_timeout"));
  CurlResult down = Curl("/down/x", alice_cert_, alice_key_);
  EXPECT_EQ(down.http_code, 502) << down.body;
  EXPECT_TRUE(LoggedStatusDetails("backend_connection_failed"));
  // The gateway is unharmed: the next request on a healthy route goes through.
  EXPECT_EQ(Curl("/a/x", alice_cert_, alice_key_).http_code, 200);
}

TEST_F(GatewayTest, PipelinedRequestsInOneTlsRecordAreAnsweredInOrder) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes()));
  const std::string script =
      "printf 'GET /b/first HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /b/second HTTP/1.1\\r\\nHost: "
      "x\\r\\nConnection: close\\r\\n\\r\\n' | timeout 20 openssl s_client -quiet -ign_eof "
      "-connect 127.0.0.1:" +
      std::to_string(port_) + " -CAfile " + server_ca_ + " -cert " + bob_cert_ + " -key " +
      bob_key_;
  ProcessResult r = RunProcess({"bash", "-c", script});
  EXPECT_EQ(r.exit_code, 0) << "the gateway did not close after the second response: " << r.err;
  const size_t first = r.out.find("GET /b/first HTTP/1.1");
  const size_t second = r.out.find("GET /b/second HTTP/1.1");
  ASSERT_NE(first, std::string::npos) << r.out;
  ASSERT_NE(second, std::string::npos) << r.out;
  EXPECT_LT(first, second);
  EXPECT_EQ(backend_->requests(), 2);
}

TEST_F(GatewayTest, ClientThatStallsInsideTheRequestHeadIsClosedAfterTheHeaderTimeout) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes(), "timeouts: {header: 1s}\n"));
  pid_t client = StartHeldOpenClient("GET /b/x HTTP/1.1\\r\\nHost: x\\r\\n");
  // 8 s: the header time plus ample slack.
  EXPECT_TRUE(ClientEndedWithin(client, std::chrono::seconds(8)))
      << "a half-sent request head held the connection open";
  const std::string out = ReadFile(dir().Join("s_client.out"));
  EXPECT_NE(out.find("Cipher is"), std::string::npos) << "not an accepted client: " << out;
  EXPECT_EQ(backend_->requests(), 0);
}

TEST_F(GatewayTest, ShutdownClosesIdleKeepAliveConnectionsAtOnce) {
  StartGateway(Config("REJECT_INVALID", TenantRoutes()));
  // One request, then the connection idles.
  pid_t client = StartHeldOpenClient("GET /b/x HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n");
  for (int i = 0; i < 100 && backend_->requests() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(backend_->requests(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // back to idle
  const auto start = std::chrono::steady_clock::now();
  kill(pid_, SIGTERM);
  ProcessResult r = WaitProcess(pid_);
  pid_ = -1;
  EXPECT_EQ(r.exit_code, 0);
  // The default shutdown timeout is 30 s: an idle connection must not use it.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(ClientEndedWithin(client, std::chrono::seconds(5)))
      << "the client's connection stayed open";
}

}  // namespace
}  // namespace trustplane::testing
