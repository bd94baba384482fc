// Envelope encryption as a user sees it: no certificate in the clear in the
// bucket, objects that open only at their own name and environment, and a
// KEK rotation that survives SIGKILL and a rerun, on a key file and on a
// SoftHSM2 token.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "cli_fixture.h"

namespace trustplane::testing {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path().string());
  }
  return out;
}

class KeysTest : public CliTest {
 protected:
  // A home of its own, made with `init` plus `extra`, and the environment its commands need.
  void InitHome(const std::vector<std::string>& extra, std::map<std::string, std::string> env = {}) {
    home_ = dir().Join("keyhome");
    env_ = std::move(env);
    env_["TRUSTPLANE_ACTOR"] = "test:keys";
    std::vector<std::string> args = {"init"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = Run(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {TRUSTPLANE_BIN, "--home", home_};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  ProcessResult Run(const std::vector<std::string>& args) const { return RunProcess(Argv(args), env_); }
  nlohmann::json RunJson(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--output", "json"});
    auto r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  // Objects per KEK version, from `keys list`.
  std::map<int, int> VersionsInUse() const {
    std::map<int, int> out;
    const nlohmann::json list = RunJson({"keys", "list"});
    for (const auto& v : list["versions"]) {
      if (v["objects"].get<int>() > 0) out[v["version"].get<int>()] = v["objects"].get<int>();
    }
    return out;
  }

  // SIGKILLs `keys rotate` until one dies with the objects split between
  // two KEK versions, then reruns it: the rerun finishes that rotation.
  void RotateThroughAKill(int objects) {
    const std::string before = Run({"trust", "export"}).out;
    std::mt19937 rng(7);
    auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(Run({"keys", "rotate"}).exit_code, 0);  // a full run, to learn how long one takes
    const int run_us = static_cast<int>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
    bool split = false;
    for (int attempt = 0; attempt < 40 && !split; ++attempt) {
      pid_t pid = SpawnProcess(Argv({"keys", "rotate"}), env_);
      usleep(std::uniform_int_distribution<int>(run_us / 4, run_us * 3 / 4)(rng));
      kill(pid, SIGKILL);
      WaitProcess(pid);
      split = VersionsInUse().size() > 1;
    }
    ASSERT_TRUE(split) << "no kill landed inside a rotation";
    auto rerun = Run({"keys", "rotate"});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_NE(rerun.out.find("finished the interrupted rotation"), std::string::npos) << rerun.out;
    auto in_use = VersionsInUse();
    ASSERT_EQ(in_use.size(), 1u);
    EXPECT_EQ(in_use.begin()->second, objects);
    EXPECT_EQ(Run({"trust", "export"}).out, before) << "every certificate still opens";
    EXPECT_EQ(Run({"audit", "verify"}).exit_code, 0);
    // The older versions wrap nothing any more and can be retired; the current one cannot.
    const nlohmann::json list = RunJson({"keys", "list"});
    for (const auto& v : list["versions"]) {
      const int version = v["version"].get<int>();
      auto retire = Run({"keys", "retire", std::to_string(version)});
      EXPECT_EQ(retire.exit_code, version == in_use.begin()->first ? 4 : 0) << retire.err;
    }
    EXPECT_EQ(Run({"trust", "export"}).out, before);
  }

  // Onboards `count` CAs and publishes; returns the number of encrypted objects.
  int Onboard(int count) {
    std::string bundle;
    for (int i = 0; i < count; ++i) {
      CertSpec spec;
      spec.cn = "keys test ca " + std::to_string(i);
      spec.is_ca = true;
      bundle += MakeSelfSigned(spec).cert_pem;
    }
    EXPECT_EQ(Run({"trust", "add", "--tenant", "acme", Write("cas.pem", bundle)}).exit_code, 0);
    EXPECT_EQ(Run({"trust", "publish"}).exit_code, 0);
    return count + 3;  // the current trust config, its history entry and its tenant claims
  }

  std::string home_;
  std::map<std::string, std::string> env_;
};

TEST_F(KeysTest, BucketHoldsNoCertificateAndObjectsOpenOnlyAtTheirNameAndEnvironment) {
  InitHome({});
  EXPECT_EQ(fs::status(home_ + "/kek.keys").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  Issued a = MakeRootCa("Envelope Root A"), b = MakeRootCa("Envelope Root B");
  ASSERT_EQ(Run({"trust", "add", WritePem("a.pem", a), WritePem("b.pem", b)}).exit_code, 0);
  ASSERT_EQ(Run({"trust", "publish"}).exit_code, 0);
  const std::string der_a = DerOf(a);
  for (const auto& file : FilesUnder(home_ + "/bucket")) {
    const std::string bytes = ReadFile(file);
    EXPECT_EQ(bytes.find("BEGIN CERTIFICATE"), std::string::npos) << file;
    EXPECT_EQ(bytes.find(der_a.substr(0, 64)), std::string::npos) << file;
    EXPECT_EQ(bytes.find(a.cert_pem.substr(28, 60)), std::string::npos) << file;
  }
  EXPECT_EQ(Run({"trust", "show", a.cert.sha256_hex()}).exit_code, 0);

  // Another environment sharing bucket and key: refused, naming the environment.
  std::string config = ReadFile(home_ + "/config.yaml");
  config.replace(config.find("environment: default"), 20, "environment: staging");
  config.replace(config.find("bucket: bucket"), 14, "bucket: " + home_ + "/bucket");
  config.replace(config.find("kek: \"file:kek.keys\""), 20, "kek: \"file:" + home_ + "/kek.keys\"");
  fs::create_directories(dir().Join("staging"));
  WriteFile(dir().Join("staging/config.yaml"), config);
  auto other = RunProcess({TRUSTPLANE_BIN, "--home", dir().Join("staging"), "trust", "show", a.cert.sha256_hex()});
  EXPECT_EQ(other.exit_code, 5) << other.err;
  EXPECT_NE(other.err.find("staging"), std::string::npos) << other.err;

  // B's object copied over A's name does not open as A.
  auto path_of = [&](const Issued& c) {
    for (const auto& f : FilesUnder(home_ + "/bucket/objects")) {
      if (f.find(c.cert.sha256_hex()) != std::string::npos) return f;
    }
    return std::string();
  };
  fs::copy_file(path_of(b), path_of(a), fs::copy_options::overwrite_existing);
  auto swapped = Run({"trust", "show", a.cert.sha256_hex()});
  EXPECT_EQ(swapped.exit_code, 5) << swapped.err;
  EXPECT_NE(swapped.err.find("bound to path"), std::string::npos) << swapped.err;
}

TEST_F(KeysTest, KeyFileRotationSurvivesSigkillAndRerun) {
  InitHome({});
  RotateThroughAKill(Onboard(180));
}

TEST_F(KeysTest, SoftHsmRotationSurvivesSigkillAndRerun) {
  const std::string token_dir = dir().Join("softhsm");
  auto token = RunProcess({std::string(TRUSTPLANE_SOURCE_DIR) + "/scripts/softhsm-test-token.sh", token_dir,
                           "tp-keys", "4321"});
  ASSERT_EQ(token.exit_code, 0) << token.out << token.err;
  // The script prints `export SOFTHSM2_CONF=...` and the KEK's URI.
  const std::string conf = token.out.substr(token.out.find("SOFTHSM2_CONF=") + 14);
  const std::string uri = token.out.substr(token.out.find("pkcs11:"));
  InitHome({"--kek", uri.substr(0, uri.find('\n'))}, {{"SOFTHSM2_CONF", conf.substr(0, conf.find('\n'))}});
  EXPECT_FALSE(fs::exists(home_ + "/kek.keys"));
  EXPECT_EQ(RunJson({"keys", "list"})["provider"], "pkcs11");
  RotateThroughAKill(Onboard(120));
}

}  // namespace
}  // namespace trustplane::testing
