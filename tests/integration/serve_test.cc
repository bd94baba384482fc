// `trustplane serve`: three tenants onboard their CAs through the REST API
// with their own bearer tokens (made by `serve token create`), each sees and
// removes only its own, an operator exports and publishes, and the audit log
// names the right actor for every change, effective once published.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cli_fixture.h"

namespace trustplane::testing {
namespace {

struct HttpResult {
  int status = 0;
  std::string body;
};

class ServeTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (Tp({"serve", "--help"}).exit_code != 0) GTEST_SKIP() << "`trustplane serve` is not registered in this binary";
    std::filesystem::create_directories(dir().Join("files"));
  }
  void TearDown() override { StopServer(); }

  std::string File(const std::string& name) const { return dir().Join("files/" + name); }

  // `serve token create`; returns the token printed once.
  std::string CreateToken(const std::string& actor, const std::string& role, const std::string& tenant = "") {
    std::vector<std::string> args = {"serve", "token", "create", "--actor", actor, "--role", role};
    if (!tenant.empty()) args.insert(args.end(), {"--tenant", tenant});
    auto r = Tp(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string token = r.out.substr(0, r.out.find('\n'));
    EXPECT_EQ(token.rfind("tpk_", 0), 0u) << r.out;
    return token;
  }

  // A self-signed CA made by the real openssl; returns its PEM file.
  std::string MakeCa(const std::string& name) {
    auto r = RunProcess({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-keyout", File(name + "-key.pem"), "-out", File(name + ".pem"), "-days", "365", "-subj",
                         "/CN=" + name + " root CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                         "keyUsage=critical,keyCertSign,cRLSign"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return File(name + ".pem");
  }
  std::string Fingerprint(const std::string& pem_file) {
    auto r = RunProcess({"openssl", "x509", "-in", pem_file, "-noout", "-fingerprint", "-sha256"});
    std::string fp;
    for (char c : r.out.substr(r.out.find('=') + 1)) {
      if (std::isxdigit(static_cast<unsigned char>(c))) fp += static_cast<char>(std::tolower(c));
    }
    return fp;
  }

  void StartServer(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {TRUSTPLANE_BIN, "--home", home(), "serve", "--listen", "127.0.0.1:0",
                                     "--port-file", File("port")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = SpawnProcess(argv);
    ASSERT_GT(pid_, 0);
    std::string error;
    port_ = WaitForPortFile(pid_, File("port"), std::chrono::seconds(30), &error);
    if (port_ == 0) {
      pid_ = -1;
      FAIL() << "trustplane serve: " << error;
    }
  }

  // SIGTERM, then a bounded wait; the exit code, or -1 when it had to be killed.
  int StopServer() {
    if (pid_ <= 0) return -1;
    const int code = TerminateProcess(pid_, std::chrono::seconds(20));
    pid_ = -1;
    return code;
  }

  HttpResult Curl(const std::string& method, const std::string& path, const std::string& token,
                  const std::string& body_file = "", const std::vector<std::string>& tls = {}) const {
    std::vector<std::string> argv = {"curl", "-sS", "--max-time", "20", "-X", method, "-w", "\n%{http_code}"};
    argv.insert(argv.end(), tls.begin(), tls.end());
    if (!token.empty()) argv.insert(argv.end(), {"-H", "Authorization: Bearer " + token});
    if (!body_file.empty()) {
      argv.insert(argv.end(), {"-H", "Content-Type: application/x-pem-file", "--data-binary", "@" + body_file});
    }
    argv.push_back((tls.empty() ? "http" : "https") + std::string("://127.0.0.1:") + std::to_string(port_) + path);
    auto r = RunProcess(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const size_t nl = r.out.rfind('\n');
    if (nl == std::string::npos) return {};
    return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
  }
  std::vector<std::string> Listed(const std::string& path, const std::string& token) const {
    auto r = Curl("GET", path, token);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object()) {
      for (const auto& c : j["certificates"]) out.push_back(c["sha256"].get<std::string>());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::string ErrorCode(const HttpResult& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(ServeTest, ThreeTenantsOnboardThroughTheApiAndTheAuditNamesEachActor) {
  const std::vector<std::string> tenants = {"acme", "globex", "initech"};
  std::map<std::string, std::string> token, ca, fp;
  for (const auto& t : tenants) token[t] = CreateToken("ci-" + t, "tenant", t);
  const std::string ops = CreateToken("ops-alice", "operator");

  // Only hashes are stored, in a file nobody else can read.
  struct stat st {};
  ASSERT_EQ(stat((home() + "/api-tokens.yaml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream creds_in(home() + "/api-tokens.yaml");
  std::stringstream creds;
  creds << creds_in.rdbuf();
  for (const auto& [t, tok] : token) EXPECT_EQ(creds.str().find(tok), std::string::npos);
  EXPECT_NE(Tp({"serve", "token", "create", "--actor", "x", "--role", "tenant"}).exit_code, 0);

  StartServer();
  ASSERT_GT(port_, 0);
  EXPECT_EQ(Curl("GET", "/api/v1/health", "").status, 200);
  EXPECT_EQ(ErrorCode(Curl("GET", "/api/v1/tenants/acme/certificates", "")), "unauthenticated");

  for (const auto& t : tenants) {
    ca[t] = MakeCa(t);
    fp[t] = Fingerprint(ca[t]);
    auto r = Curl("POST", "/api/v1/tenants/" + t + "/certificates", token[t], ca[t]);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(nlohmann::json::parse(r.body)["certificates"][0]["sha256"], fp[t]);
  }
  // A tenant cannot onboard for another.
  auto cross_upload = Curl("POST", "/api/v1/tenants/globex/certificates", token["acme"], ca["acme"]);
  EXPECT_EQ(cross_upload.status, 403);
  EXPECT_EQ(ErrorCode(cross_upload), "tenant_forbidden");

  for (const auto& t : tenants) {
    EXPECT_EQ(Listed("/api/v1/tenants/" + t + "/certificates", token[t]), std::vector<std::string>{fp[t]}) << t;
    for (const auto& other : tenants) {
      if (other == t) continue;
      // Another tenant's listing and objects: refused, never shown.
      auto list = Curl("GET", "/api/v1/tenants/" + other + "/certificates", token[t]);
      EXPECT_EQ(list.status, 403) << t << " reading " << other;
      EXPECT_EQ(list.body.find(fp[other]), std::string::npos);
      auto get = Curl("GET", "/api/v1/tenants/" + t + "/certificates/" + fp[other], token[t]);
      EXPECT_EQ(get.status, 404);
      EXPECT_EQ(get.body.find("BEGIN CERTIFICATE"), std::string::npos);
      EXPECT_EQ(Curl("DELETE", "/api/v1/tenants/" + other + "/certificates/" + fp[other], token[t]).status, 403);
      EXPECT_EQ(Curl("DELETE", "/api/v1/tenants/" + t + "/certificates/" + fp[other], token[t]).status, 404);
    }
  }
  EXPECT_EQ(ErrorCode(Curl("GET", "/api/v1/certificates", token["acme"])), "forbidden");
  EXPECT_EQ(ErrorCode(Curl("POST", "/api/v1/trust-config/publish", token["acme"])), "forbidden");

  // The operator sees all three, in the list and in the exported trust config.
  std::vector<std::string> all = {fp["acme"], fp["globex"], fp["initech"]};
  std::sort(all.begin(), all.end());
  EXPECT_EQ(Listed("/api/v1/certificates", ops), all);
  auto exported = Curl("GET", "/api/v1/trust-config?format=json", ops);
  ASSERT_EQ(exported.status, 200) << exported.body;
  auto anchors = nlohmann::json::parse(exported.body)["trustStores"][0]["trustAnchors"];
  ASSERT_EQ(anchors.size(), 3u) << exported.body;
  for (const auto& t : tenants) {
    std::ifstream in(ca[t]);
    std::stringstream pem;
    pem << in.rdbuf();
    // The export carries each tenant's PEM (its base64 body, whatever the line layout).
    const std::string body_line = pem.str().substr(pem.str().find('\n') + 1, 40);
    EXPECT_NE(exported.body.find(body_line), std::string::npos) << t;
  }
  auto yaml = Curl("GET", "/api/v1/trust-config?format=yaml", ops);
  EXPECT_EQ(yaml.status, 200);
  EXPECT_NE(yaml.body.find("trustAnchors"), std::string::npos);

  // Not yet published: nothing is effective.
  for (const auto& e : AuditEvents()) {
    if (e["action"] == "trust.add") {
      EXPECT_TRUE(e["effective_at"].is_null()) << e.dump();
    }
  }
  auto published = Curl("POST", "/api/v1/trust-config/publish", ops);
  ASSERT_EQ(published.status, 201) << published.body;
  const std::string revision = nlohmann::json::parse(published.body)["revision"];

  // Every change names its actor and tenant, and is effective since the publish.
  std::map<std::string, std::string> added_by;
  bool publish_seen = false;
  for (const auto& e : AuditEvents()) {
    if (e["action"] == "trust.add" && e["result"] == "added") {
      const std::string tenant = e["tenant"];
      added_by[tenant] = e["actor"];
      EXPECT_EQ(e["fingerprints"], nlohmann::json::array({fp[tenant]}));
      EXPECT_TRUE(e["effective_at"].is_string()) << e.dump();
    }
    if (e["action"] == "trustconfig.publish") {
      publish_seen = true;
      EXPECT_EQ(e["actor"], "ops-alice");
    }
  }
  EXPECT_TRUE(publish_seen);
  EXPECT_EQ(added_by, (std::map<std::string, std::string>{
                          {"acme", "ci-acme"}, {"globex", "ci-globex"}, {"initech", "ci-initech"}}));
  auto history = TpJson({"trust", "history"});
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0]["revision"], revision);
  EXPECT_EQ(history[0]["published_by"], "ops-alice");

  // A tenant's own audit trail through the API: its change only.
  auto trail = Curl("GET", "/api/v1/tenants/globex/audit", token["globex"]);
  ASSERT_EQ(trail.status, 200);
  auto events = nlohmann::json::parse(trail.body)["events"];
  ASSERT_EQ(events.size(), 1u) << trail.body;
  EXPECT_EQ(events[0]["actor"], "ci-globex");
  EXPECT_TRUE(events[0]["effective_at"].is_string());

  // A tenant removes its own CA; the removal is audited under its actor.
  auto removed = Curl("DELETE", "/api/v1/tenants/initech/certificates/" + fp["initech"] + "?reason=retired", token["initech"]);
  ASSERT_EQ(removed.status, 200) << removed.body;
  auto last = AuditEvents().back();
  EXPECT_EQ(last["action"], "trust.remove");
  EXPECT_EQ(last["actor"], "ci-initech");
  EXPECT_TRUE(last["effective_at"].is_null());
  std::vector<std::string> remaining = {fp["acme"], fp["globex"]};
  std::sort(remaining.begin(), remaining.end());
  EXPECT_EQ(Listed("/api/v1/certificates", ops), remaining);

  EXPECT_EQ(StopServer(), 0);
  EXPECT_NE(RunProcess({"curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/health"})
                .exit_code,
            0);
}

TEST_F(ServeTest, MutualTlsClientCertificateActsAsItsMappedActor) {
  // One CA issues the server certificate and the clients'.
  const std::string ca = MakeCa("mtls");
  auto issue = [&](const std::string& name, const std::string& cn, const std::string& ext) {
    auto req = RunProcess({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", File(name + "-key.pem"), "-out", File(name + ".csr"), "-subj", "/CN=" + cn});
    ASSERT_EQ(req.exit_code, 0) << req.err;
    Write(name + ".ext", ext);
    auto sign = RunProcess({"openssl", "x509", "-req", "-in", File(name + ".csr"), "-CA", ca, "-CAkey",
                            File("mtls-key.pem"), "-CAcreateserial", "-days", "30", "-out", File(name + ".pem"),
                            "-extfile", File(name + ".ext")});
    ASSERT_EQ(sign.exit_code, 0) << sign.err;
  };
  issue("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  issue("ops", "ops.example", "extendedKeyUsage=clientAuth\n");
  issue("stranger", "stranger.example", "extendedKeyUsage=clientAuth\n");
  auto created = Tp({"serve", "token", "create", "--actor", "ops-mtls", "--role", "operator", "--subject-cn",
                     "ops.example"});
  ASSERT_EQ(created.exit_code, 0) << created.err;

  StartServer({"--tls-cert", File("server.pem"), "--tls-key", File("server-key.pem"), "--client-ca", ca});
  ASSERT_GT(port_, 0);
  auto as = [&](const std::string& name) {
    return std::vector<std::string>{"--cacert", ca, "--cert", File(name + ".pem"), "--key", File(name + "-key.pem")};
  };
  auto who = Curl("GET", "/api/v1/whoami", "", "", as("ops"));
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(nlohmann::json::parse(who.body)["actor"], "ops-mtls");
  auto published = Curl("POST", "/api/v1/trust-config/publish", "", "", as("ops"));
  EXPECT_EQ(published.status, 201) << published.body;
  EXPECT_EQ(AuditEvents().back()["actor"], "ops-mtls");

  auto stranger = Curl("GET", "/api/v1/whoami", "", "", as("stranger"));
  EXPECT_EQ(stranger.status, 401);
  EXPECT_EQ(ErrorCode(stranger), "unauthenticated");
  // Without a client certificate the handshake itself fails.
  auto anonymous = RunProcess({"curl", "-sS", "--max-time", "20", "--cacert", ca,
                               "https://127.0.0.1:" + std::to_string(port_) + "/api/v1/health"});
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_EQ(StopServer(), 0);
}

}  // namespace
}  // namespace trustplane::testing
