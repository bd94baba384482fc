#include "trustplane/store/postgres_database.h"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <cstring>
#include <mutex>

namespace trustplane::store {

namespace {

// libpq is loaded on first use, not linked: it pulls in about 18 shared
// libraries (Kerberos, LDAP, GnuTLS, ...) whose loading every trustplane
// command paid at start-up, while only a postgres:// certdb needs them.
// The header still gives the functions' types.
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

template <class Fn>
bool Resolve(void* handle, const char* name, Fn& out, std::string* missing) {
  out = reinterpret_cast<Fn>(dlsym(handle, name));
  if (!out) *missing = name;
  return out != nullptr;
}

// The loaded library, or the reason it could not be loaded; once per process
// (the handle is never closed: connections may live until exit).
Result<const LibPq*> LoadLibPq() {
  static std::once_flag once;
  static LibPq lib;
  static std::string error;
  std::call_once(once, [] {
    void* h = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* why = dlerror();
      error = std::string("the PostgreSQL client library libpq.so.5 cannot be loaded (install the "
                          "libpq5 package): ") + (why ? why : "unknown error");
      return;
    }
    std::string missing;
    const bool ok =
        Resolve(h, "PQconnectdb", lib.connectdb, &missing) && Resolve(h, "PQstatus", lib.status, &missing) &&
        Resolve(h, "PQerrorMessage", lib.errorMessage, &missing) && Resolve(h, "PQfinish", lib.finish, &missing) &&
        Resolve(h, "PQexecParams", lib.execParams, &missing) &&
        Resolve(h, "PQresultStatus", lib.resultStatus, &missing) && Resolve(h, "PQclear", lib.clear, &missing) &&
        Resolve(h, "PQresultErrorMessage", lib.resultErrorMessage, &missing) &&
        Resolve(h, "PQresultErrorField", lib.resultErrorField, &missing) &&
        Resolve(h, "PQntuples", lib.ntuples, &missing) && Resolve(h, "PQnfields", lib.nfields, &missing) &&
        Resolve(h, "PQgetisnull", lib.getisnull, &missing) && Resolve(h, "PQgetvalue", lib.getvalue, &missing) &&
        Resolve(h, "PQgetlength", lib.getlength, &missing) && Resolve(h, "PQftype", lib.ftype, &missing) &&
        Resolve(h, "PQunescapeBytea", lib.unescapeBytea, &missing) &&
        Resolve(h, "PQfreemem", lib.freemem, &missing) && Resolve(h, "PQcmdTuples", lib.cmdTuples, &missing);
    if (!ok) {
      error = "libpq.so.5 lacks " + missing + " (install a current libpq5 package)";
      dlclose(h);
    }
  });
  if (!error.empty()) return Status::Internal(error);
  return &lib;
}

const LibPq& Pq() { return *LoadLibPq().value(); }  // only after Open succeeded

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

PostgresDatabase::~PostgresDatabase() { Pq().finish(conn_); }

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

Status PostgresDatabase::Begin() { return Execute("BEGIN", {}).status(); }
Status PostgresDatabase::Commit() { return Execute("COMMIT", {}).status(); }
Status PostgresDatabase::Rollback() { return Execute("ROLLBACK", {}).status(); }

}  // namespace trustplane::store
