// Several processes on one bucket: racing conditional writes, and writers
// killed with SIGKILL at random moments.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "support/temp_dir.h"
#include "trustplane/store/fs_object_store.h"

namespace trustplane::store {
namespace {

namespace fs = std::filesystem;
using trustplane::testing::TempDir;

// Exit codes a child uses to report what went wrong (gtest cannot report from a child).
constexpr int kChildOpenFailed = 201;
constexpr int kChildUnexpectedError = 202;

// Forks children that all start their body at the same moment, to maximise contention.
class Children {
 public:
  Children() { EXPECT_EQ(pipe(gate_), 0); }
  ~Children() {
    for (pid_t pid : pids_) kill(pid, SIGKILL);
    for (pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }

  void Spawn(const std::function<int()>& body) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(gate_[1]);
      char c;
      while (read(gate_[0], &c, 1) < 0 && errno == EINTR) {
      }
      _exit(body());
    }
    pids_.push_back(pid);
  }

  // Starts every child and returns their exit codes in spawn order.
  std::vector<int> StartAndWait() {
    close(gate_[0]);
    close(gate_[1]);
    std::vector<int> codes;
    for (pid_t pid : pids_) {
      int status = 0;
      EXPECT_EQ(waitpid(pid, &status, 0), pid);
      codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    pids_.clear();
    return codes;
  }

 private:
  int gate_[2];
  std::vector<pid_t> pids_;
};

std::unique_ptr<FsObjectStore> OpenOrExit(const std::string& root) {
  auto store = FsObjectStore::Open(root);
  if (!store.ok()) _exit(kChildOpenFailed);
  return std::move(store).value();
}

TEST(FsObjectStoreProcessTest, RacingProcessesCreateEachNameExactlyOnce) {
  TempDir dir;
  const std::string root = dir.Join("bucket");
  constexpr int kProcesses = 8;
  constexpr int kNames = 50;
  Children children;
  for (int child = 0; child < kProcesses; ++child) {
    children.Spawn([&root, child] {
      auto store = OpenOrExit(root);
      std::vector<int> order(kNames);
      for (int i = 0; i < kNames; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(child));
      int wins = 0;
      for (int n : order) {
        auto r = store->PutIfAbsent({"race/" + std::to_string(n), std::to_string(child), {}});
        if (r.ok())
          ++wins;
        else if (!r.status().is(ErrorCode::kConflict))
          return kChildUnexpectedError;
      }
      return wins;
    });
  }
  const std::vector<int> wins = children.StartAndWait();

  auto store = FsObjectStore::Open(root);
  ASSERT_TRUE(store.ok());
  std::vector<int> objects_per_child(kProcesses, 0);
  for (int n = 0; n < kNames; ++n) {
    auto got = (*store)->Get("race/" + std::to_string(n));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    objects_per_child.at(std::stoi(got->data))++;
  }
  int total = 0;
  for (int child = 0; child < kProcesses; ++child) {
    ASSERT_LE(wins[child], kNames) << "child " << child << " failed with code " << wins[child];
    EXPECT_EQ(wins[child], objects_per_child[child]) << "child " << child;
    total += wins[child];
  }
  EXPECT_EQ(total, kNames);  // each name had exactly one winner
}

TEST(FsObjectStoreProcessTest, ConditionalIncrementsFromManyProcessesLoseNoUpdate) {
  TempDir dir;
  const std::string root = dir.Join("bucket");
  constexpr int kProcesses = 8;
  constexpr int kIncrements = 100;
  {
    auto store = FsObjectStore::Open(root);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutIfAbsent({"counter", "0", {}}).ok());
  }
  Children children;
  for (int child = 0; child < kProcesses; ++child) {
    children.Spawn([&root] {
      auto store = OpenOrExit(root);
      for (int i = 0; i < kIncrements; ++i) {
        while (true) {
          auto current = store->Get("counter");
          if (!current.ok()) return kChildUnexpectedError;
          const std::string next = std::to_string(std::stoll(current->data) + 1);
          auto put = store->PutIfGeneration({"counter", next, {}}, current->info.generation);
          if (put.ok()) {
            if (put->generation <= current->info.generation) return kChildUnexpectedError;
            break;
          }
          if (!put.status().is(ErrorCode::kConflict)) return kChildUnexpectedError;
        }
      }
      return 0;
    });
  }
  for (int code : children.StartAndWait()) EXPECT_EQ(code, 0);

