// `trustplane ca serve` as a drop-in for `cfssl serve`: started with cfssl's
// single-dash flags, driven by curl, openssl and (when installed) Debian's
// own cfssl client in -remote and auth_remote mode.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "cli_fixture.h"
#include "support/local_ports.h"
#include "trustplane/base/digest.h"
#include "trustplane/base/encoding.h"

namespace trustplane::testing {
namespace {

constexpr char kAuthKey[] = "0123456789ABCDEF0123456789ABCDEF";

// Waits, at most `limit`, until something accepts TCP connections on 127.0.0.1:port.
bool WaitForListener(int port, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool up = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool HaveProgram(const std::string& name) {
  return RunProcess({"sh", "-c", "command -v " + name}).exit_code == 0;
}

class CaServeTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    // `ca serve --help` would print the group's help when the verb is missing.
    if (Tp({"ca", "--help"}).out.find("\n  serve ") == std::string::npos) {
      GTEST_SKIP() << "`trustplane ca serve` is not registered in this binary";
    }
    Write("ca.json", R"({"CN": "Serve Test Root", "ca": {"expiry": "87600h"}})");
    auto ca = Tp({"ca", "init", Stem("ca.json"), "--bare", Stem("ca")});
    ASSERT_EQ(ca.exit_code, 0) << ca.err;
    Write("config.json", std::string(R"({"signing": {
        "default": {"expiry": "168h", "usages": ["signing", "key encipherment", "server auth", "client auth"]},
        "profiles": {
          "client": {"usages": ["signing", "key encipherment", "client auth"], "expiry": "8760h"},
          "authed": {"usages": ["signing", "client auth"], "expiry": "720h", "auth_key": "key1"}}},
        "auth_keys": {"key1": {"type": "standard", "key": ")") + kAuthKey + R"("}}})");
    Write("db.json", R"({"driver": "sqlite3", "data_source": ")" + Stem("certs.db") + R"("})");
    Write("csr.json", R"({"CN": "svc-remote", "hosts": ["svc.example.com"]})");
  }

  void TearDown() override { StopServer(); }

  std::string Stem(const std::string& name) const { return dir().Join("files/" + name); }

  // Starts the server with cfssl's flag spelling (`dash` = "-" or "--") and
  // waits, bounded, until it has written its port.
  void StartServer(const std::string& dash = "-", std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {TRUSTPLANE_BIN, "--home", home(), "ca", "serve",
                                     dash + "address", "127.0.0.1", dash + "port", "0",
                                     dash + "ca", Stem("ca.pem"), dash + "ca-key", Stem("ca-key.pem"),
                                     dash + "config", Stem("config.json"), dash + "db-config", Stem("db.json"),
                                     dash + "responder", Stem("ca.pem"), dash + "responder-key", Stem("ca-key.pem"),
                                     "--port-file", Stem("port")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = SpawnProcess(argv);
    ASSERT_GT(pid_, 0);
    std::string error;
    port_ = WaitForPortFile(pid_, Stem("port"), std::chrono::seconds(30), &error);
    if (port_ == 0) {
      pid_ = -1;
      FAIL() << "trustplane ca serve: " << error;
    }
  }

  // SIGTERM, then a bounded wait; returns the exit code (-1: had to be killed).
  int StopServer() {
    if (pid_ <= 0) return -1;
    const int code = TerminateProcess(pid_, std::chrono::seconds(20));
    pid_ = -1;
    return code;
  }

  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  ProcessResult Curl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"curl", "-sS", "--max-time", "20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  nlohmann::json PostJson(const std::string& endpoint, const std::string& body) const {
    const std::string file = Write("body-" + endpoint + ".json", body);
    auto r = Curl({"-H", "Content-Type: application/json", "--data-binary", "@" + file, Url("/api/v1/cfssl/" + endpoint)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    try {
      return nlohmann::json::parse(r.out);
    } catch (const std::exception&) {
      ADD_FAILURE() << "not JSON: " << r.out;
      return nullptr;
    }
  }
  ProcessResult Openssl(const std::vector<std::string>& args, const std::string& stdin_data = "") const {
    std::vector<std::string> argv = {"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, {}, stdin_data);
  }
  ProcessResult Cfssl(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"timeout", "30", "cfssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  // The certificate of cfssl gencert's JSON output, written to `name`.
  std::string CertFromCfsslJson(const std::string& out, const std::string& name) const {
    auto j = nlohmann::json::parse(out);
    return Write(name, j["cert"].get<std::string>());
  }
  std::string OcspStatus(const std::string& leaf) const {
    auto r = Openssl({"ocsp", "-issuer", Stem("ca.pem"), "-cert", leaf, "-CAfile", Stem("ca.pem"), "-url", Url("/ocsp"),
                      "-timeout", "20"});
    return r.out + r.err;
  }

  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(CaServeTest, SignsForCurlWithCfsslsEnvelopeAndStopsCleanlyOnSigterm) {
  StartServer("-");
  auto health = Curl({Url("/api/v1/cfssl/health")});
  EXPECT_EQ(nlohmann::json::parse(health.out)["result"]["healthy"], true) << health.out;

  auto req = Openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                      Stem("curl-key.pem"), "-subj", "/CN=curl-client"});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  auto signed_env = PostJson("sign", nlohmann::json{{"certificate_request", req.out}, {"profile", "client"}}.dump());
  ASSERT_TRUE(signed_env["success"].get<bool>()) << signed_env.dump();
  const std::string leaf = Write("curl-leaf.pem", signed_env["result"]["certificate"].get<std::string>());
  auto verify = Openssl({"verify", "-CAfile", Stem("ca.pem"), leaf});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // Errors a client can act on, each in the envelope with its own message.
  auto bad_json = PostJson("sign", "{\"certificate_request\": ");
  EXPECT_EQ(bad_json["errors"][0]["code"], 400);
  EXPECT_NE(bad_json["errors"][0]["message"].get<std::string>().find("Unable to parse sign request"), std::string::npos);
  auto unknown = PostJson("sign", nlohmann::json{{"certificate_request", req.out}, {"profile", "nope"}}.dump());
  EXPECT_EQ(unknown["errors"][0]["code"], 5400);
  auto needs_auth = PostJson("sign", nlohmann::json{{"certificate_request", req.out}, {"profile", "authed"}}.dump());
  EXPECT_NE(needs_auth["errors"][0]["message"].get<std::string>().find("authentication required"), std::string::npos);

  Write("big.json", "{\"certificate_request\": \"" + std::string(2 << 20, 'a') + "\"}");
  auto big = Curl({"-w", "\\n%{http_code}", "--data-binary", "@" + Stem("big.json"), Url("/api/v1/cfssl/sign")});
  EXPECT_NE(big.out.find("\"code\":413"), std::string::npos) << big.out.substr(0, 300);
  EXPECT_NE(big.out.find("\n413"), std::string::npos);

  EXPECT_EQ(StopServer(), 0);
  EXPECT_NE(Curl({Url("/api/v1/cfssl/health")}).exit_code, 0);
}

TEST_F(CaServeTest, TakesDoubleDashFlagsAndServesOcspAndTheDerCrl) {
  StartServer("--");
  auto issued = PostJson("newcert", R"({"request": {"CN": "ocsp-leaf", "hosts": ["o.example.com"]}, "profile": "client"})");
  ASSERT_TRUE(issued["success"].get<bool>()) << issued.dump();
  const std::string leaf = Write("ocsp-leaf.pem", issued["result"]["certificate"].get<std::string>());
  EXPECT_NE(OcspStatus(leaf).find(leaf + ": good"), std::string::npos) << OcspStatus(leaf);

  // A revocation made by the CLI against the same certdb shows at once.
  const std::string hex = OpensslSerialHex(leaf);
  auto aki = Openssl({"x509", "-in", Stem("ca.pem"), "-noout", "-ext", "subjectKeyIdentifier"});
  const std::string key_id = aki.out.substr(aki.out.find('\n') + 1);
  auto revoke = Tp({"ca", "revoke", "0x" + hex, "--aki", key_id, "--reason", "keyCompromise", "--db-config",
                    Stem("db.json")});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  const std::string status = OcspStatus(leaf);
  EXPECT_NE(status.find(leaf + ": revoked"), std::string::npos) << status;
  EXPECT_NE(status.find("keyCompromise"), std::string::npos) << status;

  auto crl = Curl({"-o", Stem("ca.crl"), Url("/crl")});
  ASSERT_EQ(crl.exit_code, 0) << crl.err;
  auto text = Openssl({"crl", "-inform", "DER", "-in", Stem("ca.crl"), "-noout", "-text"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(text.out.find(upper), std::string::npos) << text.out;
}

// The value of header `name` in curl's -D output, or "".
std::string HeaderValue(const std::string& head, const std::string& name) {
  const size_t at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  const size_t from = at + name.size() + 4;
  return head.substr(from, head.find("\r\n", from) - from);
}

TEST_F(CaServeTest, OcspOverGetTellsHttpCachesHowLongToKeepTheAnswer) {
  StartServer("-", {"--ocsp-validity", "2h"});
  auto issued = PostJson("newcert", R"({"request": {"CN": "cached", "hosts": ["c.example.com"]}, "profile": "client"})");
  ASSERT_TRUE(issued["success"].get<bool>()) << issued.dump();
  const std::string leaf = Write("cached.pem", issued["result"]["certificate"].get<std::string>());
  // The request a browser or RFC 5019 client sends: no nonce, by GET.
  auto req = Openssl({"ocsp", "-issuer", Stem("ca.pem"), "-cert", leaf, "-no_nonce", "-reqout", Stem("cached.req")});
  ASSERT_EQ(req.exit_code, 0) << req.err;
  std::string path = "/ocsp/";
  for (char c : Base64Encode(ReadFile(Stem("cached.req")))) {
    path += c == '+' ? "%2B" : c == '/' ? "%2F" : c == '=' ? "%3D" : std::string(1, c);
  }

  auto got = Curl({"-D", Stem("head.txt"), "-o", Stem("cached.resp"), Url(path)});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const std::string head = ReadFile(Stem("head.txt"));
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  auto checked = Openssl({"ocsp", "-respin", Stem("cached.resp"), "-issuer", Stem("ca.pem"), "-cert", leaf,
                          "-CAfile", Stem("ca.pem")});
  EXPECT_NE(checked.out.find(leaf + ": good"), std::string::npos) << checked.out << checked.err;
  const std::string etag = HeaderValue(head, "ETag");
  EXPECT_EQ(etag, "\"" + Sha256Hex(ReadFile(Stem("cached.resp"))) + "\"") << head;
  const std::string cache_control = HeaderValue(head, "Cache-Control");
  EXPECT_TRUE(cache_control.starts_with("max-age=")) << head;
  EXPECT_TRUE(cache_control.ends_with(", public, no-transform, must-revalidate")) << head;
  // max-age runs to the answer's nextUpdate, two hours after its thisUpdate.
  const long max_age = std::stol(cache_control.substr(8));
  EXPECT_GT(max_age, 7000) << head;
  EXPECT_LE(max_age, 7200) << head;
  EXPECT_FALSE(HeaderValue(head, "Expires").empty()) << head;
  EXPECT_FALSE(HeaderValue(head, "Last-Modified").empty()) << head;
  EXPECT_FALSE(HeaderValue(head, "Date").empty()) << head;

  // A cache revalidating what it holds gets 304 and no body; anything else the answer.
  auto same = Curl({"-D", "-", "-o", Stem("none.resp"), "-H", "If-None-Match: " + etag, Url(path)});
  EXPECT_EQ(same.out.rfind("HTTP/1.1 304", 0), 0u) << same.out;
  EXPECT_EQ(HeaderValue(same.out, "ETag"), etag) << same.out;
  EXPECT_EQ(ReadFile(Stem("none.resp")), "");
  auto stale = Curl({"-w", "%{http_code}", "-o", Stem("stale.resp"), "-H", "If-None-Match: \"old\"", Url(path)});
  EXPECT_EQ(stale.out, "200");
  EXPECT_EQ(ReadFile(Stem("stale.resp")), ReadFile(Stem("cached.resp")));
}

TEST_F(CaServeTest, BundlesToTheRootsOfCaBundleLikeCfsslServe) {
  StartServer("-", {"-ca-bundle", Stem("ca.pem")});
  auto issued = PostJson("newcert", R"({"request": {"CN": "svc", "hosts": ["svc.example.com"]}, "profile": "client"})");
  ASSERT_TRUE(issued["success"].get<bool>()) << issued.dump();
  const std::string cert = issued["result"]["certificate"].get<std::string>();
  const std::string key = issued["result"]["private_key"].get<std::string>();
  auto bundled = PostJson("bundle", nlohmann::json{{"certificate", cert}, {"private_key", key},
                                                   {"domain", "svc.example.com"}}.dump());
  ASSERT_TRUE(bundled["success"].get<bool>()) << bundled.dump();
  const auto& result = bundled["result"];
  EXPECT_EQ(result["root"].get<std::string>(), ReadFile(Stem("ca.pem")));
  EXPECT_EQ(result["key"], "") << "a private key is never sent back";
  EXPECT_EQ(result["hostnames"], nlohmann::json({"svc.example.com"}));
  const std::string chain = Write("bundle.pem", result["bundle"].get<std::string>());
  auto verify = Openssl({"verify", "-CAfile", Stem("ca.pem"), chain});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // A key of another certificate, a name the certificate does not carry.
  auto other = PostJson("newkey", R"({"CN": "other", "key": {"algo": "ecdsa", "size": 256}})");
  auto mismatch = PostJson("bundle", nlohmann::json{{"certificate", cert},
                                                    {"private_key", other["result"]["private_key"]}}.dump());
  EXPECT_EQ(mismatch["errors"][0]["code"], 2300) << mismatch.dump();
  auto wrong_host = PostJson("bundle", nlohmann::json{{"certificate", cert}, {"domain", "evil.example.net"}}.dump());
  EXPECT_EQ(wrong_host["errors"][0]["code"], 1200) << wrong_host.dump();
  EXPECT_NE(wrong_host["errors"][0]["message"].get<std::string>().find("evil.example.net"), std::string::npos);

  // By domain alone: the certificate `openssl s_server` presents, checked against the host name.
  const int port = FreePort();
  const pid_t tls = SpawnProcess({"timeout", "60", "openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                                  "-cert", Write("svc.pem", cert), "-key", Write("svc-key.pem", key), "-www"});
  ASSERT_GT(tls, 0);
  ASSERT_TRUE(WaitForListener(port, std::chrono::seconds(20)));
  const std::string address = "127.0.0.1:" + std::to_string(port);
  auto by_ip = PostJson("bundle", nlohmann::json{{"domain", "svc.example.com"}, {"ip", address}}.dump());
  auto by_domain = PostJson("bundle", nlohmann::json{{"domain", address}}.dump());
  TerminateProcess(tls, std::chrono::seconds(10));
  ASSERT_TRUE(by_ip["success"].get<bool>()) << by_ip.dump();
  EXPECT_EQ(by_ip["result"]["crt"].get<std::string>(), cert);
  // The certificate names svc.example.com, not 127.0.0.1.
  EXPECT_EQ(by_domain["errors"][0]["code"], 1200) << by_domain.dump();
}

TEST_F(CaServeTest, BundleWithoutCaBundleSaysWhatIsMissing) {
  StartServer();
  auto r = PostJson("bundle", R"({"certificate": "x"})");
  EXPECT_EQ(r["errors"][0]["code"], 404) << r.dump();
  EXPECT_NE(r["errors"][0]["message"].get<std::string>().find("-ca-bundle"), std::string::npos) << r.dump();
}

TEST_F(CaServeTest, ServesTheApiOverMutualTls) {
  // Server and client certificates from the CA itself.
  for (const std::string name : {"tls-server", "tls-client"}) {
    Write(name + ".json", R"({"CN": ")" + name + R"(", "hosts": ["127.0.0.1", "localhost"]})");
    auto r = Tp({"ca", "gencert", "--ca", Stem("ca.pem"), "--ca-key", Stem("ca-key.pem"), Stem(name + ".json"),
                 "--bare", Stem(name)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  StartServer("-", {"-tls-cert", Stem("tls-server.pem"), "-tls-key", Stem("tls-server-key.pem"), "-mutual-tls-ca",
                    Stem("ca.pem")});
  const std::string url = "https://127.0.0.1:" + std::to_string(port_) + "/api/v1/cfssl/info";
  auto with_cert = Curl({"--cacert", Stem("ca.pem"), "--cert", Stem("tls-client.pem"), "--key",
                         Stem("tls-client-key.pem"), "--data-binary", "{}", url});
  ASSERT_EQ(with_cert.exit_code, 0) << with_cert.err;
  auto info = nlohmann::json::parse(with_cert.out);
  EXPECT_EQ(info["result"]["certificate"], ReadFile(Stem("ca.pem"))) << with_cert.out;
  EXPECT_NE(Curl({"--cacert", Stem("ca.pem"), "--data-binary", "{}", url}).exit_code, 0);
  EXPECT_EQ(Curl({"--data-binary", "{}", Url("/api/v1/cfssl/info")}).out.find("\"success\":true"), std::string::npos);
}

TEST_F(CaServeTest, DebiansCfsslClientGetsCertificatesRemotelyAndWithAuthRemote) {
  if (!HaveProgram("cfssl")) GTEST_SKIP() << "cfssl is not installed (Debian package golang-cfssl)";
  StartServer("-");
  const std::string remote = "localhost:" + std::to_string(port_);  // the old client mis-parses IP:PORT
  auto plain = Cfssl({"gencert", "-remote", remote, "-profile", "client", Stem("csr.json")});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const std::string leaf = CertFromCfsslJson(plain.out, "remote-leaf.pem");
  EXPECT_EQ(Openssl({"verify", "-CAfile", Stem("ca.pem"), leaf}).exit_code, 0);
  auto subject = Openssl({"x509", "-in", leaf, "-noout", "-subject", "-ext", "extendedKeyUsage"});
  EXPECT_NE(subject.out.find("svc-remote"), std::string::npos) << subject.out;
  EXPECT_NE(subject.out.find("Client Authentication"), std::string::npos) << subject.out;

  auto client_config = [&](const std::string& key) {
    const std::string auth = R"({"auth_remote": {"remote": "ca", "auth_key": "key1"}})";
    return R"({"signing": {"default": )" + auth + R"(, "profiles": {"authed": )" + auth + R"(}},
               "auth_keys": {"key1": {"type": "standard", "key": ")" + key + R"("}},
               "remotes": {"ca": ")" + remote + R"("}})";
  };
  Write("client.json", client_config(kAuthKey));
  auto authed = Cfssl({"gencert", "-config", Stem("client.json"), "-profile", "authed", Stem("csr.json")});
  ASSERT_EQ(authed.exit_code, 0) << authed.err;
  EXPECT_EQ(Openssl({"verify", "-CAfile", Stem("ca.pem"), CertFromCfsslJson(authed.out, "auth-leaf.pem")}).exit_code, 0);

  Write("wrong.json", client_config("00000000000000000000000000000000"));
  auto wrong = Cfssl({"gencert", "-config", Stem("wrong.json"), "-profile", "authed", Stem("csr.json")});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("invalid token"), std::string::npos) << wrong.err;

  // Without a token the authed profile is refused on the plain path too.
  auto unauthenticated = Cfssl({"gencert", "-remote", remote, "-profile", "authed", Stem("csr.json")});
  EXPECT_NE(unauthenticated.exit_code, 0);
  EXPECT_NE(unauthenticated.err.find("authentication required"), std::string::npos) << unauthenticated.err;
}

TEST_F(CaServeTest, OcspSignWithAnAuthTokenAndCertinfoOfALocalTlsServer) {
  StartServer("-");
  auto issued = PostJson("newcert", R"({"request": {"CN": "nc-peer", "hosts": ["127.0.0.1"]}, "profile": "client"})");
  ASSERT_TRUE(issued["success"].get<bool>()) << issued.dump();
  const std::string leaf = Write("peer.pem", issued["result"]["certificate"].get<std::string>());
  const std::string leaf_key = Write("peer-key.pem", issued["result"]["private_key"].get<std::string>());

  // ocspsign signs with the responder key: the config has auth keys, so it takes authsign's envelope.
  const std::string request =
      nlohmann::json{{"certificate", ReadFile(leaf)}, {"status", "revoked"}, {"reason", 4}}.dump();
  auto unauthenticated = PostJson("ocspsign", request);
  EXPECT_NE(unauthenticated["errors"][0]["message"].get<std::string>().find("authentication required"),
            std::string::npos)
      << unauthenticated.dump();
  // cfssl's "standard" token, HMAC-SHA256 over the request bytes, made by openssl as a client would.
  auto token = Openssl({"dgst", "-sha256", "-mac", "HMAC", "-macopt", std::string("hexkey:") + kAuthKey, "-binary"},
                       request);
  ASSERT_EQ(token.exit_code, 0) << token.err;
  auto signed_env = PostJson(
      "ocspsign", nlohmann::json{{"token", Base64Encode(token.out)}, {"request", Base64Encode(request)}}.dump());
  ASSERT_TRUE(signed_env["success"].get<bool>()) << signed_env.dump();
  Write("ocspsign.der", *Base64Decode(signed_env["result"]["ocspResponse"].get<std::string>()));
  auto status = Openssl({"ocsp", "-respin", Stem("ocspsign.der"), "-issuer", Stem("ca.pem"), "-cert", leaf, "-CAfile",
                         Stem("ca.pem"), "-no_nonce"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find(leaf + ": revoked"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("superseded"), std::string::npos) << status.out;

  // certinfo by domain: the leaf that `openssl s_server` (bounded by timeout) presents.
  const int port = FreePort();
  const pid_t tls = SpawnProcess({"timeout", "60", "openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                                  "-cert", leaf, "-key", leaf_key, "-www"});
  ASSERT_GT(tls, 0);
  ASSERT_TRUE(WaitForListener(port, std::chrono::seconds(20)));
  auto info = PostJson("certinfo", nlohmann::json{{"domain", "127.0.0.1:" + std::to_string(port)}}.dump());
  TerminateProcess(tls, std::chrono::seconds(10));
  ASSERT_TRUE(info["success"].get<bool>()) << info.dump();
  EXPECT_EQ(info["result"]["subject"]["common_name"], "nc-peer");
  EXPECT_EQ(info["result"]["pem"], ReadFile(leaf));
  auto gone = PostJson("certinfo", nlohmann::json{{"domain", "127.0.0.1:" + std::to_string(port)}}.dump());
  EXPECT_EQ(gone["errors"][0]["code"], 6000) << gone.dump();
}

TEST_F(CaServeTest, CaInitWritesNameConstraintsAndGencertKeepsLeavesInside) {
  Write("nc-root.json", R"({"CN": "NC Root", "ca": {"expiry": "87600h",
      "name_constraints": {"permitted": {"dns": ["example.com"], "ip": ["10.0.0.0/8"]}}}})");
  auto root = Tp({"ca", "init", Stem("nc-root.json"), "--bare", Stem("nc-root")});
  ASSERT_EQ(root.exit_code, 0) << root.err;
  Write("nc-ica.json", R"({"CN": "NC Intermediate", "ca": {"expiry": "8760h",
      "name_constraints": {"permitted": {"dns": ["svc.example.com"]}, "excluded": {"ip": ["10.9.0.0/16"]}}}})");
  auto ica = Tp({"ca", "init", Stem("nc-ica.json"), "--ca", Stem("nc-root.pem"), "--ca-key", Stem("nc-root-key.pem"),
                 "--bare", Stem("nc-ica")});
  ASSERT_EQ(ica.exit_code, 0) << ica.err;
  auto text = Openssl({"x509", "-in", Stem("nc-ica.pem"), "-noout", "-text"});
  EXPECT_NE(text.out.find("X509v3 Name Constraints: critical"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("DNS:svc.example.com"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("IP:10.9.0.0/255.255.0.0"), std::string::npos) << text.out;

  Write("inside.json", R"({"CN": "api", "hosts": ["api.svc.example.com", "10.1.0.1"]})");
  auto inside = Tp({"ca", "gencert", "--ca", Stem("nc-ica.pem"), "--ca-key", Stem("nc-ica-key.pem"),
                    Stem("inside.json"), "--bare", Stem("inside")});
  ASSERT_EQ(inside.exit_code, 0) << inside.err;
  Write("chain.pem", ReadFile(Stem("nc-ica.pem")));
  auto verify = Openssl({"verify", "-CAfile", Stem("nc-root.pem"), "-untrusted", Stem("chain.pem"),
                         Stem("inside.pem")});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  Write("outside.json", R"({"CN": "api", "hosts": ["api.example.net"]})");
  auto outside = Tp({"ca", "gencert", "--ca", Stem("nc-ica.pem"), "--ca-key", Stem("nc-ica-key.pem"),
                     Stem("outside.json"), "--bare", Stem("outside")});
  EXPECT_EQ(outside.exit_code, 5) << outside.err;  // policy refusal
  EXPECT_NE(outside.err.find("lint name-constraints-violated: DNS name 'api.example.net' is outside permitted dns "
                             "[svc.example.com]"),
            std::string::npos)
      << outside.err;

  Write("bad-nc.json", R"({"CN": "Bad", "ca": {"name_constraints": {"permitted": {"ip": ["10.0.0.0/40"]}}}})");
  auto bad = Tp({"ca", "init", Stem("bad-nc.json"), "--bare", Stem("bad")});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("ca.name_constraints.permitted.ip[0]: '10.0.0.0/40'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace trustplane::testing
