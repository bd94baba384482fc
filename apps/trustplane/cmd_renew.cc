// `trustplane renew-check --old OLD.pem --new NEW.pem`
#include <iostream>
#include <memory>

#include "context.h"
#include "trustplane/trust/renewal_advice.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::cli {

void RegisterRenewCommand(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string old_file, new_file, at;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "renew-check", "say whether the platform must act when a client renews its certificate");
  cmd->add_option("--old", o->old_file, "the client's current certificate (and chain)")->required();
  cmd->add_option("--new", o->new_file, "the renewed certificate (and the chain it will send)")
      ->required();
  cmd->add_option("--at", o->at, "judge at this time (RFC 3339) instead of now");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> Status {
      TP_ASSIGN_OR_RETURN(auto old_bundle, x509::ReadBundleFile(o->old_file));
      TP_ASSIGN_OR_RETURN(auto new_bundle, x509::ReadBundleFile(o->new_file));
      const auto& olds = old_bundle.certificates;
      const auto& news = new_bundle.certificates;
      trust::RenewalInput in{olds.front(), {olds.begin() + 1, olds.end()}, news.front(),
                             {news.begin() + 1, news.end()}};
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(Verification v, home->PrepareVerification(o->at));
      auto advice = trust::AdviseRenewal(in, x509::ChainVerifier(std::move(v.trust)), v.options);
      if (ctx.json()) {
        PrintJson({{"action_required", advice.action_required},
                   {"new_trusted", advice.new_trusted},
                   {"new_error", advice.new_error},
                   {"new_error_detail", advice.new_error_detail},
                   {"issuer_changed", advice.issuer_changed},
                   {"cn_changed", advice.cn_changed},
                   {"old_cn", advice.old_cn},
                   {"new_cn", advice.new_cn},
                   {"sans_changed", advice.sans_changed},
                   {"actions", advice.actions},
                   {"notes", advice.notes}});
      } else {
        std::cout << (advice.action_required ? "action required:\n" : "no action required\n");
        for (const auto& a : advice.actions) std::cout << "  - " << a << "\n";
        for (const auto& n : advice.notes) std::cout << "note: " << n << "\n";
      }
      if (advice.action_required) {
        return Status::Policy("the platform must act before " + in.new_cert.subject() +
                              " can be used");
      }
      return Status::Ok();
    };
  });
}

}  // namespace trustplane::cli
