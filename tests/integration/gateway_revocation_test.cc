// Revocation in `trustplane gateway serve`, end to end: a CA made with
// `trustplane ca init`, client certificates from `ca gencert --db` whose
// profile names an OCSP URL, `ca revoke`, `ca crl`, `ca serve` as the OCSP
// responder, `trustplane echo-backend` behind the gateway, and real curl
// clients (each bounded by `timeout` and --max-time).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "cli_fixture.h"
#include "support/curl_result.h"
#include "support/local_ports.h"

namespace trustplane::testing {
namespace {

class GatewayRevocationTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ocsp_port_ = FreePort();
    Write("ca.json", R"({"CN": "Revocation Test Root", "ca": {"expiry": "87600h"}})");
    auto ca = Tp({"ca", "init", Stem("ca.json"), "--bare", Stem("ca")});
    ASSERT_EQ(ca.exit_code, 0) << ca.err;
    // The leaves name the responder `ca serve` will run on (AIA OCSP).
    Write("config.json", R"({"signing": {"default": {"expiry": "168h"}, "profiles": {
        "client": {"usages": ["signing", "key encipherment", "client auth"], "expiry": "8760h",
                   "ocsp_url": "http://127.0.0.1:)" +
                             std::to_string(ocsp_port_) + R"(/ocsp"}}}})");
    Write("db.json", R"({"driver": "sqlite3", "data_source": ")" + Stem("certs.db") + R"("})");
    for (const std::string name : {"alice", "bob"}) {
      Write(name + ".json",
            R"({"CN": ")" + name + R"(", "hosts": [")" + name + R"(.example.com"]})");
      auto r = Tp({"ca", "gencert", "--ca", Stem("ca.pem"), "--ca-key", Stem("ca-key.pem"),
                   "--config", Stem("config.json"), "--profile", "client", "--db",
                   "sqlite://" + Stem("certs.db"), Stem(name + ".json"), "--bare", Stem(name)});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    ASSERT_EQ(Tp({"trust", "add", "--tenant", "acme", Stem("ca.pem")}).exit_code, 0);

    Issued server_ca = MakeRootCa("gateway server ca");
    Issued server = MakeLocalServerLeaf("gateway", server_ca);
    server_ca_ = WritePem("server-ca.pem", server_ca);
    Write("server.pem", server.cert_pem);
    Write("server-key.pem", server.key_pem);

    backend_port_ = FreePort();
    backend_pid_ = SpawnProcess(
        {TRUSTPLANE_BIN, "echo-backend", "--listen", "127.0.0.1:" + std::to_string(backend_port_)});
    ASSERT_TRUE(WaitForPort(backend_pid_, backend_port_)) << "echo backend did not start";
  }

  void TearDown() override {
    StopGateway();
    StopResponder();
    if (backend_pid_ > 0) TerminateProcess(backend_pid_, std::chrono::seconds(10));
  }

  std::string Stem(const std::string& name) const { return dir().Join("files/" + name); }

  static bool WaitForPort(pid_t pid, uint16_t port) {
    for (int i = 0; i < 300; ++i) {
      if (CanConnect(port)) return true;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Revokes `name`'s certificate in the certdb (serial and AKI read with openssl).
  void Revoke(const std::string& name) {
    auto serial = RunProcess({"openssl", "x509", "-in", Stem(name + ".pem"), "-noout", "-serial"});
    const std::string hex = serial.out.substr(serial.out.find('=') + 1);
    auto aki = RunProcess(
        {"openssl", "x509", "-in", Stem("ca.pem"), "-noout", "-ext", "subjectKeyIdentifier"});
    const std::string key_id = aki.out.substr(aki.out.find('\n') + 1);
    auto r = Tp({"ca", "revoke", "0x" + hex.substr(0, hex.find_last_not_of("\n") + 1), "--aki",
                 key_id, "--reason", "keyCompromise", "--db", "sqlite://" + Stem("certs.db")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void WriteCrl() {
    auto r = Tp({"ca", "crl", "--ca", Stem("ca.pem"), "--ca-key", Stem("ca-key.pem"), "--db",
                 "sqlite://" + Stem("certs.db"), "-o", Stem("ca.crl")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void StartResponder() {
    responder_pid_ =
        SpawnProcess({TRUSTPLANE_BIN, "--home", home(), "ca", "serve", "-address", "127.0.0.1",
                      "-port", std::to_string(ocsp_port_), "-ca", Stem("ca.pem"), "-ca-key",
                      Stem("ca-key.pem"), "-db-config", Stem("db.json"), "-responder",
                      Stem("ca.pem"), "-responder-key", Stem("ca-key.pem")});
    ASSERT_TRUE(WaitForPort(responder_pid_, ocsp_port_)) << "ca serve did not start";
  }
  void StopResponder() {
    if (responder_pid_ > 0) TerminateProcess(responder_pid_, std::chrono::seconds(10));
    responder_pid_ = -1;
  }

  std::string Config(const std::string& mode, const std::string& revocation,
                     bool allow_unverified = false) {
    if (port_ == 0) port_ = FreePort();
    std::ostringstream y;
    y << "listen: 127.0.0.1:" << port_ << "\n"
      << "tls: {cert: server.pem, key: server-key.pem}\n"
      << "client_validation: " << mode << "\n"
      << "trust: {home: " << home() << "}\n"
      << "headers:\n"
      << "  X-Client-Cert-Chain-Verified: \"{client_cert_chain_verified}\"\n"
      << "  X-Client-Cert-Error: \"{client_cert_error}\"\n"
      << "revocation:\n"
      << revocation << "routes:\n"
      << "  - {prefix: /, backend: \"http://127.0.0.1:" << backend_port_
      << (allow_unverified ? "\", allow_unverified: true}\n" : "\", allow: {tenants: [acme]}}\n");
    return Write("gateway.yaml", y.str());
  }

  void StartGateway(const std::string& config) {
    log_ = Stem("access-" + std::to_string(++starts_) + ".log");
    pid_ = SpawnProcess({TRUSTPLANE_BIN, "gateway", "serve", "--config", config, "--workers", "1",
                         "--access-log", log_});
    if (!WaitForPort(pid_, port_)) {
      pid_ = -1;
      FAIL() << "gateway did not start";
    }
  }
  void StopGateway() {
    if (pid_ > 0) {
      EXPECT_EQ(TerminateProcess(pid_, std::chrono::seconds(20)), 0);
    }
    pid_ = -1;
  }

  CurlResult Curl(const std::string& name) {
    ProcessResult r =
        RunProcess({"timeout", "30", "curl", "-sS", "--max-time", "20", "--cacert", server_ca_,
                    "--cert", Stem(name + ".pem"), "--key", Stem(name + "-key.pem"), "-w",
                    "\n%{http_code}", "https://127.0.0.1:" + std::to_string(port_) + "/x"});
    return CurlResultOf(r);
  }

  // Whether the access log has a line with this statusDetails (bounded wait:
  // the line of a refused handshake is written as the connection closes).
  bool Logged(const std::string& details) const {
    for (int i = 0; i < 100; ++i) {
      std::istringstream in(ReadFile(log_));
      for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        if (nlohmann::json::parse(line).value("statusDetails", "") == details) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  uint16_t ocsp_port_ = 0, backend_port_ = 0, port_ = 0;
  pid_t backend_pid_ = -1, responder_pid_ = -1, pid_ = -1;
  int starts_ = 0;
  std::string server_ca_, log_;
};

TEST_F(GatewayRevocationTest, CrlFileRefusesRevokedInRejectModeAndFlagsItInAllowMode) {
  Revoke("bob");
  WriteCrl();
  const std::string crl_only = "  crls: [ca.crl]\n";

  StartGateway(Config("REJECT_INVALID", crl_only));
  CurlResult alice = Curl("alice");
  EXPECT_EQ(alice.http_code, 200) << alice.body;
  CurlResult bob = Curl("bob");
  EXPECT_NE(bob.exit_code, 0);
  EXPECT_EQ(bob.http_code, 0) << "REJECT_INVALID sends no HTTP response: " << bob.body;
  EXPECT_TRUE(Logged("client_cert_revoked"));

  // gateway check says the same without traffic, and exits 5 (policy refusal).
  auto check =
      TpJson({"gateway", "check", "--config", Stem("gateway.yaml"), "--cert", Stem("bob.pem")}, 5);
  EXPECT_EQ(check["client"]["revocation"], "revoked") << check.dump();
  EXPECT_EQ(check["client"]["error"], "client_cert_revoked");
  auto good =
      TpJson({"gateway", "check", "--config", Stem("gateway.yaml"), "--cert", Stem("alice.pem")});
  EXPECT_EQ(good["client"]["revocation"], "good") << good.dump();
  StopGateway();

  StartGateway(Config("ALLOW_INVALID_OR_MISSING_CLIENT_CERT", crl_only, true));
  bob = Curl("bob");
  ASSERT_EQ(bob.http_code, 200) << bob.body;
  EXPECT_NE(bob.body.find("client_cert_revoked"), std::string::npos) << bob.body;
  alice = Curl("alice");
  ASSERT_EQ(alice.http_code, 200) << alice.body;
  EXPECT_EQ(alice.body.find("client_cert_revoked"), std::string::npos) << alice.body;
}

TEST_F(GatewayRevocationTest, OcspAtTheLeafsAiaUrlCrlFromCaServeAndADeadResponder) {
  StartResponder();
  StartGateway(Config("REJECT_INVALID", "  ocsp: {enabled: true, timeout: 2s}\n"));
  EXPECT_EQ(Curl("alice").http_code, 200);
  // Revoked after the gateway started; bob's first handshake asks the responder.
  Revoke("bob");
  CurlResult bob = Curl("bob");
  EXPECT_EQ(bob.http_code, 0) << bob.body;
  EXPECT_TRUE(Logged("client_cert_revoked"));
  StopGateway();

  // The same CA's CRL, fetched from `ca serve`'s /crl (DER) instead.
  StartGateway(Config("REJECT_INVALID",
                      "  crls: [\"http://127.0.0.1:" + std::to_string(ocsp_port_) + "/crl\"]\n"));
  EXPECT_EQ(Curl("alice").http_code, 200);
  EXPECT_EQ(Curl("bob").http_code, 0);
  EXPECT_TRUE(Logged("client_cert_revoked"));
  StopGateway();

  StopResponder();
  StartGateway(
      Config("REJECT_INVALID", "  mode: soft_fail\n  ocsp: {enabled: true, timeout: 1s}\n"));
  CurlResult soft = Curl("alice");
  EXPECT_EQ(soft.http_code, 200) << soft.body;
  StopGateway();

  StartGateway(
      Config("REJECT_INVALID", "  mode: hard_fail\n  ocsp: {enabled: true, timeout: 1s}\n"));
  CurlResult hard = Curl("alice");
  EXPECT_EQ(hard.http_code, 0) << hard.body;
  EXPECT_TRUE(Logged("client_cert_revocation_unknown"));
}

TEST_F(GatewayRevocationTest, ASessionSavedBeforeTheRevocationDoesNotResumeAfterIt) {
  WriteCrl();  // nothing revoked yet
  StartGateway(Config("REJECT_INVALID", "  crls: [ca.crl]\n  refresh: 1s\n"));
  const std::string sess = Stem("alice.sess");
  const std::string addr = "127.0.0.1:" + std::to_string(port_);
  const std::string request = "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  auto s_client = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"timeout", "30",      "openssl",  "s_client", "-connect",
                                     addr,      "-CAfile", server_ca_, "-ign_eof"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, {}, request);
  };
  ProcessResult first =
      s_client({"-cert", Stem("alice.pem"), "-key", Stem("alice-key.pem"), "-sess_out", sess});
  ASSERT_NE(first.out.find("HTTP/1.1 200"), std::string::npos) << first.out << first.err;
  ProcessResult resumed = s_client({"-sess_in", sess});
  ASSERT_NE(resumed.out.find("Reused,"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find("HTTP/1.1 200"), std::string::npos) << resumed.out;

  Revoke("alice");
  WriteCrl();
  // The CRL is re-read every second: a new full handshake is refused soon.
  bool refused = false;
  for (int i = 0; i < 50 && !refused; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    refused = Curl("alice").http_code == 0;
  }
  ASSERT_TRUE(refused);
  ProcessResult after = s_client({"-sess_in", sess});
  EXPECT_EQ(after.out.find("Reused,"), std::string::npos) << after.out;
  EXPECT_EQ(after.out.find("HTTP/1.1 200"), std::string::npos) << after.out;
  EXPECT_EQ(Curl("bob").http_code, 200);
}

// A revocation learnt while a client holds a keep-alive connection closes
// that connection at its next request; the reconnect is refused.
TEST_F(GatewayRevocationTest, AKeepAliveConnectionEndsWhenANewCrlRevokesItsClient) {
  WriteCrl();  // nothing revoked yet
  StartGateway(Config("REJECT_INVALID", "  crls: [ca.crl]\n  refresh: 1s\n"));
  const std::string url = "https://127.0.0.1:" + std::to_string(port_) + "/x";
  // 16 requests at 4 per second on one connection while the test revokes.
  std::string cmd = "curl -sS --max-time 30 --rate 4/s --cacert " + server_ca_ + " --cert " +
                    Stem("alice.pem") + " --key " + Stem("alice-key.pem") +
                    " -w '%{http_code} %{num_connects}\\n'";
  for (int i = 0; i < 16; ++i) cmd += " -o /dev/null " + url;
  const std::string out = Stem("keepalive.out");
  pid_t curl = SpawnProcess({"sh", "-c", cmd + " > " + out + " 2>&1"});
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  Revoke("alice");
  WriteCrl();
  WaitProcess(curl);
  std::istringstream lines(ReadFile(out));
  std::vector<std::string> codes;
  for (std::string line; std::getline(lines, line);) {
    if (line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0]))) {
      codes.push_back(line);
    }
  }
  ASSERT_EQ(codes.size(), 16u) << ReadFile(out);
  EXPECT_EQ(codes.front(), "200 1") << ReadFile(out);
  EXPECT_EQ(codes[1], "200 0") << "the second request reuses the connection\n" << ReadFile(out);
  EXPECT_EQ(codes.back().substr(0, 3), "000") << ReadFile(out);
  std::istringstream log(ReadFile(log_));
  bool closed = false;
  for (std::string line; std::getline(log, line);) {
    closed = closed ||
             line.find("no longer admitted after new revocation data") != std::string::npos;
  }
  EXPECT_TRUE(closed) << ReadFile(log_);
  EXPECT_TRUE(Logged("client_cert_revoked"));
}

}  // namespace
}  // namespace trustplane::testing
