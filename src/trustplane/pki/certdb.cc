#include "trustplane/pki/certdb.h"

#include <sys/stat.h>

#include <ctime>

#include <nlohmann/json.hpp>

namespace trustplane::pki {

using store::Blob;
using store::DbEngine;
using store::DbParam;
using store::DbRow;

namespace {

// Ours, not cfssl's: the last CRL number handed out per CA.
constexpr const char* kCrlNumbersSchema =
    "CREATE TABLE IF NOT EXISTS trustplane_crl_numbers ("
    " authority_key_identifier TEXT PRIMARY KEY, last_number BIGINT NOT NULL)";

// cfssl's sqlite migrations (001 + 002), re-expressed.
constexpr const char* kSqliteSchema[] = {
    "CREATE TABLE IF NOT EXISTS certificates ("
    " serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, ca_label blob,"
    " status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp,"
    " pem blob NOT NULL, issued_at timestamp, not_before timestamp, metadata text,"
    " sans text, common_name text,"
    " PRIMARY KEY(serial_number, authority_key_identifier))",
    "CREATE TABLE IF NOT EXISTS ocsp_responses ("
    " serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,"
    " body blob NOT NULL, expiry timestamp,"
    " PRIMARY KEY(serial_number, authority_key_identifier),"
    " FOREIGN KEY(serial_number, authority_key_identifier)"
    " REFERENCES certificates(serial_number, authority_key_identifier))",
    kCrlNumbersSchema,
};

// cfssl's postgres migrations (001 + 002), re-expressed.
constexpr const char* kPostgresSchema[] = {
    "CREATE TABLE IF NOT EXISTS certificates ("
    " serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL, ca_label bytea,"
    " status bytea NOT NULL, reason int, expiry timestamptz, revoked_at timestamptz,"
    " pem bytea NOT NULL, issued_at timestamptz, not_before timestamptz, metadata jsonb,"
    " sans jsonb, common_name TEXT,"
    " PRIMARY KEY(serial_number, authority_key_identifier))",
    "CREATE TABLE IF NOT EXISTS ocsp_responses ("
    " serial_number bytea NOT NULL, authority_key_identifier bytea NOT NULL,"
    " body bytea NOT NULL, expiry timestamptz,"
    " PRIMARY KEY(serial_number, authority_key_identifier),"
    " FOREIGN KEY(serial_number, authority_key_identifier)"
    " REFERENCES certificates(serial_number, authority_key_identifier))",
    kCrlNumbersSchema,
};

Result<std::optional<UnixSeconds>> OptInt(const DbRow& row, size_t i) {
  if (!row.columns[i]) return std::optional<UnixSeconds>();
  TP_ASSIGN_OR_RETURN(int64_t v, row.Int(i));
  return std::optional<UnixSeconds>(v);
}

// Go's zero time.Time (0001-01-01 00:00:00 UTC) in Unix seconds: what cfssl
// stores as revoked_at of a certificate that is not revoked.
constexpr UnixSeconds kGoZeroTime = -62135596800;

// revoked_at: NULL (older trustplane) and Go's zero time (cfssl) both mean
// "not revoked".
Result<std::optional<UnixSeconds>> RevokedAt(const DbRow& row, size_t i) {
  TP_ASSIGN_OR_RETURN(auto t, OptInt(row, i));
  if (t && *t == kGoZeroTime) t.reset();
  return t;
}

// The columns status, reason, expiry, revoked_at, in that order from
// `first`, into a CertificateRecord or a CertificateStatus.
template <class T>
Status ReadStatusColumns(const DbRow& row, size_t first, T& out) {
  out.status = row.Text(first);
  if (row.columns[first + 1]) {
    TP_ASSIGN_OR_RETURN(out.reason, row.Int(first + 1));
  }
  if (row.columns[first + 2]) {
    TP_ASSIGN_OR_RETURN(out.expiry, row.Int(first + 2));
  }
  TP_ASSIGN_OR_RETURN(out.revoked_at, RevokedAt(row, first + 3));
  return Status::Ok();
}

constexpr std::chrono::milliseconds kStatusStampInterval{5};

// Bounds the status cache: a scan over many serials must not grow it forever.
constexpr size_t kStatusCacheMaxEntries = 100000;

}  // namespace

Result<CertDb> CertDb::Open(store::Database& db) {
  CertDb out(db);
  if (db.engine() == DbEngine::kSqlite) {
    for (const char* sql : kSqliteSchema) TP_RETURN_IF_ERROR(db.Execute(sql, {}).status());
  } else {
    for (const char* sql : kPostgresSchema) TP_RETURN_IF_ERROR(db.Execute(sql, {}).status());
  }
  return out;
}

// cfssl's Go code passes strings: the sqlite driver stores them as TEXT (and
// lookups must bind TEXT to match), while postgres columns are bytea.
DbParam CertDb::Bytes(const std::string& s) const {
  if (db_->engine() == DbEngine::kPostgres) return Blob{s};
  return s;
}

// Timestamps as cfssl's Go drivers write them: go-sqlite3 stores time.Time as
// text "YYYY-MM-DD HH:MM:SS+00:00" (UTC here); lib/pq sends timestamptz text,
// which we write as "YYYY-MM-DD HH:MM:SS+00".
DbParam CertDb::Time(UnixSeconds t) const {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return std::string(buf) + (db_->engine() == DbEngine::kSqlite ? "+00:00" : "+00");
}

DbParam CertDb::OptTime(const std::optional<UnixSeconds>& t) const {
  if (!t) return std::monostate();
  return Time(*t);
}

// cfssl's readers scan revoked_at into a time.Time, which fails on NULL, so a
// certificate that is not revoked carries Go's zero time, written as each
// cfssl driver writes it (go-sqlite3 text, lib/pq timestamptz).
DbParam CertDb::RevokedAtParam(const std::optional<UnixSeconds>& t) const {
  if (t) return Time(*t);
  return std::string(db_->engine() == DbEngine::kSqlite ? "0001-01-01 00:00:00+00:00"
                                                         : "0001-01-01 00:00:00+00");
}

// Reads a timestamp column back as Unix seconds, whatever offset it was written with.
std::string CertDb::Epoch(const std::string& column) const {
  if (db_->engine() == DbEngine::kSqlite) {
    return "CAST(strftime('%s', " + column + ") AS INTEGER)";
  }
  return "CAST(EXTRACT(EPOCH FROM " + column + ") AS BIGINT)";
}

Status CertDb::InsertCertificate(const CertificateRecord& rec) {
  DbParam sans = std::monostate();
  if (!rec.sans.empty()) sans = nlohmann::json(rec.sans).dump();
  DbParam metadata = std::monostate();
  if (!rec.metadata_json.empty()) metadata = rec.metadata_json;
  const Status s =
      db_->Execute(
             "INSERT INTO certificates (serial_number, authority_key_identifier, ca_label, status,"
             " reason, expiry, revoked_at, pem, issued_at, not_before, metadata, sans, common_name)"
             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             {Bytes(rec.serial_number), Bytes(rec.authority_key_identifier), Bytes(rec.ca_label),
              Bytes(rec.status), rec.reason, Time(rec.expiry), RevokedAtParam(rec.revoked_at),
              Bytes(rec.pem), OptTime(rec.issued_at), OptTime(rec.not_before), metadata, sans,
              rec.common_name})
          .status();
  ForgetStatus(rec.serial_number, rec.authority_key_identifier);
  if (s.is(ErrorCode::kConflict)) {
    return Status::Conflict("certdb already has certificate serial " + rec.serial_number +
                            " aki " + rec.authority_key_identifier);
  }
  return s;
}

Result<std::vector<CertificateRecord>> CertDb::QueryCertificates(
    const std::string& where, const std::vector<DbParam>& p) {
  TP_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query("SELECT serial_number, authority_key_identifier, ca_label, status, reason, " +
                     Epoch("expiry") + ", " + Epoch("revoked_at") + ", pem, " +
                     Epoch("issued_at") + ", " + Epoch("not_before") +
                     ", metadata, sans, common_name FROM certificates WHERE " + where,
                 p));
  std::vector<CertificateRecord> out;
  for (const DbRow& row : rows) {
    CertificateRecord r;
    r.serial_number = row.Text(0);
    r.authority_key_identifier = row.Text(1);
    r.ca_label = row.Text(2);
    TP_RETURN_IF_ERROR(ReadStatusColumns(row, 3, r));
    r.pem = row.Text(7);
    TP_ASSIGN_OR_RETURN(r.issued_at, OptInt(row, 8));
    TP_ASSIGN_OR_RETURN(r.not_before, OptInt(row, 9));
    r.metadata_json = row.Text(10);
    if (row.columns[11]) {
      try {
        r.sans = nlohmann::json::parse(*row.columns[11]).get<std::vector<std::string>>();
      } catch (const nlohmann::json::exception& e) {
        return Status::Internal("certdb: certificate " + r.serial_number +
                                " has a malformed sans column: " + e.what());
      }
    }
    r.common_name = row.Text(12);
    out.push_back(std::move(r));
  }
  return out;
}