  auto store = FsObjectStore::Open(root);
  ASSERT_TRUE(store.ok());
  auto counter = (*store)->Get("counter");
  ASSERT_TRUE(counter.ok());
  EXPECT_EQ(counter->data, std::to_string(kProcesses * kIncrements));
}

TEST(FsObjectStoreProcessTest, RacingBatchesCreateEachNameExactlyOnce) {
  TempDir dir;
  const std::string root = dir.Join("bucket");
  constexpr int kProcesses = 4;
  constexpr int kNames = 200;  // a child's win count must fit its exit code
  Children children;
  for (int child = 0; child < kProcesses; ++child) {
    children.Spawn([&root, child] {
      auto store = OpenOrExit(root);
      std::vector<NewObject> batch;
      for (int i = 0; i < kNames; ++i) {
        const int n = (i + child * kNames / kProcesses) % kNames;  // each starts elsewhere
        batch.push_back({"batch/" + std::to_string(n % 4) + "/" + std::to_string(n),
                         std::to_string(child),
                         {}});
      }
      int wins = 0;
      for (const auto& r : store->PutAllIfAbsent(batch)) {
        if (r.ok())
          ++wins;
        else if (!r.status().is(ErrorCode::kConflict))
          return kChildUnexpectedError;
      }
      return wins;
    });
  }
  const std::vector<int> wins = children.StartAndWait();

  auto store = FsObjectStore::Open(root);
  ASSERT_TRUE(store.ok());
  auto all = (*store)->ListAll("batch/");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kNames));
  std::vector<int> objects_per_child(kProcesses, 0);
  for (const auto& info : *all) {
    auto got = (*store)->Get(info.name);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    objects_per_child.at(std::stoi(got->data))++;
  }
  int total = 0;
  for (int child = 0; child < kProcesses; ++child) {
    ASSERT_LE(wins[child], kNames) << "child " << child << " failed with code " << wins[child];
    EXPECT_EQ(wins[child], objects_per_child[child]) << "child " << child;
    total += wins[child];
  }
  EXPECT_EQ(total, kNames);
}

TEST(FsObjectStoreProcessTest, GenerationsAreNeverReusedWhileProcessesDeleteAndRecreate) {
  TempDir dir;
  const std::string root = dir.Join("bucket");
  constexpr int kProcesses = 4;
  constexpr int kCycles = 40;
  std::vector<std::array<int, 2>> pipes(kProcesses);
  Children children;
  for (int child = 0; child < kProcesses; ++child) {
    ASSERT_EQ(pipe(pipes[child].data()), 0);
    const int out = pipes[child][1];
    children.Spawn([&root, out] {
      auto store = OpenOrExit(root);
      for (int i = 0; i < kCycles; ++i) {
        auto created = store->PutIfAbsent({"cycle/x", "x", {}});
        if (created.ok()) {
          if (write(out, &created->generation, sizeof created->generation) !=
              sizeof created->generation) {
            return kChildUnexpectedError;
          }
        } else if (!created.status().is(ErrorCode::kConflict)) {
          return kChildUnexpectedError;
        }
        auto current = store->Stat("cycle/x");
        if (!current.ok()) continue;  // another process removed it
        Status removed = store->RemoveIfGeneration("cycle/x", current->generation);
        if (!removed.ok() && !removed.is(ErrorCode::kConflict) &&
            !removed.is(ErrorCode::kNotFound)) {
          return kChildUnexpectedError;
        }
      }
      return 0;
    });
    close(out);
  }
  for (int code : children.StartAndWait()) EXPECT_EQ(code, 0);

  std::set<int64_t> all;
  size_t creations = 0;
  for (auto& p : pipes) {
    std::vector<int64_t> own;
    int64_t generation;
    while (read(p[0], &generation, sizeof generation) == sizeof generation)
      own.push_back(generation);
    close(p[0]);
    // One process's creations happen one after another, so their generations increase.
    EXPECT_TRUE(std::is_sorted(own.begin(), own.end(), std::less_equal<>()));
    all.insert(own.begin(), own.end());
    creations += own.size();
  }
  EXPECT_GT(creations, static_cast<size_t>(kCycles));
  EXPECT_EQ(all.size(), creations) << "a generation was issued twice for one name";
}

