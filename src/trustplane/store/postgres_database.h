#pragma once

#include <memory>
#include <string>

#include "trustplane/store/database.h"

struct pg_conn;

namespace trustplane::store {

// PostgreSQL backend over libpq; `?` placeholders become $1..$n.
class PostgresDatabase final : public Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& conninfo);
  ~PostgresDatabase() override;

  DbEngine engine() const override { return DbEngine::kPostgres; }
  Result<int64_t> Execute(const std::string& sql, const std::vector<DbParam>& params) override;
  Result<std::vector<DbRow>> Query(const std::string& sql,
                                   const std::vector<DbParam>& params) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

 private:
  explicit PostgresDatabase(pg_conn* conn) : conn_(conn) {}
  Result<std::vector<DbRow>> Run(const std::string& sql, const std::vector<DbParam>& params,
                                 int64_t* changes);
  pg_conn* conn_;
};

}  // namespace trustplane::store