Result<CertificateRecord> CertDb::GetCertificate(const std::string& serial,
                                                 const std::string& aki) {
  TP_ASSIGN_OR_RETURN(auto recs,
                      QueryCertificates("serial_number = ? AND authority_key_identifier = ?",
                                        {Bytes(serial), Bytes(aki)}));
  if (recs.empty()) {
    return Status::NotFound("certdb has no certificate serial " + serial + " aki " + aki);
  }
  return std::move(recs.front());
}

Result<std::vector<CertificateRecord>> CertDb::GetUnexpiredCertificates() {
  return QueryCertificates("CURRENT_TIMESTAMP < expiry", {});
}

void CertDb::ForgetStatus(const std::string& serial, const std::string& aki) {
  if (!status_cache_.empty()) status_cache_.erase(serial + '\0' + aki);
}

Result<CertificateStatus> CertDb::GetCertificateStatus(const std::string& serial,
                                                       const std::string& aki) {
  const auto now = std::chrono::steady_clock::now();
  if (db_->engine() == DbEngine::kSqlite) {
    if (!wal_path_) {
      TP_ASSIGN_OR_RETURN(auto rows, db_->Query("PRAGMA database_list", {}));
      wal_path_.emplace();
      for (const DbRow& row : rows) {
        if (row.Text(1) == "main" && !row.Text(2).empty()) *wal_path_ = row.Text(2) + "-wal";
      }
    }
    // Every commit (from any process) writes the WAL: a changed stamp means
    // the cache may be stale. One stat instead of SQLite's file locks, and
    // at most every kStatusStampInterval (a path stat costs ~3 µs here, a
    // tenth of an OCSP answer).
    if (!wal_path_->empty() && now - stamp_checked_at_ >= kStatusStampInterval) {
      stamp_checked_at_ = now;
      WalStamp stamp;
      struct stat st {};
      if (stat(wal_path_->c_str(), &st) == 0) {
        stamp = {st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_size, static_cast<int64_t>(st.st_ino)};
      }
      if (!(stamp == wal_stamp_)) {
        status_cache_.clear();
        wal_stamp_ = stamp;
      }
    }
  }
  // The backstop: mtime ticks are coarse, so two commits in one tick with the
  // same WAL size would go unseen by the stamp.
  if (now - status_checked_at_ >= kStatusCacheMaxAge) {
    // SQLite: one cheap check for commits by other connections or
    // processes; when there were none every entry is still right.
    if (db_->engine() == DbEngine::kSqlite) {
      TP_ASSIGN_OR_RETURN(auto rows, db_->Query("PRAGMA data_version", {}));
      int64_t version = -1;
      if (!rows.empty()) {
        TP_ASSIGN_OR_RETURN(version, rows.front().Int(0));
      }
      if (version != data_version_ || version < 0) status_cache_.clear();
      data_version_ = version;
    }
    status_checked_at_ = now;
  }
  std::string key = serial + '\0' + aki;
  if (auto it = status_cache_.find(key); it != status_cache_.end()) {
    // PostgreSQL has no such change counter: entries age out instead.
    if (db_->engine() == DbEngine::kSqlite || now - it->second.read_at < kStatusCacheMaxAge) {
      return it->second.status;
    }
  }
  TP_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query("SELECT status, reason, " + Epoch("expiry") + ", " + Epoch("revoked_at") +
                     " FROM certificates WHERE serial_number = ? AND authority_key_identifier = ?",
                 {Bytes(serial), Bytes(aki)}));
  if (rows.empty()) {
    return Status::NotFound("certdb has no certificate serial " + serial + " aki " + aki);
  }
  const DbRow& row = rows.front();
  CertificateStatus st;
  TP_RETURN_IF_ERROR(ReadStatusColumns(row, 0, st));
  if (status_cache_.size() >= kStatusCacheMaxEntries) status_cache_.clear();
  status_cache_.insert_or_assign(std::move(key), CachedStatus{st, now});
  return st;
}

