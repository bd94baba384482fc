#include "trustplane/audit/audit_log.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/temp_dir.h"
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

  static AuditEvent Event(const std::string& action, const std::string& fp = "ab") {
    AuditEvent e;
    e.actor = "test:unit";
    e.action = action;
    e.fingerprints = {fp};
    e.result = "ok";
    return e;
  }

  void AppendN(AuditLog& log, int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(log.Append(Event("a" + std::to_string(i))).ok());
  }

  // Rewrites event seq's bytes through the store, as someone with bucket access could.
  void Rewrite(uint64_t seq, const std::string& bytes) {
    auto obj = bucket_->Get(EventObjectName(seq));
    ASSERT_TRUE(obj.ok());
    ASSERT_TRUE(bucket_->PutIfGeneration({EventObjectName(seq), bytes, {}}, obj->info.generation).ok());
  }

  std::vector<std::string> Problems() {
    auto report = AuditLog(*bucket_).Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? report->problems : std::vector<std::string>{"verify failed"};
  }

  testing::TempDir dir_;
  std::unique_ptr<store::FsObjectStore> bucket_;
};

TEST_F(AuditLogTest, AppendAssignsSequenceTimeAndChain) {
  AuditLog log(*bucket_);
  auto first = log.Append(Event("trust.add"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->seq, 1u);
  EXPECT_TRUE(first->prev_sha256.empty());
  EXPECT_FALSE(first->time.empty());
  auto second = log.Append(Event("trust.remove"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->seq, 2u);
  EXPECT_EQ(second->prev_sha256.size(), 64u);

  auto events = AuditLog(*bucket_).Read();
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].action, "trust.remove");
  EXPECT_EQ(SerializeEvent((*events)[0]), SerializeEvent(*first));
  EXPECT_TRUE(Problems().empty());
}

TEST_F(AuditLogTest, SerializationIsCanonical) {
  AuditEvent e = Event("trust.add");
  e.seq = 7;
  e.time = "2026-01-01T00:00:00Z";
  e.details = {{"z", 1}, {"a", 2}};
  const std::string bytes = SerializeEvent(e);
  EXPECT_EQ(bytes.back(), '\n');
  EXPECT_EQ(bytes.find(' '), std::string::npos);
  EXPECT_LT(bytes.find("\"action\""), bytes.find("\"actor\""));  // sorted keys
  auto parsed = ParseEvent(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(SerializeEvent(*parsed), bytes);
  EXPECT_EQ(ParseEvent("{\"seq\":1}").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseEvent("not json").status().code(), ErrorCode::kInvalidArgument);
}

TEST_F(AuditLogTest, NewWriterFindsTheTailOfALongLog) {
  AuditLog writer(*bucket_);
  AppendN(writer, 37);
  auto next = AuditLog(*bucket_).Append(Event("late"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, 38u);
  EXPECT_TRUE(Problems().empty());
  // The first writer's cached tail is stale; it must catch up, not fork.
  auto after = writer.Append(Event("stale writer"));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->seq, 39u);
  EXPECT_TRUE(Problems().empty());
}

TEST_F(AuditLogTest, VerifyDetectsAnEditedEvent) {
  AuditLog log(*bucket_);
  AppendN(log, 5);
  auto events = log.Read();
  AuditEvent edited = (*events)[2];
  edited.actor = "user:mallory";
  Rewrite(3, SerializeEvent(edited));
  auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("event 4 does not chain to event 3"), std::string::npos) << problems[0];
}

TEST_F(AuditLogTest, VerifyDetectsAMissingEvent) {
  AuditLog log(*bucket_);
  AppendN(log, 5);
  auto info = bucket_->Stat(EventObjectName(3));
  ASSERT_TRUE(bucket_->RemoveIfGeneration(EventObjectName(3), info->generation).ok());
  auto problems = Problems();
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("event 3 is missing (found 2 then 4)"), std::string::npos) << problems[0];
}

TEST_F(AuditLogTest, VerifyDetectsSwappedEventsAndGarbage) {
  AuditLog log(*bucket_);
  AppendN(log, 4);
  auto two = bucket_->Get(EventObjectName(2));
  auto three = bucket_->Get(EventObjectName(3));
  Rewrite(2, three->data);
  Rewrite(3, two->data);
  EXPECT_FALSE(Problems().empty());

  Rewrite(4, "garbage");
  bool garbage_named = false;
  for (const auto& p : Problems()) garbage_named |= p.find("event 4") != std::string::npos;
  EXPECT_TRUE(garbage_named);
}

TEST_F(AuditLogTest, EightProcessesAppendingNeverForkTheChain) {
  constexpr int kProcesses = 8, kEach = 50;
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcesses; ++p) {
    pid_t pid = fork();
    if (pid == 0) {
      auto store = store::FsObjectStore::Open(dir_.Join("bucket"));
      AuditLog log(**store);
      for (int i = 0; i < kEach; ++i) {
        if (!log.Append(Event("p" + std::to_string(p))).ok()) _exit(1);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto report = AuditLog(*bucket_).Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problems.front();
  EXPECT_EQ(report->events, static_cast<uint64_t>(kProcesses * kEach));
}

}  // namespace
}  // namespace trustplane::audit
