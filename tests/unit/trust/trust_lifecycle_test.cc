#include "trustplane/trust/trust_lifecycle.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "crashing_object_store.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"
#include "trustplane/store/fs_object_store.h"
#include "trustplane/trust/bucket_layout.h"

namespace trustplane::trust {
namespace {

using testing::CrashingObjectStore;
using testing::Issued;
using testing::MakeClientLeaf;
using testing::MakeIntermediateCa;
using testing::MakeRootCa;

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::FsObjectStore::Open(dir_.Join("bucket"));
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    bucket_ = std::move(opened).value();
    store_ = std::make_unique<TrustStore>(*bucket_);
    audit_ = std::make_unique<audit::AuditLog>(*bucket_);
    lifecycle_ = std::make_unique<TrustLifecycle>(*store_, *audit_, OnboardingPolicy{});
  }

  static AddRequest Request(const std::vector<Issued>& certs, std::string tenant = "") {
    AddRequest req;
    req.tenant = std::move(tenant);
    req.actor = "test:unit";
    for (const auto& c : certs) req.certificates.push_back({c.cert, std::nullopt, "test"});
    return req;
  }

  std::vector<audit::AuditEvent> Events() {
    auto events = audit_->Read(1, 0);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    return events.ok() ? *events : std::vector<audit::AuditEvent>{};
  }

  // Every trusted object has exactly one "added" event naming it.
  void ExpectEveryObjectAuditedOnce() {
    std::multiset<std::string> added;
    for (const auto& e : Events()) {
      if (e.action == "trust.add" && e.result == "added") added.insert(e.fingerprints.begin(), e.fingerprints.end());
    }
    auto records = store_->List();
    ASSERT_TRUE(records.ok());
    for (const auto& r : *records) EXPECT_EQ(added.count(r.sha256), 1u) << r.sha256;
    EXPECT_EQ(added.size(), records->size());
  }

  testing::TempDir dir_;
  std::unique_ptr<store::FsObjectStore> bucket_;
  std::unique_ptr<TrustStore> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<TrustLifecycle> lifecycle_;
};

TEST_F(LifecycleTest, AddsThenReportsAlreadyTrustedAndRecordsOneEvent) {
  Issued root = MakeRootCa("lc root");
  Issued inter = MakeIntermediateCa("lc issuing", root);
  auto first = lifecycle_->Add(Request({inter, root}, "acme"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_FALSE(first->rejected);
  EXPECT_EQ(first->certificates[0].outcome, Outcome::kAdded);
  EXPECT_EQ(first->certificates[0].kind, TrustKind::kIntermediate);
  EXPECT_EQ(first->certificates[1].kind, TrustKind::kAnchor);

  auto again = lifecycle_->Add(Request({root}, "acme"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->certificates[0].outcome, Outcome::kAlreadyTrusted);
  EXPECT_EQ(Events().size(), 1u);
  ExpectEveryObjectAuditedOnce();

  auto rec = store_->Find(root.cert.sha256_hex());
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->tenants, std::vector<std::string>{"acme"});
  EXPECT_EQ(rec->added_by, "test:unit");
  EXPECT_EQ(rec->subject, root.cert.subject());
  EXPECT_EQ(rec->not_after, root.cert.not_after());
}

TEST_F(LifecycleTest, RejectedRequestWritesOnlyARejectedEvent) {
  Issued root = MakeRootCa("ok root");
  Issued leaf = MakeClientLeaf("leaf", root);
  auto result = lifecycle_->Add(Request({root, leaf}));
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->rejected);
  EXPECT_EQ(result->certificates[0].outcome, Outcome::kNotAdded);
  EXPECT_EQ(result->certificates[1].outcome, Outcome::kRejected);
  EXPECT_TRUE(store_->List()->empty());
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].result, "rejected");
  EXPECT_TRUE(bucket_->ListAll(kIntentPrefix)->empty());
}

TEST_F(LifecycleTest, IntermediateChainsToAnAlreadyTrustedRoot) {
  Issued root = MakeRootCa("stored root");
  Issued inter = MakeIntermediateCa("later issuing", root);
  ASSERT_TRUE(lifecycle_->Add(Request({root})).ok());
  auto result = lifecycle_->Add(Request({inter}));
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->rejected) << result->certificates[0].message;
}

TEST_F(LifecycleTest, ClaimsAndUnclaims) {
  Issued root = MakeRootCa("shared");
  const std::string fp = root.cert.sha256_hex();
  ASSERT_TRUE(lifecycle_->Add(Request({root}, "a")).ok());
  ASSERT_TRUE(lifecycle_->Add(Request({root}, "b")).ok());
  EXPECT_EQ(store_->Find(fp)->tenants, (std::vector<std::string>{"a", "b"}));

  auto unclaim = lifecycle_->Remove({fp, "a", "a leaves", "test:unit"});
  ASSERT_TRUE(unclaim.ok()) << unclaim.status().ToString();
  EXPECT_FALSE(unclaim->removed);
  EXPECT_EQ(store_->Find(fp)->tenants, std::vector<std::string>{"b"});
  EXPECT_EQ(lifecycle_->Remove({fp, "a", "again", "test:unit"}).status().code(), ErrorCode::kNotFound);

  auto last = lifecycle_->Remove({fp, "b", "b leaves", "test:unit"});
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->removed);
  EXPECT_EQ(store_->Find(fp).status().code(), ErrorCode::kNotFound);
}

