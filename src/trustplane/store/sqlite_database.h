#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "trustplane/store/database.h"

struct sqlite3;
struct sqlite3_stmt;

namespace trustplane::store {

// SQLite backend: WAL journal and a busy timeout so several processes can
// share one certdb file.
class SqliteDatabase final : public Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~SqliteDatabase() override;

  DbEngine engine() const override { return DbEngine::kSqlite; }
  Result<int64_t> Execute(const std::string& sql, const std::vector<DbParam>& params) override;
  Result<std::vector<DbRow>> Query(const std::string& sql,
                                   const std::vector<DbParam>& params) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

 private:
  SqliteDatabase(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Result<std::vector<DbRow>> Run(const std::string& sql, const std::vector<DbParam>& params,
                                 int64_t* changes);
  sqlite3* db_;
  std::string path_;
  // Prepared statements by SQL text, reused: preparing costs more than
  // running a one-row INSERT. mu_ makes a statement one caller's at a time.
  std::mutex mu_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace trustplane::store
