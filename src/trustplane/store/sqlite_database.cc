#include "trustplane/store/sqlite_database.h"

#include <sqlite3.h>

#include <mutex>

namespace trustplane::store {

namespace {

// Long enough to ride out another process's write transaction.
constexpr int kBusyTimeoutMs = 5000;
constexpr size_t kMaxCachedStatements = 128;

Status SqliteError(sqlite3* db, const std::string& what, const std::string& path) {
  const int ext = sqlite3_extended_errcode(db);
  std::string msg = "sqlite " + path + ": " + what + ": " + sqlite3_errmsg(db);
  if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE) {
    return Status::Conflict(std::move(msg));
  }
  return Status::Internal(std::move(msg));
}

}  // namespace

Result<std::unique_ptr<Database>> SqliteDatabase::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::Internal("cannot open sqlite database " + path + ": " + msg);
  }
  std::unique_ptr<SqliteDatabase> out(new SqliteDatabase(db, path));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  // WAL lets readers (e.g. an OCSP responder) run while another process writes.
  TP_RETURN_IF_ERROR(out->Query("PRAGMA journal_mode=WAL", {}).status());
  TP_RETURN_IF_ERROR(out->Execute("PRAGMA foreign_keys=ON", {}).status());
  return std::unique_ptr<Database>(std::move(out));
}

SqliteDatabase::~SqliteDatabase() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<std::vector<DbRow>> SqliteDatabase::Run(const std::string& sql,
                                               const std::vector<DbParam>& params,
                                               int64_t* changes) {
  std::lock_guard lock(mu_);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> one_off(nullptr, sqlite3_finalize);
  sqlite3_stmt* raw = nullptr;
  if (auto it = statements_.find(sql); it != statements_.end()) {
    raw = it->second;
  } else {
    if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                           nullptr) != SQLITE_OK) {
      return SqliteError(db_, "preparing '" + sql + "'", path_);
    }
    // Callers bind their values, so the distinct SQL texts are few; the
    // bound is a guard against one that does not.
    if (statements_.size() < kMaxCachedStatements) {
      statements_.emplace(sql, raw);
    } else {
      one_off.reset(raw);
    }
  }
  // Ready for the next caller however this one ends.
  struct ResetOnExit {
    sqlite3_stmt* s;
    ~ResetOnExit() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } reset{raw};
  for (size_t i = 0; i < params.size(); ++i) {
    const int idx = static_cast<int>(i + 1);
    const DbParam& p = params[i];
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(p)) {
      rc = sqlite3_bind_null(raw, idx);
    } else if (const auto* n = std::get_if<int64_t>(&p)) {
      rc = sqlite3_bind_int64(raw, idx, *n);
    } else if (const auto* t = std::get_if<std::string>(&p)) {
      rc = sqlite3_bind_text64(raw, idx, t->data(), t->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      const auto& b = std::get<Blob>(p).bytes;
      rc = sqlite3_bind_blob64(raw, idx, b.data(), b.size(), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) return SqliteError(db_, "binding parameter " + std::to_string(idx), path_);
  }
  std::vector<DbRow> rows;
  for (;;) {
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return SqliteError(db_, "running '" + sql + "'", path_);
    DbRow row;
    const int n = sqlite3_column_count(raw);
    for (int c = 0; c < n; ++c) {
      if (sqlite3_column_type(raw, c) == SQLITE_NULL) {
        row.columns.emplace_back(std::nullopt);
        continue;
      }
      const void* data = sqlite3_column_blob(raw, c);
      const int len = sqlite3_column_bytes(raw, c);
      row.columns.emplace_back(std::string(static_cast<const char*>(data), len));
    }
    rows.push_back(std::move(row));
  }
  if (changes) *changes = sqlite3_changes64(db_);
  return rows;
}

Result<int64_t> SqliteDatabase::Execute(const std::string& sql,
                                        const std::vector<DbParam>& params) {
  int64_t changes = 0;
  TP_RETURN_IF_ERROR(Run(sql, params, &changes).status());
  return changes;
}

Result<std::vector<DbRow>> SqliteDatabase::Query(const std::string& sql,
                                                 const std::vector<DbParam>& params) {
  return Run(sql, params, nullptr);
}

// IMMEDIATE takes the write lock up front, so two writers wait (busy timeout)
// instead of failing on lock upgrade.
Status SqliteDatabase::Begin() { return Execute("BEGIN IMMEDIATE", {}).status(); }
Status SqliteDatabase::Commit() { return Execute("COMMIT", {}).status(); }
Status SqliteDatabase::Rollback() { return Execute("ROLLBACK", {}).status(); }

}  // namespace trustplane::store
