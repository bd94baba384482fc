// CertDb: the record of every issued certificate and its OCSP responses, in
// cfssl's certdb schema (tables `certificates` and `ocsp_responses`) so an
// existing cfssl database can be used as is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

// One `ocsp_responses` row; body is the DER response, expiry its nextUpdate.
struct OcspRecord {
  std::string serial_number;
  std::string authority_key_identifier;
  std::string body;
  UnixSeconds expiry = 0;
};

class CertDb {
 public:
  // Creates the cfssl tables if absent. `db` must outlive the CertDb.
  static Result<CertDb> Open(store::Database& db);

  Status InsertCertificate(const CertificateRecord& rec);  // kConflict if present
  Result<CertificateRecord> GetCertificate(const std::string& serial, const std::string& aki);
  Result<std::vector<CertificateRecord>> GetUnexpiredCertificates();
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
  std::string Epoch(const std::string& column) const;
  std::string RevokedAndUnexpired() const;
  Result<std::vector<CertificateRecord>> QueryCertificates(const std::string& where,
                                                           const std::vector<store::DbParam>& p);
  Result<std::vector<OcspRecord>> QueryOcsp(const std::string& where,
                                            const std::vector<store::DbParam>& p);
  store::Database* db_;
};

}  // namespace trustplane::pki
