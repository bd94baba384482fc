#include "trustplane/audit/audit_log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <thread>

#include "support/temp_dir.h"
#include "trustplane/base/digest.h"
#include "trustplane/base/time.h"
#include "trustplane/store/fs_object_store.h"

namespace trustplane::audit {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::FsObjectStore::Open(dir_.Join("bucket"));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    bucket_ = std::move(opened).value();
  }

  store::ObjectStore& bucket() { return *bucket_; }

  static AuditEvent Event(const std::string& action) {
    AuditEvent e;
    e.actor = "test:unit";
    e.action = action;
    e.fingerprints = {std::string(64, 'c')};
    e.result = "ok";
    return e;
  }

  static void AppendN(AuditLog& log, int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(log.Append(Event("a" + std::to_string(i))).ok());
  }

  // Rewrites or removes an object through the store, as anyone with bucket access could.
  void Rewrite(const std::string& name, const std::string& bytes) {
    auto info = bucket_->Stat(name);
    ASSERT_TRUE(info.ok()) << name;
    ASSERT_TRUE(bucket_->PutIfGeneration({name, bytes, {}}, info->generation).ok());
  }
  void Remove(const std::string& name) {
    auto info = bucket_->Stat(name);
    ASSERT_TRUE(info.ok()) << name;
    ASSERT_TRUE(bucket_->RemoveIfGeneration(name, info->generation).ok());
  }
  std::string Bytes(const std::string& name) { return bucket_->Get(name)->data; }

  AuditHead Head() {
    auto head = ParseHead(Bytes(std::string(kHeadObjectName)));
    EXPECT_TRUE(head.ok()) << head.status().ToString();
    return head.ok() ? *head : AuditHead{};
  }

  // A fresh reader, as `trustplane audit verify` in a new process.
  AuditLog::Report Verify() {
    auto report = AuditLog(*bucket_).Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    if (!report.ok()) return {false, 0, "", {"verify failed"}};
    EXPECT_EQ(report->ok, report->problems.empty());
    return *report;
  }

  // Verify reports exactly one problem, and it contains `text`.
  ::testing::AssertionResult OnlyProblem(const std::string& text) {
    auto problems = Verify().problems;
    if (problems.size() == 1 && problems[0].find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    auto failure = ::testing::AssertionFailure()
                   << "expected only a problem containing \"" << text << "\", got:";
    for (const auto& p : problems) failure << "\n  " << p;
    return failure;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::FsObjectStore> bucket_;
};

TEST_F(AuditLogTest, AppendAssignsSequenceTimeAndChain) {
  AuditLog log(bucket());
  AuditEvent forged = Event("trust.add");
  forged.seq = 99;  // Append decides these
  forged.prev_sha256 = std::string(64, 'f');
  auto first = log.Append(forged);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->seq, 1u);
  EXPECT_TRUE(first->prev_sha256.empty());
  EXPECT_TRUE(ParseRfc3339(first->time).ok()) << first->time;

  AuditEvent timed = Event("trust.remove");
  timed.time = "2026-01-02T03:04:05Z";
  auto second = log.Append(timed);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->seq, 2u);
  EXPECT_EQ(second->time, "2026-01-02T03:04:05Z");
  EXPECT_EQ(second->prev_sha256, Sha256Hex(bucket().Get(EventObjectName(1))->data));

  // Another reader sees exactly the stored events.
  auto events = AuditLog(bucket()).Read();
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(SerializeEvent((*events)[0]), SerializeEvent(*first));
  EXPECT_EQ(SerializeEvent((*events)[1]), SerializeEvent(*second));
  EXPECT_EQ(bucket().Get(EventObjectName(2))->data, SerializeEvent(*second));

  auto report = Verify();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events, 2u);
  EXPECT_EQ(report.head_sha256, Sha256Hex(SerializeEvent(*second)));
  EXPECT_EQ(Head().seq, 2u);
  EXPECT_EQ(Head().sha256, report.head_sha256);
}

TEST_F(AuditLogTest, AppendRefusesAnInvalidEventAndWritesNothing) {
  AuditLog log(bucket());
  AuditEvent nobody = Event("trust.add");
  nobody.actor.clear();
  auto r = log.Append(nobody);
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("\"actor\" is empty"), std::string::npos)
      << r.status().message();
  AuditEvent listy = Event("trust.add");
  listy.details = nlohmann::json::array({1, 2});
  EXPECT_EQ(log.Append(listy).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(bucket().ListAll(kAuditPrefix)->empty());
  EXPECT_EQ(log.Append(Event("trust.add"))->seq, 1u);
}

TEST_F(AuditLogTest, ReadReturnsARangeInOrder) {
  AuditLog log(bucket());
  AppendN(log, 6);
  auto actions = [](const std::vector<AuditEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.action);
    return out;
  };
  EXPECT_EQ(actions(*log.Read(2, 4)), (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(actions(*log.Read(5)), (std::vector<std::string>{"a4", "a5"}));
  EXPECT_EQ(log.Read(7)->size(), 0u);
  EXPECT_EQ(log.Read(1, 100)->size(), 6u);
}

TEST_F(AuditLogTest, AnEmptyLogVerifies) {
  auto report = Verify();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events, 0u);
  EXPECT_EQ(*AuditLog(bucket()).HeadSeq(), 0u);
}