std::string CertDb::RevokedAndUnexpired() const {
  return "CURRENT_TIMESTAMP < expiry AND status = " +
         std::string(db_->engine() == DbEngine::kPostgres ? "'revoked'::bytea" : "'revoked'");
}

Result<std::vector<CertificateRecord>> CertDb::GetRevokedAndUnexpiredCertificates(
    const std::string& ca_label) {
  if (ca_label.empty()) return QueryCertificates(RevokedAndUnexpired(), {});
  return QueryCertificates(RevokedAndUnexpired() + " AND ca_label = ?", {Bytes(ca_label)});
}

Result<std::vector<CertificateRecord>> CertDb::GetRevokedAndUnexpiredCertificatesByAki(
    const std::string& aki) {
  return QueryCertificates(RevokedAndUnexpired() + " AND authority_key_identifier = ?", {Bytes(aki)});
}

Result<int64_t> CertDb::NextCrlNumber(const std::string& aki) {
  TP_ASSIGN_OR_RETURN(
      auto rows,
      db_->Query("INSERT INTO trustplane_crl_numbers (authority_key_identifier, last_number)"
                 " VALUES (?, 1) ON CONFLICT (authority_key_identifier) DO UPDATE"
                 " SET last_number = trustplane_crl_numbers.last_number + 1 RETURNING last_number",
                 {aki}));
  if (rows.size() != 1) return Status::Internal("certdb: no CRL number came back for " + aki);
  return rows.front().Int(0);
}

