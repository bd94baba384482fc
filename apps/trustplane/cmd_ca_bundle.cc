// `trustplane ca bundle --cert CERT [--ca-bundle ROOTS] [--int-bundle INTS]`:
// cfssl's `bundle`: the chain from a certificate to a trusted root, built by
// the same chain verifier the gateway uses (without the load balancer's
// clientAuth and key restrictions, since any certificate may be bundled).
#include <iostream>
#include <memory>

#include "ca_common.h"
#include "context.h"
#include "trustplane/base/time.h"
#include "trustplane/x509/bundle.h"
#include "trustplane/x509/chain_verifier.h"

namespace trustplane::cli {
namespace {

struct BundleOpts {
  std::string cert, ca_bundle, int_bundle;
};

Status Bundle(Context& ctx, const BundleOpts& o) {
  TP_ASSIGN_OR_RETURN(auto input, x509::ReadBundleFile(o.cert));
  const x509::Certificate& leaf = input.certificates.front();
  // Certificates after the first in --cert are intermediates the holder sends.
  std::vector<x509::Certificate> presented(input.certificates.begin() + 1, input.certificates.end());
  x509::TrustMaterial trust;
  if (!o.ca_bundle.empty()) {
    TP_ASSIGN_OR_RETURN(auto roots, x509::ReadBundleFile(o.ca_bundle));
    trust.anchors = roots.certificates;
  } else {
    TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
    TP_ASSIGN_OR_RETURN(auto material, home->trust_store().LoadTrustMaterial());
    trust.anchors = std::move(material.anchors);
    trust.intermediates = std::move(material.intermediates);
  }
  if (!o.int_bundle.empty()) {
    TP_ASSIGN_OR_RETURN(auto ints, x509::ReadBundleFile(o.int_bundle));
    trust.intermediates.insert(trust.intermediates.end(), ints.certificates.begin(), ints.certificates.end());
  }
  x509::VerifyOptions options;
  options.require_client_auth_eku = false;
  options.crypto.rsa_bits = {2048, 3072, 4096, 6144, 8192};
  options.crypto.ec_curves = {"P-256", "P-384", "P-521"};
  options.crypto.allow_ed25519 = true;
  options.crypto.max_name_constraints = 1 << 20;
  const x509::VerifyResult result = x509::ChainVerifier(std::move(trust)).Verify(leaf, presented, options);
  if (!result.ok) {
    return Status::Policy("cannot bundle " + o.cert + ": " + result.error + ": " + result.detail);
  }
  // cfssl's bundle: the leaf and its intermediates; the root separately.
  std::string bundle;
  for (size_t i = 0; i + 1 < result.chain.size(); ++i) bundle += result.chain[i].ToPem();
  const x509::Certificate& root = result.chain.back();
  UnixSeconds expires = leaf.not_after();
  for (const auto& c : result.chain) expires = std::min(expires, c.not_after());
  if (!ctx.json()) {
    std::cout << bundle;
    return Status::Ok();
  }
  nlohmann::json hostnames = leaf.sans().dns;
  PrintJson({{"bundle", bundle},
             {"crt", leaf.ToPem()},
             {"root", root.ToPem()},
             {"subject", leaf.subject()},
             {"issuer", leaf.issuer()},
             {"hostnames", hostnames},
             {"expires", FormatRfc3339(expires)},
             {"leaf_expires", FormatRfc3339(leaf.not_after())},
             {"signature", leaf.signature_algorithm()},
             {"key_type", leaf.public_key().description},
             {"status", {{"code", 0}, {"messages", nlohmann::json::array()}}}});
  return Status::Ok();
}

}  // namespace

void RegisterCaBundleCommand(CLI::App& ca, Context& ctx) {
  auto o = std::make_shared<BundleOpts>();
  auto* cmd = ca.add_subcommand("bundle", "the chain from a certificate to a trusted root (cfssl bundle)");
  cmd->add_option("--cert", o->cert, "certificate (PEM; may be followed by intermediates)")->required();
  cmd->add_option("--ca-bundle", o->ca_bundle, "trusted roots (default: the home's trusted anchors)");
  cmd->add_option("--int-bundle", o->int_bundle, "intermediates to build the chain from");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return Bundle(ctx, *o); }; });
}

}  // namespace trustplane::cli
