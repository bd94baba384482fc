// `trustplane ca revoke|crl`: cfssl's `revoke` and `crl` against the certdb,
// with RFC 5280 reason names and CRL numbers cfssl does not have.
#include <cctype>
#include <iostream>
#include <memory>

#include "ca_common.h"
#include "context.h"
#include "trustplane/base/encoding.h"
#include "trustplane/base/time.h"
#include "trustplane/pki/crl.h"
#include "trustplane/pki/pem.h"
#include "trustplane/x509/revocation_reason.h"
#include "trustplane/pki/serial_number.h"

namespace trustplane::cli {
namespace {

struct DbOpts {
  CertDbFlags db;
};

void AddDbOptions(CLI::App* cmd, DbOpts& o) { AddCertDbOptions(cmd, o.db, ""); }

// "AB:CD:..." (as openssl prints it) or "abcd..." as certdb stores it:
// lowercase hex, no colons or whitespace.
Result<std::string> NormalizeKeyId(const std::string& text) {
  std::string hex;
  for (char c : text) {
    if (c != ':' && !std::isspace(static_cast<unsigned char>(c))) {
      hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (hex.empty() || !HexDecode(hex).ok()) {
    return Status::InvalidArgument("--aki '" + text + "' is not a hex key identifier");
  }
  return hex;
}

void AddOcspSigningOptions(CLI::App* cmd, OcspSigningFlags& f) {
  cmd->add_option("--responder", f.responder, "delegated OCSP signing certificate (needs --ca)");
  cmd->add_option("--responder-key", f.responder_key, "its key");
  cmd->add_option("--ocsp-validity", f.validity, "OCSP thisUpdate..nextUpdate (default 96h)");
}

struct RevokeOpts : DbOpts {
  std::string serial, aki, reason = "unspecified";
  OcspSigningFlags ocsp;
};

Status Revoke(Context& ctx, const RevokeOpts& o) {
  TP_ASSIGN_OR_RETURN(std::string serial, pki::ParseSerialNumber(o.serial));
  TP_ASSIGN_OR_RETURN(std::string aki, NormalizeKeyId(o.aki));
  TP_ASSIGN_OR_RETURN(int reason, x509::ParseRevocationReason(o.reason));
  TP_ASSIGN_OR_RETURN(OpenedCertDb db, OpenCertDb(o.db, ctx.home_dir()));
  const std::string decimal = pki::SerialDecimal(serial);
  TP_RETURN_IF_ERROR(db.certdb->RevokeCertificate(decimal, aki, reason));
  // With a signing key at hand, the revoked answer is signed now rather than
  // at the next refresh.
  TP_ASSIGN_OR_RETURN(auto responder, LoadOcspResponder(o.ocsp, db.certdb.get()));
  if (responder) {
    TP_ASSIGN_OR_RETURN(auto record, db.certdb->GetCertificate(decimal, aki));
    TP_RETURN_IF_ERROR(responder->Refresh(record));
  }
  if (ctx.json()) {
    PrintJson({{"serial_number", decimal},
               {"serial_hex", pki::SerialHex(serial)},
               {"authority_key_identifier", aki},
               {"reason", x509::RevocationReasonName(reason)},
               {"reason_code", reason}});
  } else {
    std::cout << "revoked serial " << decimal << " (hex " << pki::SerialHex(serial) << ") aki " << aki
              << ": " << x509::RevocationReasonName(reason) << "\n";
  }
  return Status::Ok();
}

struct CrlOpts : DbOpts {
  std::string ca, ca_key, expiry = "168h", out;
  bool der = false;
};

Status Crl(Context& ctx, const CrlOpts& o) {
  TP_ASSIGN_OR_RETURN(int64_t lifetime, ParseDurationSeconds(o.expiry));
  if (lifetime <= 0) return Status::InvalidArgument("--expiry must be positive");
  TP_ASSIGN_OR_RETURN(CaMaterial ca, LoadCa(o.ca, o.ca_key));
  if (ca.cert.subject_key_id().empty()) {
    return Status::InvalidArgument(o.ca + " has no subjectKeyIdentifier, so its certificates cannot be "
                                   "found in the certdb by authority key identifier");
  }
  TP_ASSIGN_OR_RETURN(OpenedCertDb db, OpenCertDb(o.db, ctx.home_dir()));
  TP_ASSIGN_OR_RETURN(auto revoked, db.certdb->GetRevokedAndUnexpiredCertificatesByAki(ca.cert.subject_key_id()));

  pki::CrlSpec spec;
  spec.this_update = NowUnix();
  spec.next_update = spec.this_update + lifetime;
  for (const auto& rec : revoked) {
    auto serial = pki::ParseSerialNumber(rec.serial_number);
    if (!serial.ok()) return serial.status().WithContext("certdb");
    spec.entries.push_back({*serial, rec.revoked_at.value_or(spec.this_update), static_cast<int>(rec.reason)});
  }
  TP_ASSIGN_OR_RETURN(spec.number, db.certdb->NextCrlNumber(ca.cert.subject_key_id()));
  TP_ASSIGN_OR_RETURN(std::string der, pki::SignCrl(ca.cert, ca.key, spec));
  const std::string body = o.der ? der : pki::PemEncode("X509 CRL", der);
  if (o.out.empty()) {
    std::cout << body;
    return Status::Ok();
  }
  TP_RETURN_IF_ERROR(WritePublic(o.out, body));
  if (ctx.json()) {
    PrintJson({{"file", o.out},
               {"crl_number", spec.number},
               {"entries", spec.entries.size()},
               {"this_update", FormatRfc3339(spec.this_update)},
               {"next_update", FormatRfc3339(spec.next_update)}});
  } else {
    std::cout << "wrote " << o.out << ": CRL number " << spec.number << ", " << spec.entries.size()
              << " revoked, next update " << FormatRfc3339(spec.next_update) << "\n";
  }
  return Status::Ok();
}

struct RefreshOpts : DbOpts {
  OcspSigningFlags ocsp;
};

Status OcspRefresh(Context& ctx, const RefreshOpts& o) {
  TP_ASSIGN_OR_RETURN(OpenedCertDb db, OpenCertDb(o.db, ctx.home_dir()));
  TP_ASSIGN_OR_RETURN(auto responder, LoadOcspResponder(o.ocsp, db.certdb.get()));
  if (!responder) return Status::InvalidArgument("ocsp-refresh needs --ca-key or --responder/--responder-key");
  TP_ASSIGN_OR_RETURN(size_t count, responder->RefreshAll());
  if (ctx.json()) {
    PrintJson({{"signed", count}});
  } else {
    std::cout << "signed " << count << " OCSP responses\n";
  }
  return Status::Ok();
}

}  // namespace

void RegisterCaRevocationCommands(CLI::App& ca, Context& ctx) {
  auto revoke = std::make_shared<RevokeOpts>();
  auto* revoke_cmd = ca.add_subcommand("revoke", "revoke a certificate in the certdb (serial + AKI)");
  revoke_cmd->add_option("serial", revoke->serial, "serial: decimal as cfssl stores it, or hex (0x.. or aa:bb)");
  revoke_cmd->add_option("--serial", revoke->serial, "same as the positional serial (cfssl's -serial)");
  revoke_cmd->add_option("--aki", revoke->aki, "authority key identifier of the issuing CA (hex)")->required();
  revoke_cmd->add_option("--reason", revoke->reason,
                         "RFC 5280 reason: unspecified, keyCompromise, cACompromise, affiliationChanged, "
                         "superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise");
  AddDbOptions(revoke_cmd, *revoke);
  revoke_cmd->add_option("--ca", revoke->ocsp.ca, "issuing CA certificate: sign the revoked OCSP response now");
  revoke_cmd->add_option("--ca-key", revoke->ocsp.ca_key, "its key (or use --responder/--responder-key)");
  AddOcspSigningOptions(revoke_cmd, revoke->ocsp);
  revoke_cmd->callback([&ctx, revoke] {
    ctx.action = [&ctx, revoke] {
      if (revoke->serial.empty()) return Status::InvalidArgument("ca revoke needs a serial");
      return Revoke(ctx, *revoke);
    };
  });

  auto crl = std::make_shared<CrlOpts>();
  auto* crl_cmd = ca.add_subcommand("crl", "sign a CRL of the CA's revoked, unexpired certificates");
  crl_cmd->add_option("--ca", crl->ca, "CA certificate (PEM)")->required();
  crl_cmd->add_option("--ca-key", crl->ca_key, "CA key: PEM file or pkcs11: URI")->required();
  crl_cmd->add_option("--expiry", crl->expiry, "time until nextUpdate (default 168h)");
  crl_cmd->add_option("-o,--out", crl->out, "write the CRL to this file (default: stdout)");
  crl_cmd->add_flag("--der", crl->der, "DER instead of PEM");
  AddDbOptions(crl_cmd, *crl);
  crl_cmd->callback([&ctx, crl] { ctx.action = [&ctx, crl] { return Crl(ctx, *crl); }; });

  auto refresh = std::make_shared<RefreshOpts>();
  auto* refresh_cmd = ca.add_subcommand(
      "ocsp-refresh", "sign and store OCSP responses that are missing, stale or near nextUpdate (cfssl ocsprefresh)");
  refresh_cmd->add_option("--ca", refresh->ocsp.ca, "issuing CA certificate")->required();
  refresh_cmd->add_option("--ca-key", refresh->ocsp.ca_key, "CA key, when the CA signs its own responses");
  AddOcspSigningOptions(refresh_cmd, refresh->ocsp);
  AddDbOptions(refresh_cmd, *refresh);
  refresh_cmd->callback([&ctx, refresh] { ctx.action = [&ctx, refresh] { return OcspRefresh(ctx, *refresh); }; });
}

}  // namespace trustplane::cli
