// What the `ca` verbs share: file I/O, the CA certificate and key, the certdb.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/pki/certdb.h"
#include "trustplane/pki/ocsp_responder.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/pki/signer.h"
#include "trustplane/store/database.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::cli {

Result<std::string> ReadText(const std::string& path);
Status WritePublic(const std::string& path, const std::string& content);

struct CaMaterial {
  x509::Certificate cert;
  pki::PrivateKey key;
  std::vector<x509::Certificate> chain;  // the file's certificates after the first
};
// The first certificate of `ca_path` (and any after it, the CAs above it)
// and the key of `key_path` (encrypted keys: cfssl's CFSSL_CA_PK_PASSWORD).
// Both paths are required together.
Result<CaMaterial> LoadCa(const std::string& ca_path, const std::string& key_path);

// Where a `ca` verb keeps its certdb: cfssl's -db-config file, a --db URL
// (postgres://..., a SQLite path), or else the SQLite file certdb.sqlite in
// the trustplane home; --no-db: none.
struct CertDbFlags {
  std::string db_config, db;
  bool no_db = false;
};
void AddCertDbOptions(CLI::App* cmd, CertDbFlags& flags, const std::string& no_db_help);
// The home's certdb, <home>/certdb.sqlite (the home directory is created 0700 if missing).
Result<std::string> DefaultCertDbPath(const std::string& home_dir);

struct OpenedCertDb {
  std::unique_ptr<store::Database> database;
  std::unique_ptr<pki::CertDb> certdb;  // null with --no-db
  std::string where;  // for messages: the config file or SQLite path; never a URL's password
};
Result<OpenedCertDb> OpenCertDb(const CertDbFlags& flags, const std::string& home_dir);

// Records an issued certificate as cfssl's signer does (status good).
Result<pki::CertificateRecord> RecordIssued(pki::CertDb& certdb, const pki::SignedCertificate& cert,
                                            const std::string& ca_label);

// Who signs OCSP responses: --responder/--responder-key (a delegated signer
// the CA issued) or, without them, the CA itself with --ca-key. nullopt when
// neither key is given, so callers can make OCSP optional.
struct OcspSigningFlags {
  std::string ca, ca_key, responder, responder_key;
  std::string validity = "96h";  // cfssl ocsprefresh's default -interval
};
Result<std::optional<pki::OcspResponder>> LoadOcspResponder(const OcspSigningFlags& flags, pki::CertDb* certdb);

}  // namespace trustplane::cli
