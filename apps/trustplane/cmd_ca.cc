// `trustplane ca init|gencert|sign`: cfssl's `gencert -initca`, `gencert` and `sign`, with
// cfssljson -bare's output files (NAME.pem, NAME-key.pem 0600, NAME.csr).
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "context.h"
#include "trustplane/pki/certificate_issuer.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::cli {
namespace {

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

// Writes like `cfssljson -bare NAME`, or prints cfssl's JSON with --output json.
Status Emit(Context& ctx, const std::string& bare, const x509::Certificate& cert,
            const pki::PrivateKey& key, const std::string& csr) {
  if (ctx.json()) {
    PrintJson({{"cert", cert.ToPem()}, {"key", key.ToPem()}, {"csr", csr}});
    return Status::Ok();
  }
  TP_RETURN_IF_ERROR(pki::WriteSecretFile(bare + "-key.pem", key.ToPem()));
  TP_RETURN_IF_ERROR(WritePublic(bare + ".pem", cert.ToPem()));
  TP_RETURN_IF_ERROR(WritePublic(bare + ".csr", csr));
  std::cout << "wrote " << bare << ".pem, " << bare << "-key.pem, " << bare << ".csr: "
            << cert.subject() << " serial " << cert.serial_hex() << " until "
            << FormatRfc3339(cert.not_after()) << "\n";
  return Status::Ok();
}

Result<pki::Issuer> LoadIssuer(const std::string& ca, const std::string& ca_key) {
  TP_ASSIGN_OR_RETURN(auto bundle, x509::ReadBundleFile(ca));
  TP_ASSIGN_OR_RETURN(std::string key_pem, ReadText(ca_key));
  auto key = pki::PrivateKey::FromPem(key_pem);
  if (!key.ok()) return key.status().WithContext(ca_key);
  return pki::Issuer{bundle.certificates.front(), std::move(key).value()};
}

struct Opts {
  std::string csr_json, bare, ca, ca_key, config, profile;
};

// The profile to sign with: from --config/--profile, or cfssl's default.
Result<pki::SigningProfile> LoadProfile(const Opts& o) {
  pki::SigningConfig config;
  if (!o.config.empty()) {
    TP_ASSIGN_OR_RETURN(std::string text, ReadText(o.config));
    auto parsed = pki::ParseSigningConfig(text);
    if (!parsed.ok()) return parsed.status().WithContext(o.config);
    config = std::move(parsed).value();
  } else if (!o.profile.empty()) {
    return Status::InvalidArgument("--profile " + o.profile + " needs a --config that defines it");
  }
  return config.Profile(o.profile);
}

// The options every signing verb shares: the CA, its key, the profile, the output stem.
void AddSigningOptions(CLI::App* cmd, Opts& o) {
  cmd->add_option("--ca", o.ca, "issuing CA certificate")->required();
  cmd->add_option("--ca-key", o.ca_key, "issuing CA key")->required();
  cmd->add_option("--config", o.config, "cfssl signing config JSON");
  cmd->add_option("--profile", o.profile, "signing profile from the config");
  cmd->add_option("--bare", o.bare, "output file name stem (default: cert)");
}

Status Generate(Context& ctx, const Opts& o, bool init) {
  TP_ASSIGN_OR_RETURN(std::string json, ReadText(o.csr_json));
  auto request = pki::ParseCertificateRequest(json);
  if (!request.ok()) return request.status().WithContext(o.csr_json);
  TP_ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::Generate(request->key));

  pki::IssueRequest issue;
  issue.subject = &*request;
  issue.public_key = key.get();
  if (init) {
    pki::CaSettings ca = request->ca.value_or(pki::CaSettings{});
    issue.profile = pki::SigningProfile::RootCa(ca.expiry_seconds, ca.path_len, ca.path_len_zero);
  } else {
    TP_ASSIGN_OR_RETURN(issue.profile, LoadProfile(o));
  }
  if (!o.ca.empty() || !o.ca_key.empty()) {
    if (o.ca.empty() || o.ca_key.empty()) return Status::InvalidArgument("--ca and --ca-key go together");
    TP_ASSIGN_OR_RETURN(issue.issuer, LoadIssuer(o.ca, o.ca_key));
  } else if (!init) {
    return Status::InvalidArgument("gencert needs --ca and --ca-key");
  } else {
    issue.self_key = &key;
  }
  TP_ASSIGN_OR_RETURN(auto cert, pki::IssueCertificate(issue));
  TP_ASSIGN_OR_RETURN(std::string csr, pki::CreateCsrPem(*request, key));
  return Emit(ctx, o.bare, cert, key, csr);
}

