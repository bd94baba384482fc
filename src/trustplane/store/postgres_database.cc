#include "trustplane/store/postgres_database.h"

#include <libpq-fe.h>

#include <cstring>
#include <mutex>

#include "trustplane/base/shared_library.h"

namespace trustplane::store {

namespace {

// libpq is loaded on first use (base/shared_library.h): only a postgres://
// certdb needs it.
struct LibPq {
  decltype(&::PQconnectdb) connectdb;
  decltype(&::PQstatus) status;
  decltype(&::PQerrorMessage) errorMessage;
  decltype(&::PQfinish) finish;
  decltype(&::PQexecParams) execParams;
  decltype(&::PQresultStatus) resultStatus;
  decltype(&::PQclear) clear;
  decltype(&::PQresultErrorMessage) resultErrorMessage;
  decltype(&::PQresultErrorField) resultErrorField;
  decltype(&::PQntuples) ntuples;
  decltype(&::PQnfields) nfields;
  decltype(&::PQgetisnull) getisnull;
  decltype(&::PQgetvalue) getvalue;
  decltype(&::PQgetlength) getlength;
  decltype(&::PQftype) ftype;
  decltype(&::PQunescapeBytea) unescapeBytea;
  decltype(&::PQfreemem) freemem;
  decltype(&::PQcmdTuples) cmdTuples;
};

// The loaded library, or the reason it could not be loaded; once per process.
Result<const LibPq*> LoadLibPq() {
  static std::once_flag once;
  static LibPq lib;
  static Status status;
  std::call_once(once, [] {
    auto so = SharedLibrary::Open("libpq.so.5", "libpq5");
    if (!so.ok()) {
      status = so.status();
      return;
    }
    so->Bind("PQconnectdb", lib.connectdb)
        .Bind("PQstatus", lib.status)
        .Bind("PQerrorMessage", lib.errorMessage)
        .Bind("PQfinish", lib.finish)
        .Bind("PQexecParams", lib.execParams)
        .Bind("PQresultStatus", lib.resultStatus)
        .Bind("PQclear", lib.clear)
        .Bind("PQresultErrorMessage", lib.resultErrorMessage)
        .Bind("PQresultErrorField", lib.resultErrorField)
        .Bind("PQntuples", lib.ntuples)
        .Bind("PQnfields", lib.nfields)
        .Bind("PQgetisnull", lib.getisnull)
        .Bind("PQgetvalue", lib.getvalue)
        .Bind("PQgetlength", lib.getlength)
        .Bind("PQftype", lib.ftype)
        .Bind("PQunescapeBytea", lib.unescapeBytea)
        .Bind("PQfreemem", lib.freemem)
        .Bind("PQcmdTuples", lib.cmdTuples);
    status = so->status();
  });
  TP_RETURN_IF_ERROR(status);
  return &lib;
}

// Only after Open succeeded.
const LibPq& Pq() {
  return *LoadLibPq().value();
}

// SQLSTATE 23505: unique_violation.
constexpr const char* kUniqueViolation = "23505";

std::string ToDollarPlaceholders(const std::string& sql) {
  std::string out;
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Database>> PostgresDatabase::Open(const std::string& conninfo) {
  TP_RETURN_IF_ERROR(LoadLibPq().status());
  PGconn* conn = Pq().connectdb(conninfo.c_str());
  if (conn == nullptr) return Status::Internal("cannot allocate a PostgreSQL connection");
  if (Pq().status(conn) != CONNECTION_OK) {
    std::string msg = Pq().errorMessage(conn);
    Pq().finish(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return Status::Internal("cannot connect to PostgreSQL: " + msg);
  }
  std::unique_ptr<PostgresDatabase> db(new PostgresDatabase(conn));
  // Timestamps cross the interface as UTC text; NOTICEs (e.g. "already
  // exists, skipping") would otherwise go to stderr.
  TP_RETURN_IF_ERROR(db->Execute("SET TIME ZONE 'UTC'", {}).status());
  TP_RETURN_IF_ERROR(db->Execute("SET client_min_messages = warning", {}).status());
  return std::unique_ptr<Database>(std::move(db));
}

PostgresDatabase::~PostgresDatabase() {
  Pq().finish(conn_);
}

Result<std::vector<DbRow>> PostgresDatabase::Run(const std::string& sql,
                                                 const std::vector<DbParam>& params,
                                                 int64_t* changes) {
  std::vector<std::string> storage(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<int> lengths(params.size(), 0);
  std::vector<int> formats(params.size(), 0);
  for (size_t i = 0; i < params.size(); ++i) {
    const DbParam& p = params[i];
    if (std::holds_alternative<std::monostate>(p)) continue;
    if (const auto* n = std::get_if<int64_t>(&p)) {
      storage[i] = std::to_string(*n);
    } else if (const auto* t = std::get_if<std::string>(&p)) {
      storage[i] = *t;
    } else {
      storage[i] = std::get<Blob>(p).bytes;
      formats[i] = 1;  // binary: bytea takes the raw bytes
    }
    values[i] = storage[i].data();
    lengths[i] = static_cast<int>(storage[i].size());
  }
  const std::string pg_sql = ToDollarPlaceholders(sql);
  // Text results; bytea columns are unescaped below.
  std::unique_ptr<PGresult, void (*)(PGresult*)> res(
      Pq().execParams(conn_, pg_sql.c_str(), static_cast<int>(params.size()), nullptr,
                      values.data(), lengths.data(), formats.data(), /*resultFormat=*/0),
      Pq().clear);
  const ExecStatusType st = res ? Pq().resultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    std::string msg = res ? Pq().resultErrorMessage(res.get()) : Pq().errorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    msg = "postgres: running '" + sql + "': " + msg;
    const char* state = res ? Pq().resultErrorField(res.get(), PG_DIAG_SQLSTATE) : nullptr;
    if (state && std::strcmp(state, kUniqueViolation) == 0) return Status::Conflict(msg);
    return Status::Internal(msg);
  }
  std::vector<DbRow> rows;
  const int nrows = Pq().ntuples(res.get());
  const int ncols = Pq().nfields(res.get());
  for (int r = 0; r < nrows; ++r) {
    DbRow row;
    for (int c = 0; c < ncols; ++c) {
      if (Pq().getisnull(res.get(), r, c)) {
        row.columns.emplace_back(std::nullopt);
        continue;
      }
      const char* v = Pq().getvalue(res.get(), r, c);
      if (Pq().ftype(res.get(), c) == 17 /* BYTEAOID */) {
        size_t len = 0;
        unsigned char* raw = Pq().unescapeBytea(reinterpret_cast<const unsigned char*>(v), &len);
        if (raw == nullptr) return Status::Internal("postgres: cannot decode bytea column");
        row.columns.emplace_back(std::string(reinterpret_cast<char*>(raw), len));
        Pq().freemem(raw);
      } else {
        row.columns.emplace_back(std::string(v, Pq().getlength(res.get(), r, c)));
      }
    }
    rows.push_back(std::move(row));
  }
  if (changes) {
    const char* n = Pq().cmdTuples(res.get());
    *changes = (n && *n) ? std::stoll(n) : 0;
  }
  return rows;
}

Result<int64_t> PostgresDatabase::Execute(const std::string& sql,
                                          const std::vector<DbParam>& params) {
  int64_t changes = 0;
  TP_RETURN_IF_ERROR(Run(sql, params, &changes).status());
  return changes;
}

Result<std::vector<DbRow>> PostgresDatabase::Query(const std::string& sql,
                                                   const std::vector<DbParam>& params) {
  return Run(sql, params, nullptr);
}

Status PostgresDatabase::Begin() {
  return Execute("BEGIN", {}).status();
}
Status PostgresDatabase::Commit() {
  return Execute("COMMIT", {}).status();
}
Status PostgresDatabase::Rollback() {
  return Execute("ROLLBACK", {}).status();
}

}  // namespace trustplane::store
