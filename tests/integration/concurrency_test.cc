// Many processes onboarding at once, and processes killed mid-onboarding.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "cli_fixture.h"

namespace trustplane::testing {
namespace {

class ConcurrencyTest : public CliTest {
 protected:
  std::vector<std::string> TpArgv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {TRUSTPLANE_BIN, "--home", home()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
};

TEST_F(ConcurrencyTest, TwentyTenantsFromEightProcessesSharingCas) {
  // Six CA hierarchies; tenants share them (two commercial CAs are used by many).
  std::vector<Issued> roots, inters;
  for (int i = 0; i < 6; ++i) {
    roots.push_back(MakeRootCa("shared root " + std::to_string(i)));
    inters.push_back(MakeIntermediateCa("shared issuing " + std::to_string(i), roots.back()));
  }
  std::map<std::string, std::set<std::string>> expected_claims;  // fp -> tenants
  std::vector<std::vector<std::string>> jobs;
  for (int t = 0; t < 20; ++t) {
    const std::string tenant = "tenant-" + std::to_string(t);
    int a = t % 6, b = (t * 5 + 1) % 6;
    std::string bundle = inters[a].cert_pem + roots[a].cert_pem + roots[b].cert_pem;
    for (const Issued* c : {&inters[a], &roots[a], &roots[b]}) {
      expected_claims[c->cert.sha256_hex()].insert(tenant);
    }
    jobs.push_back(TpArgv({"trust", "add", "--tenant", tenant, Write(tenant + ".pem", bundle)}));
  }

  // Eight at a time.
  std::vector<pid_t> running;
  for (const auto& job : jobs) {
    if (running.size() == 8) {
      EXPECT_EQ(WaitProcess(running.front()).exit_code, 0);
      running.erase(running.begin());
    }
    running.push_back(SpawnProcess(job, {{"TRUSTPLANE_ACTOR", "test:concurrent"}}));
  }
  for (pid_t pid : running) EXPECT_EQ(WaitProcess(pid).exit_code, 0);

  auto list = TpJson({"trust", "list"});
  ASSERT_EQ(list.size(), expected_claims.size()) << list.dump(1);
  for (const auto& r : list) {
    std::set<std::string> tenants;
    for (const auto& t : r["tenants"]) tenants.insert(t.get<std::string>());
    EXPECT_EQ(tenants, expected_claims[r["sha256"].get<std::string>()]) << r.dump();
  }

  // Exactly one "added" event per CA, and the chain verifies.
  std::map<std::string, int> added;
  for (const auto& e : AuditEvents()) {
    if (e["action"] == "trust.add" && e["result"] == "added") {
      for (const auto& fp : e["fingerprints"]) ++added[fp.get<std::string>()];
    }
  }
  EXPECT_EQ(added.size(), expected_claims.size());
  for (const auto& [fp, n] : added) EXPECT_EQ(n, 1) << fp;
  auto verify = Tp({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // The export reads back to the same set in a fresh home.
  auto exported = Tp({"trust", "export", "-o", dir().Join("tc.yaml")});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const std::string home2 = dir().Join("home2");
  ASSERT_EQ(RunProcess({TRUSTPLANE_BIN, "--home", home2, "init"}).exit_code, 0);
  auto imported = RunProcess({TRUSTPLANE_BIN, "--home", home2, "trust", "import", dir().Join("tc.yaml")});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  auto again = RunProcess({TRUSTPLANE_BIN, "--home", home2, "--output", "json", "trust", "list"});
  std::set<std::string> a, b;
  for (const auto& r : list) a.insert(r["kind"].get<std::string>() + r["sha256"].get<std::string>());
  for (const auto& r : nlohmann::json::parse(again.out)) {
    b.insert(r["kind"].get<std::string>() + r["sha256"].get<std::string>());
  }
  EXPECT_EQ(a, b);
}

TEST_F(ConcurrencyTest, SigkillAtRandomPointsLeavesAVerifiableAuditAndParseableStore) {
  const uint32_t seed = static_cast<uint32_t>(time(nullptr));
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto bundle_of = [&](const std::string& tag) {
    std::string bundle;
    for (int k = 0; k < 30; ++k) {
      CertSpec spec;
      spec.cn = "crash " + tag + "/" + std::to_string(k);
      spec.is_ca = true;
      bundle += MakeSelfSigned(spec).cert_pem;
    }
    return Write("crash-" + tag + ".pem", bundle);
  };
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "t0", bundle_of("warmup")}).exit_code, 0);
  // How long one onboarding takes here, so the kills land inside it: the
  // fastest of three after the first (which also creates the store), bundles
  // made beforehand. One slow calibration run on a noisy machine made the
  // kills come too late, after most processes had finished.
  int run_us = std::numeric_limits<int>::max();
  for (int k = 0; k < 3; ++k) {
    const std::string bundle = bundle_of("calibration" + std::to_string(k));
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(Tp({"trust", "add", "--tenant", "t0", bundle}).exit_code, 0);
    run_us = std::min(run_us, static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                   std::chrono::steady_clock::now() - start)
                                                   .count()));
  }
  // Kill until 50 processes died mid-run (some finish first on a fast machine), bounded.
  int killed = 0;
  for (int i = 0; killed < 50 && i < 300; ++i) {
    // Each request also claims the warm-up bundle's CAs for a tenant, so claims get interrupted too.
    std::vector<std::string> args = {"trust", "add", "--tenant", "t" + std::to_string(1 + i % 3),
                                     bundle_of(std::to_string(i)), dir().Join("files/crash-warmup.pem")};
    pid_t pid = SpawnProcess(TpArgv(args), {{"TRUSTPLANE_ACTOR", "test:crash"}});
    usleep(std::uniform_int_distribution<int>(0, run_us * 2 / 3)(rng));
    kill(pid, SIGKILL);
    auto r = WaitProcess(pid);
    if (r.signal == SIGKILL) {
      ++killed;
    } else {
      run_us = std::max(1000, run_us * 3 / 4);  // it finished first: runs got faster, aim earlier
    }
  }
  EXPECT_GE(killed, 50);

  auto verify = Tp({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // Every stored CA must still parse: `trust show` on a random sample of them
  // (all of them would be hundreds of processes).
  auto list = TpJson({"trust", "list"});
  std::vector<std::string> stored;
  for (const auto& r : list) stored.push_back(r["sha256"].get<std::string>());
  std::shuffle(stored.begin(), stored.end(), rng);
  stored.resize(std::min<size_t>(stored.size(), 25));
  for (const auto& sha256 : stored) {
    auto show = Tp({"trust", "show", sha256});
    EXPECT_EQ(show.exit_code, 0) << sha256 << ": " << show.err;
  }
  // The next command settles every interrupted change; afterwards nothing is pending.
  ASSERT_EQ(Tp({"trust", "gc", "--dry-run"}).exit_code, 0);
  auto settled = TpJson({"audit", "verify"});
  EXPECT_EQ(settled["ok"], true) << settled.dump();
  EXPECT_EQ(settled["pending_intents"], 0) << settled.dump();
}

}  // namespace
}  // namespace trustplane::testing
