// `trustplane ca init|gencert|sign`: cfssl's `gencert -initca`, `gencert` and `sign`.
// Text output writes what `cfssljson -bare NAME` writes (NAME.pem, NAME-key.pem
// created 0600, NAME.csr); --output json prints cfssl's {"cert", "key", "csr"}.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "ca_common.h"
#include "cmd_ca_serve.h"
#include "context.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/signer.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::cli {
namespace {

struct Opts {
  std::string input;  // CSR JSON, or a PEM CSR for `sign`
  std::string bare, ca, ca_key, config, profile, hostname;
  CertDbFlags db;  // where issued certificates are recorded
  std::string label;
};

// cfssl's -hostname: comma-separated hosts replacing the request's.
std::optional<std::vector<std::string>> Hostnames(const std::string& list) {
  if (list.empty()) return std::nullopt;
  std::vector<std::string> hosts;
  std::stringstream in(list);
  for (std::string h; std::getline(in, h, ',');) {
    if (!h.empty()) hosts.push_back(h);
  }
  return hosts;
}

Result<pki::CertificateRequest> ReadRequest(const Opts& o) {
  TP_ASSIGN_OR_RETURN(std::string json, ReadText(o.input));
  auto request = pki::ParseCertificateRequest(json);
  if (!request.ok()) return request.status().WithContext(o.input);
  if (auto hosts = Hostnames(o.hostname)) request->hosts = *hosts;
  return request;
}

Result<pki::SigningConfig> LoadConfig(const Opts& o) {
  if (!o.config.empty()) return pki::LoadSigningConfigFile(o.config);
  if (!o.profile.empty()) {
    return Status::InvalidArgument("--profile " + o.profile + " needs a --config that defines it");
  }
  return pki::SigningConfig{};
}

Result<pki::Signer> LoadSigner(const Opts& o, pki::SigningConfig config) {
  TP_ASSIGN_OR_RETURN(CaMaterial ca, LoadCa(o.ca, o.ca_key));
  return pki::Signer::Create(ca.cert, ca.key, std::move(config), ca.chain);
}

// Signs and, when a certdb is configured, records the certificate and its
// first OCSP response (signed by the CA) before any file is written, so a
// certificate that was handed out is always on record and answerable.
Result<pki::SignedCertificate> SignAndRecord(const Context& ctx, const Opts& o, const pki::Signer& signer,
                                             const pki::Csr& csr, const pki::SignOptions& options) {
  TP_ASSIGN_OR_RETURN(OpenedCertDb db, OpenCertDb(o.db, ctx.home_dir()));
  TP_ASSIGN_OR_RETURN(auto cert, signer.Sign(csr, options));
  if (!db.certdb) return cert;
  TP_ASSIGN_OR_RETURN(auto record, RecordIssued(*db.certdb, cert, o.label));
  if (!signer.ca_certificate().subject_key_id().empty()) {
    TP_ASSIGN_OR_RETURN(auto responder, LoadOcspResponder({o.ca, o.ca_key, "", ""}, db.certdb.get()));
    TP_RETURN_IF_ERROR(responder->Refresh(record));
  }
  return cert;
}

// The key and CSR are absent for `sign`.
Status Emit(Context& ctx, const std::string& bare, const pki::SignedCertificate& cert,
            const pki::PrivateKey* key, const pki::Csr* csr) {
  if (ctx.json()) {
    nlohmann::json out = {{"cert", cert.ToPem()}};
    if (key) out["key"] = key->ToPem();
    if (csr) out["csr"] = csr->ToPem();
    PrintJson(out);
    return Status::Ok();
  }
  std::string wrote = bare + ".pem";
  if (key) {
    TP_RETURN_IF_ERROR(key->WriteFile(bare + "-key.pem"));
    wrote += ", " + bare + "-key.pem";
  }
  TP_RETURN_IF_ERROR(WritePublic(bare + ".pem", cert.ToPem()));
  if (csr) {
    TP_RETURN_IF_ERROR(WritePublic(bare + ".csr", csr->ToPem()));
    wrote += ", " + bare + ".csr";
  }
  TP_ASSIGN_OR_RETURN(auto parsed, x509::Certificate::FromDer(cert.der));
  std::cout << "wrote " << wrote << ": " << parsed.subject() << " serial " << cert.serial_hex()
            << " until " << FormatRfc3339(cert.not_after)
            << (cert.not_after_clamped ? " (cut to the issuer's NotAfter)" : "") << "\n";
  return Status::Ok();
}

Status Init(Context& ctx, const Opts& o) {
  TP_ASSIGN_OR_RETURN(auto request, ReadRequest(o));
  TP_ASSIGN_OR_RETURN(auto key, pki::PrivateKey::Generate(request.key));
  TP_ASSIGN_OR_RETURN(auto csr, pki::Csr::Generate(request, key));
  pki::SigningProfile profile = pki::SigningProfile::ForCa(request.ca.value_or(pki::CaSettings{}));
  profile.crl_url = request.crl_url;
  if (o.ca.empty() && o.ca_key.empty()) {
    TP_ASSIGN_OR_RETURN(auto cert, pki::SelfSign(csr, key, profile));
    return Emit(ctx, o.bare, cert, &key, &csr);
  }
  pki::SigningConfig config;
  config.default_profile = std::move(profile);
  TP_ASSIGN_OR_RETURN(auto signer, LoadSigner(o, std::move(config)));
  TP_ASSIGN_OR_RETURN(auto cert, signer.Sign(csr));
  return Emit(ctx, o.bare, cert, &key, &csr);
}

Status GenCert(Context& ctx, const Opts& o) {
  TP_ASSIGN_OR_RETURN(auto request, ReadRequest(o));
  TP_ASSIGN_OR_RETURN(auto config, LoadConfig(o));
  TP_ASSIGN_OR_RETURN(auto signer, LoadSigner(o, std::move(config)));
  TP_ASSIGN_OR_RETURN(auto key, pki::PrivateKey::Generate(request.key));
  TP_ASSIGN_OR_RETURN(auto csr, pki::Csr::Generate(request, key));
  pki::SignOptions options;
  options.profile = o.profile;
  TP_ASSIGN_OR_RETURN(auto cert, SignAndRecord(ctx, o, signer, csr, options));
  return Emit(ctx, o.bare, cert, &key, &csr);
}

Status SignCsr(Context& ctx, const Opts& o) {
  TP_ASSIGN_OR_RETURN(std::string pem, ReadText(o.input));
  auto csr = pki::Csr::FromPem(pem);
  if (!csr.ok()) return csr.status().WithContext(o.input);
  TP_ASSIGN_OR_RETURN(auto config, LoadConfig(o));
  TP_ASSIGN_OR_RETURN(auto signer, LoadSigner(o, std::move(config)));
  pki::SignOptions options;
  options.profile = o.profile;
  options.hosts = Hostnames(o.hostname);
  TP_ASSIGN_OR_RETURN(auto cert, SignAndRecord(ctx, o, signer, *csr, options));
  return Emit(ctx, o.bare, cert, nullptr, nullptr);
}

void AddSigningOptions(CLI::App* cmd, Opts& o) {
  cmd->add_option("--ca", o.ca, "issuing CA certificate (PEM)")->required();
  cmd->add_option("--ca-key", o.ca_key, "issuing CA key: PEM file (encrypted: CFSSL_CA_PK_PASSWORD) or pkcs11: URI")->required();
  cmd->add_option("--config", o.config, "cfssl signing config JSON");
  cmd->add_option("--profile", o.profile, "signing profile from the config (default: signing.default)");
  cmd->add_option("--hostname", o.hostname, "comma-separated hosts replacing the request's SANs");
  cmd->add_option("--bare", o.bare, "output file name stem (default: cert)");
  AddCertDbOptions(cmd, o.db, "record nothing (as cfssl without -db-config)");
  cmd->add_option("--label", o.label, "CA label recorded with the certificate (cfssl's ca_label)");
}

}  // namespace

