// HttpServer driven by the real curl: routing of request parts, keep-alive,
// limits, TLS and mTLS, and a graceful stop.
#include "trustplane/net/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <regex>
#include <thread>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"

namespace trustplane::net {
namespace {

using testing::ProcessResult;
using testing::RunProcess;

std::string Url(const HttpServer& s, const std::string& path, bool tls = false) {
  return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(s.port()) + path;
}

ProcessResult Curl(std::vector<std::string> args) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "20"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

std::unique_ptr<HttpServer> StartOrDie(HttpServerOptions o, HttpHandler h) {
  auto s = HttpServer::Start(std::move(o), std::move(h));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

HttpResponse Echo(const HttpRequest& r) {
  HttpResponse out;
  out.content_type = "text/plain";
  out.body = r.method + " " + std::string(r.path()) + " q=" + std::string(r.query()) +
             " x=" + std::string(r.header("X-Test")) + " body=" + r.body;
  out.headers.emplace_back("X-Served-By", "test");
  return out;
}

TEST(HttpServerTest, PassesMethodPathQueryHeadersAndBodyToTheHandler) {
  HttpServerOptions o;
  o.threads = 2;
  auto s = StartOrDie(o, Echo);
  ASSERT_TRUE(s);
  ASSERT_NE(s->port(), 0);
  auto r = Curl({"-i", "-H", "X-Test: hello", "--data-binary", "payload", Url(*s, "/a/b?x=1&y=2")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("X-Served-By: test"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("POST /a/b q=x=1&y=2 x=hello body=payload"), std::string::npos) << r.out;
  // RFC 9110 6.6.1: an origin server with a clock says when it answered.
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(\r\nDate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n)")))
      << r.out;
}

TEST(HttpServerTest, KeepsConnectionsAlive) {
  std::mutex mu;
  std::vector<std::string> remotes;
  auto s = StartOrDie({}, [&](const HttpRequest& r) {
    std::lock_guard lock(mu);
    remotes.push_back(r.remote_address);
    return HttpResponse{200, "text/plain", "ok", {}};
  });
  ASSERT_TRUE(s);
  auto r = Curl({Url(*s, "/1"), Url(*s, "/2"), Url(*s, "/3")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(remotes.size(), 3u);
  // One client port for all three: the connection was reused.
  EXPECT_EQ(remotes[0], remotes[1]);
  EXPECT_EQ(remotes[1], remotes[2]);
  EXPECT_EQ(remotes[0].rfind("127.0.0.1:", 0), 0u) << remotes[0];
}

TEST(HttpServerTest, AnAsyncHandlerAnswersLaterWithoutHoldingTheIoThread) {
  HttpServerOptions o;
  o.threads = 1;
  std::mutex mu;
  std::vector<std::thread> answerers;
  std::promise<void> slow_arrived, fast_handled;
  std::shared_future<void> fast_done = fast_handled.get_future().share();
  auto started = HttpServer::StartAsync(o, [&](HttpRequest r, HttpResponder respond) {
    if (r.path() == "/fast") {
      respond(HttpResponse{200, "text/plain", "fast", {}});
      fast_handled.set_value();
      return;
    }
    // /slow is answered from another thread, once /fast has been handled on
    // the server's only io thread (or after 10 s if that never happens).
    std::lock_guard lock(mu);
    answerers.emplace_back([respond, fast_done] {
      const bool after = fast_done.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
      respond(HttpResponse{200, "text/plain", after ? "slow, after fast" : "slow, alone", {}});
    });
    slow_arrived.set_value();
  });
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  auto s = std::move(started).value();
  auto slow = std::async(std::launch::async, [&] { return Curl({Url(*s, "/slow")}); });
  ASSERT_EQ(slow_arrived.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  auto fast = Curl({Url(*s, "/fast")});
  EXPECT_EQ(fast.out, "fast");
  auto late = slow.get();
  ASSERT_EQ(late.exit_code, 0) << late.err;
  EXPECT_EQ(late.out, "slow, after fast");
  s->Stop();
  for (auto& t : answerers) t.join();
}

TEST(HttpServerTest, RefusesOversizedBodiesAndHeadersThroughTheErrorFormatter) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  o.max_header_bytes = 2048;
  o.error_formatter = [](int status, const std::string& message) {
    return HttpResponse{status,
                        "application/json",
                        "{\"status\":" + std::to_string(status) + ",\"m\":\"" + message + "\"}",
                        {}};
  };
  std::atomic<int> calls{0};
  auto s = StartOrDie(o, [&](const HttpRequest& r) {
    ++calls;
    return Echo(r);
  });
  ASSERT_TRUE(s);
  testing::TempDir dir;
  testing::WriteFile(dir.Join("big"), std::string(5000, 'a'));
  auto big = Curl({"-i", "--data-binary", "@" + dir.Join("big"), Url(*s, "/x")});
  ASSERT_EQ(big.exit_code, 0) << big.err;
  EXPECT_NE(big.out.find("HTTP/1.1 413"), std::string::npos) << big.out;
  EXPECT_NE(big.out.find("limit of 1000 bytes"), std::string::npos) << big.out;
  EXPECT_NE(big.out.find("application/json"), std::string::npos) << big.out;

  auto headers = Curl({"-i", "-H", "X-Big: " + std::string(4000, 'h'), Url(*s, "/x")});
  ASSERT_EQ(headers.exit_code, 0) << headers.err;
  EXPECT_NE(headers.out.find("HTTP/1.1 431"), std::string::npos) << headers.out;
  EXPECT_EQ(calls.load(), 0);

  // A body just under the limit is served.
  auto ok = Curl({"--data-binary", std::string(900, 'b'), Url(*s, "/x")});
  EXPECT_NE(ok.out.find("body=bbbb"), std::string::npos) << ok.out;
}

TEST(HttpServerTest, AnswersMalformedRequestsWith400AndHandlerExceptionsWith500) {
  auto s = StartOrDie({}, [](const HttpRequest& r) -> HttpResponse {
    if (r.path() == "/throw") throw std::runtime_error("boom");
    return Echo(r);
  });
  ASSERT_TRUE(s);
  auto thrown = Curl({"-i", Url(*s, "/throw")});
  EXPECT_NE(thrown.out.find("HTTP/1.1 500"), std::string::npos) << thrown.out;
  EXPECT_NE(thrown.out.find("boom"), std::string::npos) << thrown.out;
  // A request line that is not HTTP, through openssl-free raw TCP via curl's telnet.
  auto raw = RunProcess({"bash", "-c",
                         "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(s->port()) +
                             "; printf 'NOT A REQUEST\\r\\n\\r\\n' >&3; timeout 10 cat <&3"});
  EXPECT_NE(raw.out.find("HTTP/1.1 400"), std::string::npos) << raw.out << raw.err;
}

// A raw client that sends `request`, then reads until the server closes
// (exit 0) or 10 seconds pass (exit 124).
ProcessResult SendAndReadUntilClosed(const HttpServer& s, const std::string& request) {
  return RunProcess({"bash", "-c",
                     "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(s.port()) + "; printf '" + request +
                         "' >&3; timeout 10 cat <&3"});
}

TEST(HttpServerTest, ClosesConnectionsLeftIdleOrStalledMidRequest) {
  HttpServerOptions o;
  o.idle_timeout = std::chrono::milliseconds(300);
  o.io_timeout = std::chrono::milliseconds(300);
  auto s = StartOrDie(o, Echo);
  ASSERT_TRUE(s);
  // Answered, kept alive, then closed once idle for idle_timeout.
  ProcessResult idle = SendAndReadUntilClosed(*s, "GET /one HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n");
  EXPECT_EQ(idle.exit_code, 0) << "the idle connection was not closed\n" << idle.out << idle.err;
  EXPECT_NE(idle.out.find("HTTP/1.1 200"), std::string::npos) << idle.out;
  EXPECT_NE(idle.out.find("GET /one"), std::string::npos) << idle.out;
  // A body that stops arriving: closed after io_timeout, the handler never runs.
  ProcessResult stalled = SendAndReadUntilClosed(
      *s, "POST /two HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 100\\r\\n\\r\\nonly ten b");
  EXPECT_EQ(stalled.exit_code, 0) << "the stalled connection was not closed\n" << stalled.err;
  EXPECT_EQ(stalled.out, "");
  // The server is unharmed.
  EXPECT_NE(Curl({Url(*s, "/three")}).out.find("GET /three"), std::string::npos);
}

TEST(HttpServerTest, ReportsAPortInUseAsConflict) {
  auto s = StartOrDie({}, Echo);
  ASSERT_TRUE(s);
  HttpServerOptions o;
  o.port = s->port();
  auto second = HttpServer::Start(o, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kConflict) << second.status().ToString();
  auto bad = HttpServer::Start(HttpServerOptions{.address = "not-an-ip"}, Echo);
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
}

TEST(HttpServerTest, StopFinishesTheRequestInFlightAndRefusesNewOnes) {
  std::promise<void> entered;
  std::promise<void> release;
  auto release_future = release.get_future().share();
  std::atomic<bool> first{true};
  auto s = StartOrDie({}, [&](const HttpRequest& r) {
    if (first.exchange(false)) {
      entered.set_value();
      release_future.wait_for(std::chrono::seconds(20));
    }
    return Echo(r);
  });
  ASSERT_TRUE(s);
  const std::string url = Url(*s, "/slow");
  auto client = std::async(std::launch::async, [url] { return Curl({url}); });
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  auto stopper = std::async(std::launch::async, [&] { s->Stop(); });
  // Stop must wait for the handler rather than cut the connection.
  EXPECT_EQ(stopper.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  release.set_value();
  stopper.wait();
  auto r = client.get();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "GET /slow q= x= body=");
  auto refused = Curl({url});
  EXPECT_NE(refused.exit_code, 0);
}

testing::Issued ClientCert(const testing::Issued& ca) {
  testing::CertSpec spec;
  spec.cn = "client-a";
  spec.eku = {"clientAuth"};
  spec.fresh_key = true;  // distinct from the server's key
  return testing::MakeIssued(spec, ca);
}

class TlsTest : public ::testing::Test {
 protected:
  TlsTest()
      : ca_(testing::MakeRootCa("http test ca")),
        server_(testing::MakeLocalServerLeaf("localhost", ca_)),
        client_(ClientCert(ca_)) {
    testing::WriteFile(dir_.Join("ca.pem"), ca_.cert_pem);
    testing::WriteFile(dir_.Join("server.pem"), server_.cert_pem);
    testing::WriteFile(dir_.Join("server-key.pem"), server_.key_pem);
    testing::WriteFile(dir_.Join("client.pem"), client_.cert_pem);
    testing::WriteFile(dir_.Join("client-key.pem"), client_.key_pem);
  }
  testing::TempDir dir_;
  testing::Issued ca_, server_, client_;
};

TEST_F(TlsTest, ServesTls12AndUpOnly) {
  HttpServerOptions o;
  o.tls = TlsServerFiles{dir_.Join("server.pem"), dir_.Join("server-key.pem"), ""};
  auto s = StartOrDie(o, Echo);
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->tls());
  auto r = Curl({"--cacert", dir_.Join("ca.pem"), Url(*s, "/t", true)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "GET /t q= x= body=");
  auto old = RunProcess(
      {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(s->port()), "-tls1_1"}, {},
      "");
  EXPECT_NE(old.exit_code, 0);
  auto plain = Curl({Url(*s, "/t")});
  EXPECT_NE(plain.out, "GET /t q= x= body=");
}

// Bodies of several TLS records each way (a CRL or a bundle can be that big).
TEST_F(TlsTest, CarriesBodiesLargerThanOneTlsRecordBothWays) {
  HttpServerOptions o;
  o.tls = TlsServerFiles{dir_.Join("server.pem"), dir_.Join("server-key.pem"), ""};
  std::string big;
  for (int i = 0; big.size() < 100000; ++i) big += std::to_string(i) + "\n";
  auto s = StartOrDie(o, [&](const HttpRequest& r) {
    if (r.path() == "/small") return HttpResponse{200, "text/plain", r.body == big ? "same" : "differs", {}};
    return HttpResponse{200, "text/plain", r.body == big ? big : "request body differs", {}};
  });
  ASSERT_TRUE(s);
  testing::WriteFile(dir_.Join("big.txt"), big);
  auto up = Curl({"--cacert", dir_.Join("ca.pem"), "--data-binary", "@" + dir_.Join("big.txt"),
                 Url(*s, "/small", true)});
  EXPECT_EQ(up.out, "same") << up.err;
  auto r = Curl({"--cacert", dir_.Join("ca.pem"), "--data-binary", "@" + dir_.Join("big.txt"),
                 Url(*s, "/big", true)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), big.size());
  EXPECT_TRUE(r.out == big) << r.out.substr(0, 100);
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateAndReportsItsSubject) {
  HttpServerOptions o;
  o.tls = TlsServerFiles{dir_.Join("server.pem"), dir_.Join("server-key.pem"), dir_.Join("ca.pem")};
  auto s = StartOrDie(o, [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", "subject=" + r.client_subject, {}};
  });
  ASSERT_TRUE(s);
  auto without = Curl({"--cacert", dir_.Join("ca.pem"), Url(*s, "/", true)});
  EXPECT_NE(without.exit_code, 0);
  auto with = Curl({"--cacert", dir_.Join("ca.pem"), "--cert", dir_.Join("client.pem"), "--key",
                    dir_.Join("client-key.pem"), Url(*s, "/", true)});
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_EQ(with.out, "subject=CN=client-a");
}

TEST_F(TlsTest, RefusesAKeyThatDoesNotMatchTheCertificate) {
  HttpServerOptions o;
  o.tls = TlsServerFiles{dir_.Join("server.pem"), dir_.Join("client-key.pem"), ""};
  auto s = HttpServer::Start(o, Echo);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::kInvalidArgument);
  o.tls = TlsServerFiles{dir_.Join("missing.pem"), dir_.Join("server-key.pem"), ""};
  auto missing = HttpServer::Start(o, Echo);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing.pem"), std::string::npos);
}

}  // namespace
}  // namespace trustplane::net
