// What the `ca` verbs share: file I/O, the CA certificate and key, the certdb.
#pragma once

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

// The certdb named by cfssl's -db-config file or a --db URL (postgres://...,
// sqlite path); nullptr when neither is given.
struct OpenedCertDb {
  std::unique_ptr<store::Database> database;
  std::unique_ptr<pki::CertDb> certdb;
};
Result<OpenedCertDb> OpenCertDb(const std::string& db_config_path, const std::string& db_url);

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