// A payload that names its object and version and whose length and bytes
// follow from the version, so any torn or mixed content is detected.
std::string Payload(const std::string& name, uint64_t version) {
  std::string data = name + "|" + std::to_string(version) + "|";
  const size_t size = data.size() + (version * 2654435761u) % 150'000;
  std::mt19937_64 bytes(version);
  while (data.size() < size) data.push_back(static_cast<char>(bytes()));
  return data;
}

bool IsCompleteVersion(const Object& object) {
  const std::string& data = object.data;
  const size_t bar = data.find('|');
  if (bar == std::string::npos || data.substr(0, bar) != object.info.name) return false;
  const uint64_t version = std::stoull(data.substr(bar + 1));
  auto meta = object.info.metadata.find("version");
  return meta != object.info.metadata.end() && meta->second == std::to_string(version) &&
         data == Payload(object.info.name, version);
}

[[noreturn]] void WriteUntilKilled(const std::string& root, uint64_t seed) {
  auto store = OpenOrExit(root);
  const std::vector<std::string> names = {"crash/a", "crash/b", "crash/c/d", "crash/e"};
  std::mt19937_64 rng(seed);
  for (uint64_t step = 0;; ++step) {
    const uint64_t version = (seed << 24) | step;
    const std::string& name = names[rng() % names.size()];
    const NewObject object{name, Payload(name, version), {{"version", std::to_string(version)}}};
    auto current = store->Stat(name);
    if (!current.ok()) {
      (void)store->PutIfAbsent(object);
    } else if (rng() % 5 == 0) {
      (void)store->RemoveIfGeneration(name, current->generation);
    } else {
      (void)store->PutIfGeneration(object, current->generation);
    }
    if (step % 8 == 7) {
      std::vector<NewObject> batch;
      for (int i = 0; i < 3; ++i) {
        const std::string batch_name =
            "crash/batch/" + std::to_string(version) + "-" + std::to_string(i);
        batch.push_back(
            {batch_name, Payload(batch_name, version), {{"version", std::to_string(version)}}});
      }
      (void)store->PutAllIfAbsent(batch);
    }
  }
}

TEST(FsObjectStoreProcessTest, WritersKilledAtRandomMomentsLeaveOnlyCompleteObjects) {
  TempDir dir;
  const std::string root = dir.Join("bucket");
  ASSERT_TRUE(FsObjectStore::Open(root).ok());
  std::mt19937 rng(12345);
  std::map<std::string, int64_t> last_generation;
  constexpr int kIterations = 200;
  for (int iteration = 1; iteration <= kIterations; ++iteration) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) WriteUntilKilled(root, iteration);
    usleep(std::uniform_int_distribution<useconds_t>(0, 8000)(rng));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with code " << WEXITSTATUS(status);

    auto store = FsObjectStore::Open(root);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto all = (*store)->ListAll("");
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    for (const ObjectInfo& info : *all) {
      auto object = (*store)->Get(info.name);
      ASSERT_TRUE(object.ok()) << "iteration " << iteration << ": " << object.status().ToString();
      ASSERT_TRUE(IsCompleteVersion(*object))
          << "iteration " << iteration << ": torn " << info.name;
      auto [it, inserted] = last_generation.emplace(info.name, info.generation);
      if (!inserted) {
        EXPECT_GE(info.generation, it->second) << info.name;
        it->second = info.generation;
      }
    }
  }
  // Every killed writer's staging directory is gone once a store is opened.
  auto store = FsObjectStore::Open(root);
  ASSERT_TRUE(store.ok());
  std::vector<fs::path> staging(fs::directory_iterator(root + "/.staging"),
                                fs::directory_iterator());
  ASSERT_EQ(staging.size(), 1u);
  EXPECT_TRUE(fs::is_empty(staging[0]));
}

}  // namespace
}  // namespace trustplane::store
