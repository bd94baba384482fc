#include <gtest/gtest.h>

#include "support/postgres_server.h"
#include "support/temp_dir.h"
#include "trustplane/store/database.h"

namespace trustplane::store {
namespace {

using testing::PostgresServer;
using testing::TempDir;

class DatabaseTest : public ::testing::TestWithParam<DbEngine> {
 protected:
  void SetUp() override {
    std::string url = dir_.Join("t.db");
    if (GetParam() == DbEngine::kPostgres) {
      PostgresServer* pg = PostgresServer::Shared();
      ASSERT_NE(pg, nullptr);
      url = pg->NewDatabaseUrl();
    }
    auto db = OpenDatabase(url);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    ASSERT_EQ(db_->engine(), GetParam());
    const std::string blob = GetParam() == DbEngine::kPostgres ? "bytea" : "blob";
    ASSERT_TRUE(db_->Execute("CREATE TABLE t (k text PRIMARY KEY, n bigint, b " + blob + ")", {})
                    .ok());
  }
  TempDir dir_;
  std::unique_ptr<Database> db_;
};

TEST_P(DatabaseTest, BindsAndReadsTextIntBlobAndNull) {
  const std::string bytes("\x00\x01\xff\\x", 5);
  auto n = db_->Execute("INSERT INTO t (k, n, b) VALUES (?, ?, ?)", {std::string("a"),
                                                                      int64_t{-42}, Blob{bytes}});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1);
  ASSERT_TRUE(db_->Execute("INSERT INTO t (k, n, b) VALUES (?, ?, ?)",
                           {std::string("z"), std::monostate(), std::monostate()})
                  .ok());
  auto rows = db_->Query("SELECT k, n, b FROM t ORDER BY k", {});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].Text(0), "a");
  EXPECT_EQ(*(*rows)[0].Int(1), -42);
  EXPECT_EQ((*rows)[0].columns[2], bytes);
  EXPECT_FALSE((*rows)[1].columns[1].has_value());
  EXPECT_FALSE((*rows)[1].Int(1).ok());
  EXPECT_FALSE((*rows)[1].columns[2].has_value());
}

TEST_P(DatabaseTest, UniqueViolationIsConflict) {
  ASSERT_TRUE(db_->Execute("INSERT INTO t (k) VALUES (?)", {std::string("a")}).ok());
  auto dup = db_->Execute("INSERT INTO t (k) VALUES (?)", {std::string("a")});
  EXPECT_EQ(dup.status().code(), ErrorCode::kConflict) << dup.status().ToString();
}

TEST_P(DatabaseTest, BadSqlIsInternalAndNamesTheStatement) {
  auto r = db_->Query("SELECT nope FROM missing_table", {});
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
  EXPECT_NE(r.status().message().find("missing_table"), std::string::npos);
}

TEST_P(DatabaseTest, UpdateReportsChangedRows) {
  ASSERT_TRUE(db_->Execute("INSERT INTO t (k, n) VALUES ('a', 1), ('b', 1)", {}).ok());
  EXPECT_EQ(*db_->Execute("UPDATE t SET n = ? WHERE n = ?", {int64_t{2}, int64_t{1}}), 2);
  EXPECT_EQ(*db_->Execute("UPDATE t SET n = 3 WHERE k = ?", {std::string("none")}), 0);
}

TEST_P(DatabaseTest, RollbackDiscardsAndCommitKeeps) {
  ASSERT_TRUE(db_->Begin().ok());
  ASSERT_TRUE(db_->Execute("INSERT INTO t (k) VALUES ('gone')", {}).ok());
  ASSERT_TRUE(db_->Rollback().ok());
  ASSERT_TRUE(db_->Begin().ok());
  ASSERT_TRUE(db_->Execute("INSERT INTO t (k) VALUES ('kept')", {}).ok());
  ASSERT_TRUE(db_->Commit().ok());
  auto rows = db_->Query("SELECT k FROM t", {});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].Text(0), "kept");
}

INSTANTIATE_TEST_SUITE_P(Engines, DatabaseTest,
                         ::testing::Values(DbEngine::kSqlite, DbEngine::kPostgres),
                         [](const auto& info) {
                           return info.param == DbEngine::kSqlite ? "Sqlite" : "Postgres";
                         });

TEST(OpenDatabaseTest, AcceptsSqliteUrlAndCfsslConfig) {
  TempDir dir;
  auto a = OpenDatabase("sqlite://" + dir.Join("a.db"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->engine(), DbEngine::kSqlite);
  auto b = OpenDatabase(R"({"driver":"sqlite3","data_source":")" + dir.Join("b.db") + "\"}");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->engine(), DbEngine::kSqlite);
}

TEST(OpenDatabaseTest, RejectsUnknownDriverAndBadJson) {
  auto a = OpenDatabase(R"({"driver":"mysql","data_source":"x"})");
  EXPECT_EQ(a.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("mysql"), std::string::npos);
  EXPECT_EQ(OpenDatabase("{not json").status().code(), ErrorCode::kInvalidArgument);
}

TEST(OpenDatabaseTest, UnreachablePostgresIsInternal) {
  TempDir dir;
  auto r = OpenDatabase("postgresql:///x?host=" + dir.path() + "&connect_timeout=2");
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace trustplane::store
