// Publishing the trust config into the bucket, its history, rollback, and
// when each audited change took effect.
#include <algorithm>

#include "cli_fixture.h"
#include "trustplane/base/digest.h"

namespace trustplane::testing {
namespace {

class RevisionsTest : public CliTest {
 protected:
  std::string Publish() {
    auto j = TpJson({"trust", "publish"});
    return j["revision"].get<std::string>();
  }
  std::string ExportedRevision() {
    auto r = Tp({"trust", "export"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Sha256Hex(r.out);
  }
};

TEST_F(RevisionsTest, PublishHistoryRollbackAndRollbackOfRollback) {
  Issued a = MakeRootCa("revision a"), b = MakeRootCa("revision b");
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "acme", WritePem("a.pem", a)}).exit_code, 0);
  const std::string rev1 = Publish();
  EXPECT_EQ(rev1, ExportedRevision());  // the revision is the hash of the rendered bytes
  auto again = TpJson({"trust", "publish"});
  EXPECT_EQ(again["changed"], false);

  ASSERT_EQ(Tp({"trust", "add", WritePem("b.pem", b)}).exit_code, 0);
  const std::string rev2 = Publish();
  ASSERT_NE(rev1, rev2);

  auto history = TpJson({"trust", "history"});
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["revision"], rev2);
  EXPECT_EQ(history[0]["current"], true);
  EXPECT_EQ(history[1]["revision"], rev1);

  // Every change carries the time the publish covering it was written.
  for (const auto& e : AuditEvents()) {
    if (e["action"] == "trust.add") {
      EXPECT_FALSE(e["effective_at"].is_null()) << e.dump();
    }
  }

  auto rollback = Tp({"trust", "rollback", rev1, "--reason", "b was a mistake"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  EXPECT_EQ(ExportedRevision(), rev1);
  EXPECT_EQ(TrustedSet(), std::vector<std::string>{"anchor " + a.cert.sha256_hex() + " acme;"});
  EXPECT_EQ(TpJson({"trust", "history"})[1]["current"], true);

  // Roll the rollback back: b returns and the published bytes are rev2's again.
  ASSERT_EQ(Tp({"trust", "rollback", rev2, "--reason", "b was fine"}).exit_code, 0);
  EXPECT_EQ(ExportedRevision(), rev2);
  EXPECT_EQ(TrustedSet().size(), 2u);

  std::vector<std::string> actions;
  for (const auto& e : AuditEvents()) actions.push_back(e["action"]);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "trustconfig.rollback"), 2);
  EXPECT_EQ(Tp({"audit", "verify"}).exit_code, 0);
}

TEST_F(RevisionsTest, ChangesAreUnpublishedUntilAPublishCoversThem) {
  ASSERT_EQ(Tp({"trust", "add", WritePem("c.pem", MakeRootCa("unpublished"))}).exit_code, 0);
  auto events = AuditEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0]["effective_at"].is_null());
  Publish();
  EXPECT_FALSE(AuditEvents()[0]["effective_at"].is_null());
}

TEST_F(RevisionsTest, RollbackGivesRemovedCertificatesBackToTheTenantsThatClaimedThem) {
  Issued shared = MakeRootCa("shared root"), mine = MakeRootCa("acme only root");
  const std::string shared_pem = WritePem("shared.pem", shared);
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "acme", shared_pem}).exit_code, 0);
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "beta", shared_pem}).exit_code, 0);
  ASSERT_EQ(Tp({"trust", "add", "--tenant", "acme", WritePem("mine.pem", mine)}).exit_code, 0);
  const std::string rev1 = Publish();
  const std::vector<std::string> before = TrustedSet();

  ASSERT_EQ(Tp({"trust", "remove", shared.cert.sha256_hex(), "--reason", "x"}).exit_code, 0);
  ASSERT_EQ(Tp({"trust", "remove", mine.cert.sha256_hex(), "--reason", "x"}).exit_code, 0);
  Publish();
  ASSERT_EQ(Tp({"trust", "rollback", rev1, "--reason", "undo"}).exit_code, 0);
  // Not merely trusted again, but for the same tenants as before: a tenant's
  // clients are refused on its own routes otherwise.
  EXPECT_EQ(TrustedSet(), before);
  EXPECT_EQ(ExportedRevision(), rev1);
}

TEST_F(RevisionsTest, RollbackToAnUnknownRevisionIsNotFound) {
  auto r = Tp({"trust", "rollback", std::string(64, 'c'), "--reason", "x"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("trust history"), std::string::npos) << r.err;
  EXPECT_EQ(Tp({"trust", "rollback", "../../etc", "--reason", "x"}).exit_code, 3);
}

}  // namespace
}  // namespace trustplane::testing
