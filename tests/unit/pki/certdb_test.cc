#include "trustplane/pki/certdb.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace trustplane::pki {
namespace {

using store::DbEngine;
using testing::PostgresServer;
using testing::TempDir;

constexpr int64_t kDay = 86400;

CertificateRecord Record(const std::string& serial, UnixSeconds expiry) {
  CertificateRecord r;
  r.serial_number = serial;
  r.authority_key_identifier = "0a1b2c3d4e5f";
  r.ca_label = "primary";
  r.expiry = expiry;
  r.pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  r.issued_at = expiry - 10 * kDay;
  r.not_before = expiry - 10 * kDay;
  r.metadata_json = R"({"team":"a"})";
  r.sans = {"a.example.com", "b.example.com"};
  r.common_name = "a.example.com";
  return r;
}

std::vector<std::string> Serials(const std::vector<CertificateRecord>& recs) {
  std::vector<std::string> out;
  for (const auto& r : recs) out.push_back(r.serial_number);
  std::sort(out.begin(), out.end());
  return out;
}

class CertDbTest : public ::testing::TestWithParam<DbEngine> {
 protected:
  void SetUp() override {
    std::string url = dir_.Join("certdb.db");
    if (GetParam() == DbEngine::kPostgres) {
      PostgresServer* pg = PostgresServer::Shared();
      ASSERT_NE(pg, nullptr);
      url = pg->NewDatabaseUrl();
    }
    url_ = url;
    auto db = store::OpenDatabase(url);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto cdb = CertDb::Open(*db_);
    ASSERT_TRUE(cdb.ok()) << cdb.status().ToString();
    certdb_.emplace(std::move(cdb).value());
  }
  TempDir dir_;
  std::string url_;
  std::unique_ptr<store::Database> db_;
  std::optional<CertDb> certdb_;
  const UnixSeconds now_ = NowUnix();
};

TEST_P(CertDbTest, InsertThenGetRoundTripsEveryColumn) {
  const CertificateRecord in = Record("123456789012345678901234567890", now_ + kDay);
  ASSERT_TRUE(certdb_->InsertCertificate(in).ok());
  auto out = certdb_->GetCertificate(in.serial_number, in.authority_key_identifier);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->ca_label, "primary");
  EXPECT_EQ(out->status, "good");
  EXPECT_EQ(out->expiry, in.expiry);
  EXPECT_FALSE(out->revoked_at.has_value());
  EXPECT_EQ(out->pem, in.pem);
  EXPECT_EQ(out->issued_at, in.issued_at);
  EXPECT_EQ(out->not_before, in.not_before);
  EXPECT_NE(out->metadata_json.find("\"team\""), std::string::npos);
  EXPECT_EQ(out->sans, in.sans);
  EXPECT_EQ(out->common_name, "a.example.com");
}

TEST_P(CertDbTest, DuplicateIsConflictAndMissingIsNotFound) {
  const CertificateRecord in = Record("1", now_ + kDay);
  ASSERT_TRUE(certdb_->InsertCertificate(in).ok());
  EXPECT_EQ(certdb_->InsertCertificate(in).code(), ErrorCode::kConflict);
  EXPECT_EQ(certdb_->GetCertificate("2", in.authority_key_identifier).status().code(),
            ErrorCode::kNotFound);
  // Same serial under another CA key is a different certificate.
  CertificateRecord other = in;
  other.authority_key_identifier = "ffff";
  EXPECT_TRUE(certdb_->InsertCertificate(other).ok());
}

TEST_P(CertDbTest, RevokeMarksAndListsRevokedUnexpired) {
  ASSERT_TRUE(certdb_->InsertCertificate(Record("10", now_ + kDay)).ok());
  ASSERT_TRUE(certdb_->InsertCertificate(Record("11", now_ + kDay)).ok());
  ASSERT_TRUE(certdb_->InsertCertificate(Record("12", now_ - kDay)).ok());
  ASSERT_TRUE(certdb_->RevokeCertificate("10", "0a1b2c3d4e5f", 1).ok());
  ASSERT_TRUE(certdb_->RevokeCertificate("12", "0a1b2c3d4e5f", 4).ok());
  auto got = certdb_->GetCertificate("10", "0a1b2c3d4e5f");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, "revoked");
  EXPECT_EQ(got->reason, 1);
  ASSERT_TRUE(got->revoked_at.has_value());
  EXPECT_LE(std::abs(*got->revoked_at - now_), 60);

  auto unexpired = certdb_->GetUnexpiredCertificates();
  ASSERT_TRUE(unexpired.ok()) << unexpired.status().ToString();
  EXPECT_EQ(Serials(*unexpired), (std::vector<std::string>{"10", "11"}));
  auto revoked = certdb_->GetRevokedAndUnexpiredCertificates();
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(Serials(*revoked), (std::vector<std::string>{"10"}));
  EXPECT_EQ(Serials(*certdb_->GetRevokedAndUnexpiredCertificates("primary")),
            (std::vector<std::string>{"10"}));
  EXPECT_TRUE(certdb_->GetRevokedAndUnexpiredCertificates("other")->empty());
}