TEST_F(LifecycleTest, GcRemovesOnlyExpiredCas) {
  testing::CertSpec spec;
  spec.cn = "short lived";
  spec.is_ca = true;
  spec.not_after = NowUnix() + 100;
  Issued short_lived = testing::MakeSelfSigned(spec);
  Issued long_lived = MakeRootCa("long lived");
  ASSERT_TRUE(lifecycle_->Add(Request({short_lived, long_lived})).ok());
  auto dry = lifecycle_->CollectExpired("test:unit", true, NowUnix() + 200);
  ASSERT_TRUE(dry.ok());
  ASSERT_EQ(dry->expired.size(), 1u);
  EXPECT_EQ(store_->List()->size(), 2u);
  auto gc = lifecycle_->CollectExpired("test:unit", false, NowUnix() + 200);
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->expired.size(), 1u);
  EXPECT_EQ(store_->List()->size(), 1u);
  EXPECT_EQ(Events().back().action, "trust.gc");
}

TEST_F(LifecycleTest, LargeRequestsFindExistingCertificatesByListing) {
  std::vector<Issued> roots;
  for (int i = 0; i < 520; ++i) {
    testing::CertSpec spec;
    spec.cn = "bulk " + std::to_string(i);
    spec.is_ca = true;
    roots.push_back(testing::MakeSelfSigned(spec));
  }
  std::vector<Issued> first(roots.begin(), roots.begin() + 10);
  ASSERT_TRUE(lifecycle_->Add(Request(first, "a")).ok());
  auto bulk = lifecycle_->Add(Request(roots, "b"));
  ASSERT_TRUE(bulk.ok()) << bulk.status().ToString();
  ASSERT_FALSE(bulk->rejected);
  int added = 0, already = 0;
  for (const auto& c : bulk->certificates) {
    (c.outcome == Outcome::kAdded ? added : already)++;
  }
  EXPECT_EQ(added, 510);
  EXPECT_EQ(already, 10);
  EXPECT_EQ(store_->Find(roots[0].cert.sha256_hex())->tenants, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(store_->Find(roots[519].cert.sha256_hex())->tenants, std::vector<std::string>{"b"});
  ExpectEveryObjectAuditedOnce();
}

// A crash before or after every store mutation of an add (with a claim):
// the next command's recovery leaves every object audited exactly once.
TEST_F(LifecycleTest, CrashAtEveryStepIsRecoveredByTheNextCommand) {
  Issued claimed = MakeRootCa("claimed root");
  ASSERT_TRUE(lifecycle_->Add(Request({claimed}, "first")).ok());
  for (auto when : {CrashingObjectStore::When::kBefore, CrashingObjectStore::When::kAfter}) {
    // Crash at every mutation until the child gets through without reaching the step.
    bool finished = false;
    for (int step = 1; !finished && step <= 32; ++step) {
      SCOPED_TRACE("crash " + std::string(when == CrashingObjectStore::When::kBefore ? "before" : "after") +
                   " mutation " + std::to_string(step));
      Issued fresh = MakeRootCa("fresh " + std::to_string(step));
      const std::string tenant = "t" + std::to_string(step) + (when == CrashingObjectStore::When::kBefore ? "b" : "a");
      pid_t pid = fork();
      if (pid == 0) {
        CrashingObjectStore crashing(*bucket_, step, when);
        TrustStore store(crashing);
        audit::AuditLog log(crashing);
        TrustLifecycle lifecycle(store, log, OnboardingPolicy{});
        auto r = lifecycle.Add(Request({fresh, claimed}, tenant));
        _exit(r.ok() ? 3 : 4);  // 3: finished without reaching the crash step
      }
      int status = 0;
      waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFEXITED(status));
      finished = WEXITSTATUS(status) == 3;
      // The parent is "the next command": a fresh audit log object, as a new process has.
      audit_ = std::make_unique<audit::AuditLog>(*bucket_);
      lifecycle_ = std::make_unique<TrustLifecycle>(*store_, *audit_, OnboardingPolicy{});
      auto recovered = lifecycle_->Recover();
      ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
      EXPECT_TRUE(bucket_->ListAll(kIntentPrefix)->empty());
      auto verify = audit_->Verify();
      ASSERT_TRUE(verify.ok());
      EXPECT_TRUE(verify->ok);
      ExpectEveryObjectAuditedOnce();
      // Re-running the request completes it.
      auto rerun = lifecycle_->Add(Request({fresh, claimed}, tenant));
      ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
      auto rec = store_->Find(claimed.cert.sha256_hex());
      ASSERT_TRUE(rec.ok());
      EXPECT_NE(std::find(rec->tenants.begin(), rec->tenants.end(), tenant), rec->tenants.end());
      ExpectEveryObjectAuditedOnce();
    }
    EXPECT_TRUE(finished) << "the add never completed without a crash";
  }
}

}  // namespace
}  // namespace trustplane::trust