TEST_F(AuditLogTest, WritersFindTheTailAndStaleWritersCatchUp) {
  AuditLog writer(bucket());
  AppendN(writer, 37);
  AuditLog other(bucket());
  EXPECT_EQ(*other.HeadSeq(), 37u);
  EXPECT_EQ(other.Append(Event("late"))->seq, 38u);
  // The first writer's cached tail is stale: it must chain to event 38, not fork at 38.
  auto after = writer.Append(Event("stale writer"));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->seq, 39u);
  EXPECT_EQ(after->prev_sha256, Sha256Hex(bucket().Get(EventObjectName(38))->data));
  EXPECT_TRUE(Verify().ok);
  EXPECT_EQ(Head().seq, 39u);
}

TEST_F(AuditLogTest, WritersFindTheTailWithoutTheHead) {
  AuditLog writer(bucket());
  AppendN(writer, 21);
  Remove(std::string(kHeadObjectName));  // as a log written before the head existed
  auto next = AuditLog(bucket()).Append(Event("after"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 22u);
  EXPECT_EQ(Head().seq, 22u);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(AuditLogTest, ThreadsSharingOneLogNeverForkTheChain) {
  AuditLog log(bucket());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) EXPECT_TRUE(log.Append(Event("thread")).ok());
    });
  }
  for (auto& t : threads) t.join();
  auto report = Verify();
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events, 100u);
}

// --- Verify: what tampering with the bucket looks like ---

TEST_F(AuditLogTest, VerifyDetectsAnEditedEvent) {
  AuditLog log(bucket());
  AppendN(log, 5);
  AuditEvent edited = (*log.Read(3, 3))[0];
  edited.actor = "user:mallory";
  Rewrite(EventObjectName(3), SerializeEvent(edited));
  EXPECT_TRUE(
      OnlyProblem("event 4 does not chain to event 3 (prev_sha256 mismatch): event 3 was edited"));
}

TEST_F(AuditLogTest, VerifyDetectsAnEditedNewestEventThroughTheHead) {
  AuditLog log(bucket());
  AppendN(log, 3);
  AuditEvent edited = (*log.Read(3, 3))[0];
  edited.result = "rejected";
  Rewrite(EventObjectName(3), SerializeEvent(edited));
  EXPECT_TRUE(OnlyProblem("event 3 does not match the hash audit/head recorded"));
  // A later append still chains to the hash the head recorded, so the edit stays visible.
  ASSERT_TRUE(AuditLog(bucket()).Append(Event("later")).ok());
  EXPECT_TRUE(OnlyProblem("event 4 does not chain to event 3"));
}

TEST_F(AuditLogTest, VerifyDetectsAMissingEventAndReadSkipsIt) {
  AuditLog log(bucket());
  AppendN(log, 5);
  Remove(EventObjectName(3));
  EXPECT_TRUE(OnlyProblem("event 3 is missing (found 2 then 4)"));
  auto events = log.Read();
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[2].seq, 4u);
  Remove(EventObjectName(1));
  Remove(EventObjectName(2));
  EXPECT_TRUE(OnlyProblem("events 1 to 3 are missing (the log starts at event 4)"));
}

TEST_F(AuditLogTest, VerifyDetectsDeletedNewestEventsThroughTheHead) {
  AuditLog log(bucket());
  AppendN(log, 5);
  Remove(EventObjectName(5));
  Remove(EventObjectName(4));
  // The chain alone (events 1-3) is intact; only the head shows the loss.
  EXPECT_TRUE(OnlyProblem(
      "audit/head names event 5 but the log ends at event 3: the newest events were deleted"));
}

TEST_F(AuditLogTest, VerifyDetectsSwappedEvents) {
  AuditLog log(bucket());
  AppendN(log, 4);
  const std::string two = Bytes(EventObjectName(2)), three = Bytes(EventObjectName(3));
  Rewrite(EventObjectName(2), three);
  Rewrite(EventObjectName(3), two);
  auto problems = Verify().problems;
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0], EventObjectName(2) + " holds event 3: events were moved or reordered");
  EXPECT_EQ(problems[1], EventObjectName(3) + " holds event 2: events were moved or reordered");
  EXPECT_NE(problems[2].find("event 4 does not chain to event 3"), std::string::npos)
      << problems[2];
}

TEST_F(AuditLogTest, VerifyNamesGarbageAndStrangers) {
  AuditLog log(bucket());
  AppendN(log, 4);
  Rewrite(EventObjectName(2), "garbage");
  ASSERT_TRUE(bucket().PutIfAbsent({"audit/notes.txt", "hello", {}}).ok());
  auto problems = Verify().problems;
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0],
            EventObjectName(2) + ": audit event is not valid JSON (syntax error at byte 1 of 7)");
  EXPECT_NE(problems[1].find("event 3 does not chain to event 2"), std::string::npos)
      << problems[1];
  EXPECT_EQ(problems[2], "unexpected object audit/notes.txt in the audit log");
}

