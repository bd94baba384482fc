// `trustplane ca bundle --cert CERT [--ca-bundle ROOTS] [--int-bundle INTS]`:
// cfssl's `bundle` (api/cfssl_bundle), trusting the home's anchors unless
// told other roots.
#include <iostream>
#include <memory>

#include "ca_common.h"
#include "context.h"
#include "trustplane/api/cfssl_bundle.h"
#include "trustplane/base/time.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::cli {
namespace {

struct BundleOpts {
  std::string cert, ca_bundle, int_bundle, flavor = "ubiquitous";
};

Status Bundle(Context& ctx, const BundleOpts& o) {
  TP_ASSIGN_OR_RETURN(auto input, x509::ReadBundleFile(o.cert));
  api::BundleRequest request;
  request.certificates = input.certificates;
  request.flavor = o.flavor;
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
  auto bundled = api::BundleJson(request, trust, NowUnix());
  if (!bundled.ok()) return bundled.status().WithContext("cannot bundle " + o.cert);
  if (ctx.json()) {
    PrintJson(*bundled);
  } else {
    std::cout << (*bundled)["bundle"].get<std::string>();
  }
  return Status::Ok();
}

}  // namespace

void RegisterCaBundleCommand(CLI::App& ca, Context& ctx) {
  auto o = std::make_shared<BundleOpts>();
  auto* cmd = ca.add_subcommand("bundle", "the chain from a certificate to a trusted root (cfssl bundle)");
  cmd->add_option("--cert", o->cert, "certificate (PEM; may be followed by intermediates)")->required();
  cmd->add_option("--ca-bundle", o->ca_bundle, "trusted roots (default: the home's trusted anchors)");
  cmd->add_option("--int-bundle", o->int_bundle, "intermediates to build the chain from");
  cmd->add_option("--flavor", o->flavor,
                  "ubiquitous (default) or optimal: from --int-bundle and the intermediates in --cert; "
                  "force: only from those in --cert");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return Bundle(ctx, *o); }; });
}

}  // namespace trustplane::cli