TEST_P(CertDbTest, RevokeUnknownIsNotFound) {
  const Status s = certdb_->RevokeCertificate("999", "abcd", 1);
  EXPECT_EQ(s.code(), ErrorCode::kNotFound);
  EXPECT_NE(s.message().find("999"), std::string::npos);
}

TEST_P(CertDbTest, OcspInsertUpsertGetAndUnexpired) {
  ASSERT_TRUE(certdb_->InsertCertificate(Record("20", now_ + kDay)).ok());
  ASSERT_TRUE(certdb_->InsertCertificate(Record("21", now_ + kDay)).ok());
  const std::string der("\x30\x03\x0a\x01\x00", 5);
  OcspRecord o{"20", "0a1b2c3d4e5f", der, now_ + kDay};
  ASSERT_TRUE(certdb_->InsertOCSP(o).ok());
  EXPECT_EQ(certdb_->InsertOCSP(o).code(), ErrorCode::kConflict);
  auto got = certdb_->GetOCSP("20", "0a1b2c3d4e5f");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->body, der);
  EXPECT_EQ(got->expiry, now_ + kDay);

  o.body = "new";
  ASSERT_TRUE(certdb_->UpsertOCSP(o).ok());
  EXPECT_EQ(certdb_->GetOCSP("20", "0a1b2c3d4e5f")->body, "new");
  ASSERT_TRUE(certdb_->UpsertOCSP({"21", "0a1b2c3d4e5f", "old", now_ - kDay}).ok());
  EXPECT_EQ(certdb_->GetOCSP("21", "0a1b2c3d4e5f")->body, "old");
  EXPECT_EQ(certdb_->GetOCSP("22", "0a1b2c3d4e5f").status().code(), ErrorCode::kNotFound);

  auto unexpired = certdb_->GetUnexpiredOCSPs();
  ASSERT_TRUE(unexpired.ok()) << unexpired.status().ToString();
  ASSERT_EQ(unexpired->size(), 1u);
  EXPECT_EQ((*unexpired)[0].serial_number, "20");
}

// cfssl's tools (ocsprefresh, ocspdump) scan revoked_at into a Go time.Time
// and fail on NULL: a good certificate carries Go's zero time, as cfssl
// writes it; both that and NULL (older rows) read back as "not revoked".
TEST_P(CertDbTest, NotRevokedIsGoZeroTimeAndNullStillReads) {
  ASSERT_TRUE(certdb_->InsertCertificate(Record("40", now_ + kDay)).ok());
  const bool pg = GetParam() == DbEngine::kPostgres;
  auto raw = db_->Query(pg ? "SELECT (revoked_at = '0001-01-01 00:00:00+00'::timestamptz)::text"
                             " FROM certificates WHERE serial_number = ?"
                           : "SELECT revoked_at FROM certificates WHERE serial_number = ?",
                        {pg ? store::DbParam(store::Blob{"40"}) : store::DbParam(std::string("40"))});
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  ASSERT_EQ(raw->size(), 1u);
  EXPECT_EQ((*raw)[0].Text(0), pg ? "true" : "0001-01-01 00:00:00+00:00");
  auto good = certdb_->GetCertificate("40", "0a1b2c3d4e5f");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_FALSE(good->revoked_at.has_value());
  auto st = certdb_->GetCertificateStatus("40", "0a1b2c3d4e5f");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->status, "good");
  EXPECT_FALSE(st->revoked_at.has_value());

  ASSERT_TRUE(certdb_->InsertCertificate(Record("41", now_ + kDay)).ok());
  ASSERT_TRUE(db_->Execute("UPDATE certificates SET revoked_at = NULL WHERE serial_number = ?",
                           {pg ? store::DbParam(store::Blob{"41"}) : store::DbParam(std::string("41"))})
                  .ok());
  auto old_row = certdb_->GetCertificate("41", "0a1b2c3d4e5f");
  ASSERT_TRUE(old_row.ok()) << old_row.status().ToString();
  EXPECT_FALSE(old_row->revoked_at.has_value());
  auto old_st = certdb_->GetCertificateStatus("41", "0a1b2c3d4e5f");
  ASSERT_TRUE(old_st.ok()) << old_st.status().ToString();
  EXPECT_FALSE(old_st->revoked_at.has_value());
}