void RegisterCaCommands(CLI::App& app, Context& ctx) {
  auto* ca = AddCommandGroup(app, ctx, "ca", "certificate authority (cfssl-compatible files)");

  auto init = std::make_shared<Opts>();
  init->bare = "ca";
  auto* init_cmd = ca->add_subcommand(
      "init", "create a CA from cfssl CSR JSON: self-signed root, or an intermediate with --ca/--ca-key");
  init_cmd->add_option("csr", init->input, "cfssl CSR JSON file")->required();
  init_cmd->add_option("--bare", init->bare, "output file name stem (default: ca)");
  init_cmd->add_option("--ca", init->ca, "issuing CA certificate (makes an intermediate)");
  init_cmd->add_option("--ca-key", init->ca_key, "issuing CA key");
  init_cmd->callback([&ctx, init] { ctx.action = [&ctx, init] { return Init(ctx, *init); }; });

  auto gen = std::make_shared<Opts>();
  gen->bare = "cert";
  auto* gen_cmd = ca->add_subcommand("gencert", "create a key and a certificate signed by a CA");
  gen_cmd->add_option("csr", gen->input, "cfssl CSR JSON file")->required();
  AddSigningOptions(gen_cmd, *gen);
  gen_cmd->callback([&ctx, gen] { ctx.action = [&ctx, gen] { return GenCert(ctx, *gen); }; });

  auto sign = std::make_shared<Opts>();
  sign->bare = "cert";
  auto* sign_cmd = ca->add_subcommand("sign", "sign a PEM certificate signing request with a CA");
  sign_cmd->add_option("csr", sign->input, "PEM CSR file")->required();
  AddSigningOptions(sign_cmd, *sign);
  sign_cmd->callback([&ctx, sign] { ctx.action = [&ctx, sign] { return SignCsr(ctx, *sign); }; });

  RegisterCaRevocationCommands(*ca, ctx);
  RegisterCaServeCommand(*ca, ctx);
  RegisterCaBundleCommand(*ca, ctx);
}

}  // namespace trustplane::cli
