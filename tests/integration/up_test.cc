// `trustplane up`, the README's first command: a running system whose printed
// curl command goes through the gateway, and a second start that reuses the state.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli_fixture.h"
#include "support/local_ports.h"

namespace trustplane::testing {
namespace {

class UpTest : public CliTest {
 protected:
  // Starts `up` with its output in a file; returns its pid once it printed the curl line.
  pid_t Start(const std::string& out) {
    const std::string cmd = "exec " + std::string(TRUSTPLANE_BIN) + " --home " + dir().Join("uphome") +
                            " up --gateway-port " + std::to_string(gw_) + " --ca-port " + std::to_string(ca_) +
                            " --backend-port " + std::to_string(backend_) + " --api-port " + std::to_string(api_) +
                            " > " + out + " 2>&1";
    pid_t pid = SpawnProcess({"sh", "-c", cmd});
    for (int i = 0; i < 300 && ReadFile(out).find("curl ") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return pid;
  }
  std::string CurlLine(const std::string& out) {
    const std::string text = ReadFile(out);
    const size_t at = text.find("curl ");
    return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
  }
  int gw_ = FreePort(), ca_ = FreePort(), backend_ = FreePort(), api_ = FreePort();
};

TEST_F(UpTest, PrintedCurlCommandGoesThroughTheGatewayAndASecondStartReusesTheState) {
  const std::string out1 = dir().Join("up1.out");
  pid_t pid = Start(out1);
  const std::string curl = CurlLine(out1);
  ASSERT_FALSE(curl.empty()) << ReadFile(out1);
  EXPECT_NE(ReadFile(out1).find("new home"), std::string::npos);
  auto r = RunProcess({"sh", "-c", "timeout 20 " + curl + " --silent --show-error"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"x-client-cert-chain-verified\": \"true\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"path\": \"/hello\""), std::string::npos) << r.out;
  // The CA answers too.
  auto info = RunProcess({"curl", "--silent", "--max-time", "10", "-d", "{}",
                          "http://127.0.0.1:" + std::to_string(ca_) + "/api/v1/cfssl/info"});
  EXPECT_NE(info.out.find("\"success\":true"), std::string::npos) << info.out;
  // So does the control-plane API.
  auto health = RunProcess({"curl", "--silent", "--max-time", "10",
                            "http://127.0.0.1:" + std::to_string(api_) + "/api/v1/health"});
  EXPECT_EQ(health.exit_code, 0) << health.err;
  kill(pid, SIGTERM);
  auto stopped = WaitProcess(pid);
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_NE(ReadFile(out1).find("stopped"), std::string::npos);

  const std::string out2 = dir().Join("up2.out");
  pid = Start(out2);
  EXPECT_EQ(CurlLine(out2), curl);
  EXPECT_EQ(ReadFile(out2).find("new home"), std::string::npos) << ReadFile(out2);
  r = RunProcess({"sh", "-c", "timeout 20 " + curl + " --silent --show-error"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  kill(pid, SIGTERM);
  EXPECT_EQ(WaitProcess(pid).exit_code, 0);
  // The demo tenant's CA was onboarded once, and the audit trail still verifies.
  auto verify = RunProcess({TRUSTPLANE_BIN, "--home", dir().Join("uphome"), "audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

}  // namespace
}  // namespace trustplane::testing
