// Database: a narrow SQL interface so certdb runs unchanged on SQLite and
// PostgreSQL. Statements use `?` placeholders on every engine; backends
// translate as needed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "trustplane/base/status.h"

namespace trustplane::store {

enum class DbEngine { kSqlite, kPostgres };

// Bytes bound as a BLOB / bytea rather than text.
struct Blob {
  std::string bytes;
};

// A bound parameter: NULL, integer, text or blob.
using DbParam = std::variant<std::monostate, int64_t, std::string, Blob>;

// One result row; each column is its text (blobs as raw bytes) or nullopt for NULL.
struct DbRow {
  std::vector<std::optional<std::string>> columns;
  // Column `i` parsed as an integer; kInternal if NULL or not a number.
  Result<int64_t> Int(size_t i) const;
  // Column `i` as text; empty for NULL.
  std::string Text(size_t i) const;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual DbEngine engine() const = 0;
  // Runs a statement; returns the number of rows changed.
  // Errors: kConflict on a unique/primary-key violation, kInternal otherwise.
  virtual Result<int64_t> Execute(const std::string& sql, const std::vector<DbParam>& params) = 0;
  virtual Result<std::vector<DbRow>> Query(const std::string& sql,
                                           const std::vector<DbParam>& params) = 0;
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
};

// Opens a database from one of:
//   postgres://... or postgresql://...  (libpq URL)
//   sqlite:///path/to/file.db or a plain file path
//   cfssl db-config JSON contents: {"driver":"sqlite3"|"postgres","data_source":"..."}
Result<std::unique_ptr<Database>> OpenDatabase(const std::string& url_or_config);

}  // namespace trustplane::store
