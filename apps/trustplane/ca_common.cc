#include "ca_common.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "trustplane/base/time.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::cli {

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WritePublic(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return out ? Status::Ok() : Status::InvalidArgument("cannot write " + path);
}

Result<CaMaterial> LoadCa(const std::string& ca_path, const std::string& key_path) {
  if (ca_path.empty() || key_path.empty()) return Status::InvalidArgument("--ca and --ca-key go together");
  TP_ASSIGN_OR_RETURN(auto bundle, x509::ReadBundleFile(ca_path));
  const char* passphrase = std::getenv("CFSSL_CA_PK_PASSWORD");
  TP_ASSIGN_OR_RETURN(auto key, pki::PrivateKey::Load(key_path, passphrase ? passphrase : ""));
  std::vector<x509::Certificate> chain(bundle.certificates.begin() + 1, bundle.certificates.end());
  return CaMaterial{bundle.certificates.front(), std::move(key), std::move(chain)};
}

void AddCertDbOptions(CLI::App* cmd, CertDbFlags& flags, const std::string& no_db_help) {
  cmd->add_option("--db-config", flags.db_config, "cfssl certdb config JSON (default: certdb.sqlite in the home)");
  cmd->add_option("--db", flags.db, "certdb URL (postgres://... or a SQLite path), instead of --db-config");
  if (!no_db_help.empty()) cmd->add_flag("--no-db", flags.no_db, no_db_help);
}

Result<std::string> DefaultCertDbPath(const std::string& home_dir) {
  std::error_code ec;
  if (std::filesystem::create_directories(home_dir, ec)) {
    std::filesystem::permissions(home_dir, std::filesystem::perms::owner_all, ec);
  }
  if (ec) return Status::Internal("cannot create the trustplane home " + home_dir + ": " + ec.message());
  return home_dir + "/certdb.sqlite";
}

Result<OpenedCertDb> OpenCertDb(const CertDbFlags& flags, const std::string& home_dir) {
  if (!flags.db_config.empty() && !flags.db.empty()) {
    return Status::InvalidArgument("give either --db-config or --db, not both");
  }
  if (flags.no_db) {
    if (!flags.db_config.empty() || !flags.db.empty()) {
      return Status::InvalidArgument("--no-db contradicts --db-config / --db");
    }
    return OpenedCertDb{};
  }
  std::string source = flags.db;
  std::string where = flags.db.starts_with("postgres") ? "the PostgreSQL database of --db" : flags.db;
  if (!flags.db_config.empty()) {
    TP_ASSIGN_OR_RETURN(source, ReadText(flags.db_config));
    where = flags.db_config;
  }
  if (source.empty()) {
    TP_ASSIGN_OR_RETURN(source, DefaultCertDbPath(home_dir));
    where = source;
  }
  auto database = store::OpenDatabase(source);
  if (!database.ok()) {
    return database.status().WithContext(!flags.db_config.empty() ? flags.db_config : "--db " + source);
  }
  OpenedCertDb out;
  out.where = std::move(where);
  out.database = std::move(database).value();
  TP_ASSIGN_OR_RETURN(auto certdb, pki::CertDb::Open(*out.database));
  out.certdb = std::make_unique<pki::CertDb>(std::move(certdb));
  return out;
}

Result<pki::CertificateRecord> RecordIssued(pki::CertDb& certdb, const pki::SignedCertificate& cert,
                                            const std::string& ca_label) {
  pki::CertificateRecord rec;
  rec.serial_number = cert.serial_decimal();
  rec.authority_key_identifier = cert.authority_key_id;
  rec.ca_label = ca_label;
  rec.expiry = cert.not_after;
  rec.pem = cert.ToPem();
  rec.issued_at = NowUnix();
  rec.not_before = cert.not_before;
  rec.sans = cert.sans.dns;
  rec.common_name = cert.common_name;
  TP_RETURN_IF_ERROR(certdb.InsertCertificate(rec));
  return rec;
}

Result<std::optional<pki::OcspResponder>> LoadOcspResponder(const OcspSigningFlags& flags, pki::CertDb* certdb) {
  if (flags.responder.empty() != flags.responder_key.empty()) {
    return Status::InvalidArgument("--responder and --responder-key go together");
  }
  const bool delegated = !flags.responder.empty();
  if (!delegated && flags.ca_key.empty()) return std::optional<pki::OcspResponder>();
  if (flags.ca.empty()) return Status::InvalidArgument("OCSP signing needs --ca, the issuing CA certificate");
  TP_ASSIGN_OR_RETURN(auto ca_bundle, x509::ReadBundleFile(flags.ca));
  const x509::Certificate& ca = ca_bundle.certificates.front();
  pki::OcspResponderOptions options;
  TP_ASSIGN_OR_RETURN(options.validity_seconds, ParseDurationSeconds(flags.validity));
  options.refresh_before = options.validity_seconds / 4;
  if (delegated) {
    TP_ASSIGN_OR_RETURN(auto responder, x509::ReadBundleFile(flags.responder));
    TP_ASSIGN_OR_RETURN(auto key, pki::PrivateKey::Load(flags.responder_key));
    TP_ASSIGN_OR_RETURN(auto r, pki::OcspResponder::Create(ca, responder.certificates.front(), key, certdb, options));
    return std::optional<pki::OcspResponder>(std::move(r));
  }
  TP_ASSIGN_OR_RETURN(CaMaterial material, LoadCa(flags.ca, flags.ca_key));
  TP_ASSIGN_OR_RETURN(auto r, pki::OcspResponder::Create(ca, ca, material.key, certdb, options));
  return std::optional<pki::OcspResponder>(std::move(r));
}

}  // namespace trustplane::cli