TEST_P(CertDbTest, StatusLookupSeesOwnAndOtherConnectionsRevocations) {
  ASSERT_TRUE(certdb_->InsertCertificate(Record("50", now_ + kDay)).ok());
  ASSERT_TRUE(certdb_->InsertCertificate(Record("51", now_ + kDay)).ok());
  EXPECT_EQ(certdb_->GetCertificateStatus("52", "0a1b2c3d4e5f").status().code(),
            ErrorCode::kNotFound);
  auto st = certdb_->GetCertificateStatus("50", "0a1b2c3d4e5f");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(st->status, "good");
  EXPECT_EQ(st->expiry, now_ + kDay);
  ASSERT_TRUE(certdb_->GetCertificateStatus("51", "0a1b2c3d4e5f").ok());

  // Through this CertDb: at once.
  ASSERT_TRUE(certdb_->RevokeCertificate("50", "0a1b2c3d4e5f", 1).ok());
  st = certdb_->GetCertificateStatus("50", "0a1b2c3d4e5f");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status, "revoked");
  EXPECT_EQ(st->reason, 1);
  ASSERT_TRUE(st->revoked_at.has_value());
  EXPECT_LE(std::abs(*st->revoked_at - now_), 60);

  // Through another connection (another process, say): once the cache's
  // bound has passed; polled, with a generous limit, rather than timed.
  auto other_db = store::OpenDatabase(url_);
  ASSERT_TRUE(other_db.ok()) << other_db.status().ToString();
  auto other = CertDb::Open(**other_db);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(other->RevokeCertificate("51", "0a1b2c3d4e5f", 4).ok());
  std::string seen;
  for (int i = 0; i < 200 && seen != "revoked"; ++i) {
    auto s51 = certdb_->GetCertificateStatus("51", "0a1b2c3d4e5f");
    ASSERT_TRUE(s51.ok()) << s51.status().ToString();
    seen = s51->status;
    if (seen == "revoked") {
      EXPECT_EQ(s51->reason, 4);
    }
    if (seen != "revoked") std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(seen, "revoked");
}

// The columns (names and declared types, in order) of cfssl's migrations
// 001 + 002, so an existing cfssl database and ours are interchangeable.
TEST_P(CertDbTest, SchemaMatchesCfssl) {
  const bool pg = GetParam() == DbEngine::kPostgres;
  const std::string sql =
      pg ? "SELECT column_name, data_type FROM information_schema.columns"
           " WHERE table_name = ? ORDER BY ordinal_position"
         : "SELECT name, type FROM pragma_table_info(?) ORDER BY cid";
  auto columns = [&](const std::string& table) {
    std::vector<std::string> out;
    auto rows = db_->Query(sql, {table});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (rows.ok()) {
      for (const auto& r : *rows) {
        std::string type = r.Text(1);  // SQLite keeps the DDL's spelling; types are case-blind
        std::transform(type.begin(), type.end(), type.begin(), ::tolower);
        out.push_back(r.Text(0) + " " + type);
      }
    }
    return out;
  };
  const std::vector<std::string> sqlite_certs = {
      "serial_number blob", "authority_key_identifier blob", "ca_label blob", "status blob",
      "reason int", "expiry timestamp", "revoked_at timestamp", "pem blob",
      "issued_at timestamp", "not_before timestamp", "metadata text", "sans text",
      "common_name text"};
  const std::vector<std::string> pg_certs = {
      "serial_number bytea", "authority_key_identifier bytea", "ca_label bytea",
      "status bytea", "reason integer", "expiry timestamp with time zone",
      "revoked_at timestamp with time zone", "pem bytea",
      "issued_at timestamp with time zone", "not_before timestamp with time zone",
      "metadata jsonb", "sans jsonb", "common_name text"};
  EXPECT_EQ(columns("certificates"), pg ? pg_certs : sqlite_certs);
  const std::vector<std::string> sqlite_ocsp = {"serial_number blob",
                                                "authority_key_identifier blob", "body blob",
                                                "expiry timestamp"};
  const std::vector<std::string> pg_ocsp = {"serial_number bytea", "authority_key_identifier bytea",
                                            "body bytea", "expiry timestamp with time zone"};
  EXPECT_EQ(columns("ocsp_responses"), pg ? pg_ocsp : sqlite_ocsp);
}

TEST_P(CertDbTest, CrlNumbersIncreasePerCaAndSurviveReopening) {
  EXPECT_EQ(*certdb_->NextCrlNumber("aa"), 1);
  EXPECT_EQ(*certdb_->NextCrlNumber("aa"), 2);
  EXPECT_EQ(*certdb_->NextCrlNumber("bb"), 1);
  auto again = CertDb::Open(*db_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again->NextCrlNumber("aa"), 3);
}

TEST_P(CertDbTest, OpeningTwiceKeepsData) {
  ASSERT_TRUE(certdb_->InsertCertificate(Record("30", now_ + kDay)).ok());
  auto again = CertDb::Open(*db_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->GetCertificate("30", "0a1b2c3d4e5f").ok());
}

INSTANTIATE_TEST_SUITE_P(Engines, CertDbTest,
                         ::testing::Values(DbEngine::kSqlite, DbEngine::kPostgres),
                         [](const auto& info) {
                           return info.param == DbEngine::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace trustplane::pki
