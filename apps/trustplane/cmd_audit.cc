// `trustplane audit log|verify`
#include <algorithm>
#include <iostream>
#include <memory>
#include <set>

#include "context.h"
#include "trustplane/audit/effective.h"

namespace trustplane::cli {
namespace {

nlohmann::json EventJson(const audit::AuditEvent& e) {
  return nlohmann::json::parse(audit::SerializeEvent(e));
}


// Every trusted certificate must have the audit event that added it, or a
// pending intent that a later command will settle.
Result<std::vector<std::string>> CrossCheckStore(Home& home) {
  std::vector<std::string> problems;
  TP_ASSIGN_OR_RETURN(auto events, home.audit_log().Read(1, 0));
  TP_ASSIGN_OR_RETURN(auto intents, home.lifecycle().PendingIntents());
  std::set<std::string> recorded;
  for (const auto& e : events) {
    if (e.action == "trust.add" && e.result == "added") {
      for (const auto& fp : e.fingerprints) recorded.insert(e.request_id + "/" + fp);
    }
  }
  std::set<std::string> pending;
  for (const auto& in : intents) pending.insert(in.request_id);
  TP_ASSIGN_OR_RETURN(auto records, home.trust_store().List());
  for (const auto& r : records) {
    if (recorded.count(r.request_id + "/" + r.sha256) || pending.count(r.request_id)) continue;
    problems.push_back("trusted " + std::string(trust::TrustKindName(r.kind)) + " " + r.sha256 +
                       " has no audit event that added it");
  }
  return problems;
}

}  // namespace

void RegisterAuditCommands(CLI::App& app, Context& ctx) {
  auto* audit = AddCommandGroup(app, ctx, "audit", "the hash-chained audit log in the bucket");

  auto from = std::make_shared<uint64_t>(1);
  auto* log = audit->add_subcommand("log", "print audit events, oldest first");
  log->add_option("--from", *from, "first sequence number");
  log->callback([&ctx, from] {
    ctx.action = [&ctx, from]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto events, home->audit_log().Read(*from, 0));
      const auto effective = audit::EffectiveTimes(events);
      if (ctx.json()) {
        nlohmann::json all = nlohmann::json::array();
        for (size_t i = 0; i < events.size(); ++i) {
          auto j = EventJson(events[i]);
          if (audit::ChangesTrust(events[i])) {
            audit::AddEffectFields(effective[i], &j);
          }
          all.push_back(std::move(j));
        }
        PrintJson(all);
        return Status::Ok();
      }
      for (size_t i = 0; i < events.size(); ++i) {
        const auto& e = events[i];
        std::cout << e.seq << "\t" << e.time << "\t" << e.actor << "\t" << e.action << "\t"
                  << (e.tenant.empty() ? "-" : e.tenant) << "\t" << e.result << "\t";
        for (size_t i = 0; i < e.fingerprints.size(); ++i) {
          std::cout << (i ? "," : "") << e.fingerprints[i];
        }
        if (audit::ChangesTrust(e)) {
          const auto& effect = effective[i];
          std::cout << "\t"
                    << (effect.published_at.empty() ? "unpublished"
                                                    : "effective " + effect.published_at);
          for (const auto& g : effect.loaded_by) {
            std::cout << "; loaded by gateway " << g.gateway << " " << g.at;
          }
        }
        if (!e.reason.empty()) std::cout << "\t" << e.reason;
        std::cout << "\n";
      }
      return Status::Ok();
    };
  });

  auto* verify = audit->add_subcommand(
      "verify", "check the hash chain (no gaps, no edits) and that every trusted certificate "
                "was audited");
  verify->callback([&ctx] {
    ctx.action = [&ctx]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto report, home->audit_log().Verify());
      auto problems = report.problems;
      if (report.ok) {  // the cross-check needs a readable chain
        TP_ASSIGN_OR_RETURN(auto store_problems, CrossCheckStore(*home));
        problems.insert(problems.end(), store_problems.begin(), store_problems.end());
      }
      TP_ASSIGN_OR_RETURN(auto intents, home->lifecycle().PendingIntents());
      if (ctx.json()) {
        PrintJson({{"ok", problems.empty()},
                   {"events", report.events},
                   {"head_sha256", report.head_sha256},
                   {"pending_intents", intents.size()},
                   {"problems", problems}});
      } else {
        for (const auto& p : problems) std::cout << "problem: " << p << "\n";
        if (problems.empty()) {
          std::cout << "ok: " << report.events << " events, chain intact, head "
                    << report.head_sha256 << "\n";
        }
        if (!intents.empty()) {
          std::cout << intents.size()
                    << " interrupted change(s) pending; the next trust command records them\n";
        }
      }
      if (!problems.empty()) {
        return Status::Conflict("audit verification failed: " + std::to_string(problems.size()) +
                                " problem(s)");
      }
      return Status::Ok();
    };
  });
}

}  // namespace trustplane::cli