TEST_F(AuditLogTest, AHeadOneBehindIsWhatACrashLeavesAndTheNextAppendRepairsIt) {
  AuditLog log(bucket());
  AppendN(log, 4);
  const std::string head_at_4 = Bytes(std::string(kHeadObjectName));
  AppendN(log, 1);
  // The writer of event 5 died before moving the head.
  Rewrite(std::string(kHeadObjectName), head_at_4);
  auto report = Verify();
  EXPECT_TRUE(report.ok) << report.problems.front();
  EXPECT_EQ(report.events, 5u);
  auto next = AuditLog(bucket()).Append(Event("next"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 6u);
  EXPECT_EQ(Head().seq, 6u);
  EXPECT_TRUE(Verify().ok);
}

TEST_F(AuditLogTest, VerifyDetectsAHeadMovedBackOrRemoved) {
  AuditLog log(bucket());
  AppendN(log, 3);
  const std::string head_at_3 = Bytes(std::string(kHeadObjectName));
  Rewrite(std::string(kHeadObjectName), SerializeHead({1, Sha256Hex(Bytes(EventObjectName(1)))}));
  EXPECT_TRUE(
      OnlyProblem("audit/head names event 1 but the log reaches event 3: it was moved back"));
  Rewrite(std::string(kHeadObjectName), "{}");
  EXPECT_TRUE(OnlyProblem("audit/head must be a JSON object with exactly the fields"));
  Remove(std::string(kHeadObjectName));
  EXPECT_TRUE(OnlyProblem("audit/head is missing although the log reaches event 3"));
  ASSERT_TRUE(bucket().PutIfAbsent({std::string(kHeadObjectName), head_at_3, {}}).ok());
  EXPECT_TRUE(Verify().ok);
}

TEST_F(AuditLogTest, AppendReplacesAnUnreadableHead) {
  AuditLog writer(bucket());
  AppendN(writer, 3);
  Rewrite(std::string(kHeadObjectName), "garbage");
  auto next = AuditLog(bucket()).Append(Event("after"));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->seq, 4u);
  EXPECT_EQ(Head().seq, 4u);
  EXPECT_TRUE(Verify().ok);
}

// --- Several processes ---

TEST_F(AuditLogTest, EightProcessesAppendingNeverForkTheChain) {
  constexpr int kProcesses = 8, kEach = 50;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = store::FsObjectStore::Open(dir_.Join("bucket"));
      if (!store.ok()) _exit(2);
      AuditLog log(**store);
      AuditEvent e = Event("append");
      e.actor = "process:" + std::to_string(p);
      for (int i = 0; i < kEach; ++i) {
        if (!log.Append(e).ok()) _exit(1);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  auto report = Verify();
  EXPECT_TRUE(report.ok) << report.problems.front();
  EXPECT_EQ(report.events, static_cast<uint64_t>(kProcesses * kEach));
  EXPECT_EQ(Head().seq, static_cast<uint64_t>(kProcesses * kEach));
  auto events = AuditLog(bucket()).Read();
  ASSERT_TRUE(events.ok());
  std::map<std::string, int> per_actor;
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].seq, i + 1);
    ++per_actor[(*events)[i].actor];
  }
  ASSERT_EQ(per_actor.size(), static_cast<size_t>(kProcesses));
  for (const auto& [actor, n] : per_actor) EXPECT_EQ(n, kEach) << actor;
}

TEST_F(AuditLogTest, AppendersKilledAtRandomPointsLeaveAChainThatVerifies) {
  std::mt19937 random(20261122);  // fixed seed; the kill points still vary with timing
  std::uniform_int_distribution<int> delay_us(0, 5000);
  for (int round = 0; round < 60; ++round) {
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = store::FsObjectStore::Open(dir_.Join("bucket"));
      if (!store.ok()) _exit(2);
      AuditLog log(**store);
      // Tell the parent the appends start now, so its delay lands among them.
      if (write(ready[1], "r", 1) != 1) _exit(3);
      while (log.Append(Event("until killed")).ok()) {
      }
      _exit(1);
    }
    close(ready[1]);
    char byte = 0;
    ASSERT_EQ(read(ready[0], &byte, 1), 1) << "the appender did not start in round " << round;
    close(ready[0]);
    usleep(static_cast<useconds_t>(delay_us(random)));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the appender stopped by itself in round " << round << ", status " << status;
    auto report = Verify();
    ASSERT_TRUE(report.ok) << "round " << round << ": " << report.problems.front();
  }
  auto report = Verify();
  AuditLog log(bucket());
  auto next = log.Append(Event("after the storm"));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->seq, report.events + 1);
  EXPECT_EQ(Head().seq, next->seq);
  EXPECT_TRUE(Verify().ok);
}

}  // namespace
}  // namespace trustplane::audit