Status CertDb::RevokeCertificate(const std::string& serial, const std::string& aki,
                                 int64_t reason) {
  TP_ASSIGN_OR_RETURN(
      int64_t changed,
      db_->Execute("UPDATE certificates SET status = ?, revoked_at = CURRENT_TIMESTAMP,"
                   " reason = ? WHERE serial_number = ? AND authority_key_identifier = ?",
                   {Bytes("revoked"), reason, Bytes(serial), Bytes(aki)}));
  ForgetStatus(serial, aki);
  if (changed == 0) {
    return Status::NotFound("cannot revoke: certdb has no certificate serial " + serial +
                            " aki " + aki);
  }
  return Status::Ok();
}

Status CertDb::Begin() { return db_->Begin(); }
Status CertDb::Commit() { return db_->Commit(); }
Status CertDb::Rollback() { return db_->Rollback(); }

Status CertDb::InsertOCSP(const OcspRecord& rec) {
  const Status s = db_->Execute(
                          "INSERT INTO ocsp_responses (serial_number, authority_key_identifier,"
                          " body, expiry) VALUES (?, ?, ?, ?)",
                          {Bytes(rec.serial_number), Bytes(rec.authority_key_identifier),
                           Blob{rec.body}, Time(rec.expiry)})
                       .status();
  if (s.is(ErrorCode::kConflict)) {
    return Status::Conflict("certdb already has an OCSP response for serial " +
                            rec.serial_number + " aki " + rec.authority_key_identifier);
  }
  return s;
}

// Unlike cfssl's UPDATE-then-INSERT, one transaction so concurrent refreshes
// cannot both insert.
Status CertDb::UpsertOCSP(const OcspRecord& rec) {
  // A response is re-signed when the status changed, perhaps through another
  // connection: the next status lookup should read the row again.
  ForgetStatus(rec.serial_number, rec.authority_key_identifier);
  TP_RETURN_IF_ERROR(db_->Begin());
  auto changed = db_->Execute(
      "UPDATE ocsp_responses SET body = ?, expiry = ?"
      " WHERE serial_number = ? AND authority_key_identifier = ?",
      {Blob{rec.body}, Time(rec.expiry), Bytes(rec.serial_number),
       Bytes(rec.authority_key_identifier)});
  Status s = changed.status();
  if (s.ok() && *changed == 0) s = InsertOCSP(rec);
  if (!s.ok()) {
    (void)db_->Rollback();  // the original error is the one worth reporting
    return s;
  }
  return db_->Commit();
}

Result<std::vector<OcspRecord>> CertDb::QueryOcsp(const std::string& where,
                                                  const std::vector<DbParam>& p) {
  TP_ASSIGN_OR_RETURN(auto rows,
                      db_->Query("SELECT serial_number, authority_key_identifier, body, " +
                                     Epoch("expiry") + " FROM ocsp_responses WHERE " + where,
                                 p));
  std::vector<OcspRecord> out;
  for (const DbRow& row : rows) {
    OcspRecord r;
    r.serial_number = row.Text(0);
    r.authority_key_identifier = row.Text(1);
    r.body = row.Text(2);
    if (row.columns[3]) {
      TP_ASSIGN_OR_RETURN(r.expiry, row.Int(3));
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<OcspRecord> CertDb::GetOCSP(const std::string& serial, const std::string& aki) {
  TP_ASSIGN_OR_RETURN(auto recs,
                      QueryOcsp("serial_number = ? AND authority_key_identifier = ?",
                                {Bytes(serial), Bytes(aki)}));
  if (recs.empty()) {
    return Status::NotFound("certdb has no OCSP response for serial " + serial + " aki " + aki);
  }
  return std::move(recs.front());
}

Result<std::vector<OcspRecord>> CertDb::GetUnexpiredOCSPs() {
  return QueryOcsp("CURRENT_TIMESTAMP < expiry", {});
}

}  // namespace trustplane::pki
