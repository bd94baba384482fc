// `trustplane verify --cert LEAF [--chain FILE] [--at RFC3339]`
#include <iostream>
#include <memory>

#include "context.h"
#include "trustplane/x509/bundle.h"
#include "trustplane/x509/chain_verifier.h"

namespace trustplane::cli {

void RegisterVerifyCommand(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string cert, chain, at;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "verify", "check a client certificate against the trust store as the load balancer would");
  cmd->add_option("--cert", o->cert, "client certificate (further certificates in the file are "
                                     "treated as the chain it sends)")
      ->required();
  cmd->add_option("--chain", o->chain, "intermediates the client sends");
  cmd->add_option("--at", o->at, "verify at this time (RFC 3339) instead of now");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> Status {
      TP_ASSIGN_OR_RETURN(auto leaf_bundle, x509::ReadBundleFile(o->cert));
      std::vector<x509::Certificate> presented(leaf_bundle.certificates.begin() + 1,
                                               leaf_bundle.certificates.end());
      if (!o->chain.empty()) {
        TP_ASSIGN_OR_RETURN(auto chain, x509::ReadBundleFile(o->chain));
        presented.insert(presented.end(), chain.certificates.begin(), chain.certificates.end());
      }
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(Verification v, home->PrepareVerification(o->at));
      const auto& leaf = leaf_bundle.certificates.front();
      x509::VerifyResult result;
      if (v.trust.anchors.empty() && v.trust.allowlisted.empty()) {
        result.error = "client_cert_validation_not_performed";
        result.detail = "the trust store is empty: nothing to validate against";
      } else {
        result = x509::ChainVerifier(std::move(v.trust)).Verify(leaf, presented, v.options);
      }
      if (ctx.json()) {
        nlohmann::json chain = nlohmann::json::array();
        for (const auto& c : result.chain) {
          chain.push_back({{"subject", c.subject()}, {"sha256", c.sha256_hex()}});
        }
        PrintJson({{"ok", result.ok},
                   {"via_allowlist", result.via_allowlist},
                   {"error", result.error},
                   {"detail", result.detail},
                   {"chain", chain}});
      } else if (result.ok) {
        std::cout << "ok: " << leaf.subject()
                  << (result.via_allowlist ? " is allowlisted" : " chains to a trusted anchor")
                  << "\n";
        for (const auto& c : result.chain) std::cout << "  " << c.sha256_hex() << "  " << c.subject() << "\n";
      } else {
        std::cout << "failed: " << result.error << ": " << result.detail << "\n";
      }
      if (!result.ok) return Status::Policy("certificate " + leaf.subject() + " would be refused: " + result.error);
      return Status::Ok();
    };
  });
}

}  // namespace trustplane::cli