Status Sign(Context& ctx, const Opts& o, const std::string& hostnames) {
  TP_ASSIGN_OR_RETURN(std::string pem, ReadText(o.csr_json));
  auto csr = pki::ReadCsrPem(pem);
  if (!csr.ok()) return csr.status().WithContext(o.csr_json);
  pki::CertificateRequest hosts;  // cfssl sign -hostname replaces the CSR's SANs
  hosts.hosts = csr->hosts;
  if (!hostnames.empty()) {
    hosts.hosts.clear();
    std::stringstream list(hostnames);
    for (std::string h; std::getline(list, h, ',');) {
      if (!h.empty()) hosts.hosts.push_back(h);
    }
  }
  pki::IssueRequest issue;
  issue.subject = &hosts;
  issue.subject_name_der = csr->subject_name_der;
  issue.public_key = csr->public_key.get();
  TP_ASSIGN_OR_RETURN(issue.profile, LoadProfile(o));
  TP_ASSIGN_OR_RETURN(issue.issuer, LoadIssuer(o.ca, o.ca_key));
  TP_ASSIGN_OR_RETURN(auto cert, pki::IssueCertificate(issue));
  if (ctx.json()) {
    PrintJson({{"cert", cert.ToPem()}});
    return Status::Ok();
  }
  TP_RETURN_IF_ERROR(WritePublic(o.bare + ".pem", cert.ToPem()));
  std::cout << "wrote " << o.bare << ".pem: " << cert.subject() << " serial " << cert.serial_hex()
            << " until " << FormatRfc3339(cert.not_after()) << "\n";
  return Status::Ok();
}

}  // namespace

void RegisterCaCommands(CLI::App& app, Context& ctx) {
  auto* ca = AddCommandGroup(app, ctx, "ca", "certificate authority (cfssl-compatible files)");

  auto init = std::make_shared<Opts>();
  init->bare = "ca";
  auto* init_cmd = ca->add_subcommand(
      "init", "create a CA from cfssl CSR JSON: self-signed root, or an intermediate with --ca/--ca-key");
  init_cmd->add_option("csr", init->csr_json, "cfssl CSR JSON file")->required();
  init_cmd->add_option("--bare", init->bare, "output file name stem (default: ca)");
  init_cmd->add_option("--ca", init->ca, "issuing CA certificate (makes an intermediate)");
  init_cmd->add_option("--ca-key", init->ca_key, "issuing CA key");
  init_cmd->callback([&ctx, init] { ctx.action = [&ctx, init] { return Generate(ctx, *init, true); }; });

  auto gen = std::make_shared<Opts>();
  gen->bare = "cert";
  auto* gen_cmd = ca->add_subcommand("gencert", "create a key and a certificate signed by a CA");
  gen_cmd->add_option("csr", gen->csr_json, "cfssl CSR JSON file")->required();
  AddSigningOptions(gen_cmd, *gen);
  gen_cmd->callback([&ctx, gen] { ctx.action = [&ctx, gen] { return Generate(ctx, *gen, false); }; });

  auto sign = std::make_shared<Opts>();
  auto hostnames = std::make_shared<std::string>();
  sign->bare = "cert";
  auto* sign_cmd = ca->add_subcommand("sign", "sign a PEM certificate signing request with a CA");
  sign_cmd->add_option("csr", sign->csr_json, "PEM CSR file")->required();
  AddSigningOptions(sign_cmd, *sign);
  sign_cmd->add_option("--hostname", *hostnames, "comma-separated SANs replacing the CSR's");
  sign_cmd->callback([&ctx, sign, hostnames] {
    ctx.action = [&ctx, sign, hostnames] { return Sign(ctx, *sign, *hostnames); };
  });
}

}  // namespace trustplane::cli
