// `trustplane cert inspect|fingerprint FILE...`
#include <iostream>
#include <memory>

#include "context.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::cli {
namespace {

std::string Join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

void PrintCertificateText(const x509::Certificate& c) {
  const auto& bc = c.basic_constraints();
  std::cout << "subject:             " << c.subject() << "\n"
            << "issuer:              " << c.issuer() << "\n"
            << "serial:              " << c.serial_hex() << " (" << c.serial_decimal() << ")\n"
            << "not before:          " << FormatRfc3339(c.not_before()) << "\n"
            << "not after:           " << FormatRfc3339(c.not_after()) << "\n"
            << "public key:          " << c.public_key().description << "\n"
            << "signature algorithm: " << c.signature_algorithm() << "\n"
            << "basic constraints:   "
            << (!bc.present ? "absent"
                            : std::string(bc.is_ca ? "CA:TRUE" : "CA:FALSE") +
                                  (bc.path_len ? ", pathlen:" + std::to_string(*bc.path_len) : "") +
                                  (bc.critical ? " (critical)" : ""))
            << "\n"
            << "key usage:           "
            << (c.key_usage().present ? Join(c.key_usage().Names()) : "absent") << "\n"
            << "extended key usage:  "
            << (c.extended_key_usage().present ? Join(c.extended_key_usage().purposes) : "absent")
            << "\n";
  const auto& sans = c.sans();
  if (!sans.dns.empty()) std::cout << "san dns:             " << Join(sans.dns) << "\n";
  if (!sans.ip.empty()) std::cout << "san ip:              " << Join(sans.ip) << "\n";
  if (!sans.email.empty()) std::cout << "san email:           " << Join(sans.email) << "\n";
  if (!sans.uri.empty()) std::cout << "san uri:             " << Join(sans.uri) << "\n";
  if (auto spiffe = c.spiffe_id()) std::cout << "spiffe id:           " << *spiffe << "\n";
  std::cout << "subject key id:      " << c.subject_key_id() << "\n"
            << "authority key id:    " << c.authority_key_id() << "\n"
            << "sha256 fingerprint:  " << c.sha256_hex() << "\n"
            << "sha1 fingerprint:    " << c.sha1_hex() << "\n";
}

}  // namespace

nlohmann::json CertificateJson(const x509::Certificate& c) {
  const auto& bc = c.basic_constraints();
  nlohmann::json j = {
      {"subject", c.subject()},
      {"issuer", c.issuer()},
      {"serial_hex", c.serial_hex()},
      {"serial_decimal", c.serial_decimal()},
      {"not_before", FormatRfc3339(c.not_before())},
      {"not_after", FormatRfc3339(c.not_after())},
      {"public_key", {{"type", KeyTypeName(c.public_key().type)},
                      {"bits", c.public_key().bits},
                      {"curve", c.public_key().curve}}},
      {"signature_algorithm", c.signature_algorithm()},
      {"basic_constraints",
       {{"present", bc.present}, {"ca", bc.is_ca}, {"critical", bc.critical},
        {"path_len", bc.path_len ? nlohmann::json(*bc.path_len) : nlohmann::json(nullptr)}}},
      {"key_usage", c.key_usage().Names()},
      {"extended_key_usage", c.extended_key_usage().purposes},
      {"sans",
       {{"dns", c.sans().dns}, {"ip", c.sans().ip}, {"email", c.sans().email},
        {"uri", c.sans().uri}}},
      {"spiffe_id", c.spiffe_id() ? nlohmann::json(*c.spiffe_id()) : nlohmann::json(nullptr)},
      {"subject_key_id", c.subject_key_id()},
      {"authority_key_id", c.authority_key_id()},
      {"sha256", c.sha256_hex()},
      {"sha1", c.sha1_hex()},
  };
  return j;
}

void RegisterCertCommands(CLI::App& app, Context& ctx) {
  auto* cert = AddCommandGroup(app, ctx, "cert", "read certificates (PEM, DER, PKCS#7)");

  auto files = std::make_shared<std::vector<std::string>>();
  auto* inspect = cert->add_subcommand("inspect", "show what a certificate file holds");
  inspect->add_option("files", *files, "certificate files")->required();
  inspect->callback([&ctx, files] {
    ctx.action = [&ctx, files]() -> Status {
      nlohmann::json all = nlohmann::json::array();
      bool first = true;
      for (const auto& f : *files) {
        TP_ASSIGN_OR_RETURN(auto bundle, x509::ReadBundleFile(f));
        for (const auto& c : bundle.certificates) {
          if (ctx.json()) {
            auto j = CertificateJson(c);
            j["file"] = f;
            all.push_back(std::move(j));
            continue;
          }
          if (!first) std::cout << "\n";
          first = false;
          std::cout << "file:                " << f << "\n";
          PrintCertificateText(c);
        }
      }
      if (ctx.json()) PrintJson(all);
      return Status::Ok();
    };
  });

  auto fp_files = std::make_shared<std::vector<std::string>>();
  auto* fingerprint = cert->add_subcommand(
      "fingerprint", "print each certificate's SHA-256 fingerprint, one per line, in file order");
  fingerprint->add_option("files", *fp_files, "certificate files")->required();
  fingerprint->callback([&ctx, fp_files] {
    ctx.action = [&ctx, fp_files]() -> Status {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& f : *fp_files) {
        TP_ASSIGN_OR_RETURN(auto bundle, x509::ReadBundleFile(f));
        for (const auto& c : bundle.certificates) {
          if (ctx.json()) {
            all.push_back({{"file", f}, {"sha256", c.sha256_hex()}, {"subject", c.subject()}});
          } else {
            std::cout << c.sha256_hex() << "\n";
          }
        }
      }
      if (ctx.json()) PrintJson(all);
      return Status::Ok();
    };
  });
}

}  // namespace trustplane::cli
