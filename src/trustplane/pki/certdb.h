// CertDb: the record of every issued certificate and its OCSP responses, in
// cfssl's certdb schema (tables `certificates` and `ocsp_responses`) so an
// existing cfssl database can be used as is.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/base/time.h"
#include "trustplane/store/database.h"

namespace trustplane::pki {

// One `certificates` row. Value conventions follow cfssl: serial_number is
// the decimal serial, authority_key_identifier lowercase hex without colons,
// status "good" or "revoked", reason an RFC 5280 code.
struct CertificateRecord {
  std::string serial_number;
  std::string authority_key_identifier;
  std::string ca_label;
  std::string status = "good";
  int64_t reason = 0;
  UnixSeconds expiry = 0;
  std::optional<UnixSeconds> revoked_at;
  std::string pem;
  std::optional<UnixSeconds> issued_at;
  std::optional<UnixSeconds> not_before;
  std::string metadata_json;       // JSON object text; empty stores NULL
  std::vector<std::string> sans;   // DNS SANs only, as cfssl records them
  std::string common_name;
};

// What an OCSP answer needs of a `certificates` row, and no more.
struct CertificateStatus {
  std::string status = "good";
  int64_t reason = 0;
  UnixSeconds expiry = 0;
  std::optional<UnixSeconds> revoked_at;
};

// One `ocsp_responses` row; body is the DER response, expiry its nextUpdate.
struct OcspRecord {
  std::string serial_number;
  std::string authority_key_identifier;
  std::string body;
  UnixSeconds expiry = 0;
};

// Not thread-safe: one connection; callers serialize their calls.
class CertDb {
 public:
  // Creates the cfssl tables if absent. `db` must outlive the CertDb.
  static Result<CertDb> Open(store::Database& db);

  Status InsertCertificate(const CertificateRecord& rec);  // kConflict if present
  Result<CertificateRecord> GetCertificate(const std::string& serial, const std::string& aki);
  Result<std::vector<CertificateRecord>> GetUnexpiredCertificates();
  // The status columns only, for the OCSP hot path; kNotFound when absent.
  // Answers may come from memory: a change made through this CertDb shows at
  // once. SQLite: a commit by another connection or process shows once the
  // WAL file's mtime/size has moved (checked every few milliseconds), and at
  // the latest after kStatusCacheMaxAge (PRAGMA data_version). PostgreSQL:
  // entries age out after kStatusCacheMaxAge.
  Result<CertificateStatus> GetCertificateStatus(const std::string& serial, const std::string& aki);
  static constexpr std::chrono::milliseconds kStatusCacheMaxAge{250};
  // CRL input; an empty label means every CA.
  Result<std::vector<CertificateRecord>> GetRevokedAndUnexpiredCertificates(
      const std::string& ca_label = "");
  // CRL input for one CA: its revoked, unexpired certificates by AKI.
  Result<std::vector<CertificateRecord>> GetRevokedAndUnexpiredCertificatesByAki(
      const std::string& aki);
  // kNotFound when no certificate has this serial and AKI.
  Status RevokeCertificate(const std::string& serial, const std::string& aki, int64_t reason);

  // The next CRL number of the CA with this key identifier: 1, 2, 3, ...,
  // atomic across processes (a table of our own, trustplane_crl_numbers).
  Result<int64_t> NextCrlNumber(const std::string& aki);

  // One transaction around several writes (e.g. a batch of issued
  // certificates committed together: one durable commit for all of them).
  Status Begin();
  Status Commit();
  Status Rollback();

  Status InsertOCSP(const OcspRecord& rec);  // kConflict if present
  Status UpsertOCSP(const OcspRecord& rec);
  Result<OcspRecord> GetOCSP(const std::string& serial, const std::string& aki);
  Result<std::vector<OcspRecord>> GetUnexpiredOCSPs();

 private:
  explicit CertDb(store::Database& db) : db_(&db) {}
  store::DbParam Bytes(const std::string& s) const;
  store::DbParam Time(UnixSeconds t) const;
  store::DbParam OptTime(const std::optional<UnixSeconds>& t) const;
  store::DbParam RevokedAtParam(const std::optional<UnixSeconds>& t) const;
  std::string Epoch(const std::string& column) const;
  std::string RevokedAndUnexpired() const;
  Result<std::vector<CertificateRecord>> QueryCertificates(const std::string& where,
                                                           const std::vector<store::DbParam>& p);
  Result<std::vector<OcspRecord>> QueryOcsp(const std::string& where,
                                            const std::vector<store::DbParam>& p);
  void ForgetStatus(const std::string& serial, const std::string& aki);
  store::Database* db_;

  struct CachedStatus {
    CertificateStatus status;
    std::chrono::steady_clock::time_point read_at;
  };
  std::unordered_map<std::string, CachedStatus> status_cache_;  // by serial + '\0' + AKI
  std::chrono::steady_clock::time_point status_checked_at_{};
  std::chrono::steady_clock::time_point stamp_checked_at_{};
  int64_t data_version_ = -1;  // SQLite: PRAGMA data_version at status_checked_at_
  std::optional<std::string> wal_path_;  // SQLite: "<db file>-wal", "" for in-memory
  struct WalStamp {
    int64_t sec = -1, nsec = 0, size = 0, ino = 0;
    bool operator==(const WalStamp&) const = default;
  };
  WalStamp wal_stamp_;
};

}  // namespace trustplane::pki
