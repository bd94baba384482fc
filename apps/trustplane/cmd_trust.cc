// `trustplane trust add|list|show|remove|gc|export|import|diff`
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "context.h"
#include "trustplane/trust/bucket_layout.h"
#include "trustplane/x509/bundle.h"

namespace trustplane::cli {
namespace {

std::string JoinTenants(const std::vector<std::string>& tenants) {
  std::string out;
  for (const auto& t : tenants) out += (out.empty() ? "" : ",") + t;
  return out.empty() ? "-" : out;
}

nlohmann::json RecordJson(const trust::TrustRecord& r) {
  return {{"kind", trust::TrustKindName(r.kind)},
          {"sha256", r.sha256},
          {"tenants", r.tenants},
          {"subject", r.subject},
          {"issuer", r.issuer},
          {"serial_hex", r.serial_hex},
          {"not_before", FormatRfc3339(r.not_before)},
          {"not_after", FormatRfc3339(r.not_after)},
          {"added_by", r.added_by},
          {"added_at", r.added_at},
          {"object", r.object_name}};
}

Status PrintAddResult(Context& ctx, const trust::AddResult& result) {
  size_t rejected = 0;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& c : result.certificates) {
    if (c.outcome == trust::Outcome::kRejected) ++rejected;
    if (ctx.json()) {
      all.push_back({{"file", c.source},
                     {"sha256", c.cert.sha256_hex()},
                     {"subject", c.cert.subject()},
                     {"kind", trust::TrustKindName(c.kind)},
                     {"result", trust::OutcomeName(c.outcome)},
                     {"message", c.message}});
      continue;
    }
    std::cout << c.source << ": " << c.cert.sha256_hex() << " " << trust::TrustKindName(c.kind)
              << " " << trust::OutcomeName(c.outcome);
    if (!c.message.empty()) std::cout << ": " << c.message;
    std::cout << "\n";
  }
  if (ctx.json()) PrintJson({{"request_id", result.request_id}, {"certificates", all}});
  if (result.rejected) {
    return Status::Policy(std::to_string(rejected) + " of " +
                          std::to_string(result.certificates.size()) +
                          " certificates rejected; nothing was added");
  }
  return Status::Ok();
}

Result<std::string> ReadInputFile(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::InvalidArgument("cannot read " + path + ": " + ec.message());
  if (size > (8u << 20)) {
    return Status::InvalidArgument(path + " is " + std::to_string(size) +
                                   " bytes, more than the 8 MiB limit for a trust config");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) return Status::InvalidArgument("cannot read " + path);
  return ss.str();
}

Status WriteOutput(const std::string& path, const std::string& content) {
  if (path.empty() || path == "-") {
    std::cout << content;
    return Status::Ok();
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return Status::InvalidArgument("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::InvalidArgument("cannot write " + path + ": " + ec.message());
  return Status::Ok();
}

void AddCommand(CLI::App& trust, Context& ctx) {
  struct Opts {
    std::string tenant, as;
    std::vector<std::string> files;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = trust.add_subcommand(
      "add", "validate certificates and add them to the trust store (all or nothing)");
  cmd->add_option("--tenant", o->tenant, "tenant claiming these certificates");
  cmd->add_option("--as", o->as, "treat every certificate as this kind (default: classify)")
      ->check(CLI::IsMember({"anchor", "intermediate", "allowlisted"}));
  cmd->add_option("files", o->files, "PEM, DER or PKCS#7 files")->required();
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> Status {
      trust::AddRequest req;
      req.tenant = o->tenant;
      req.actor = ctx.actor;
      std::optional<trust::TrustKind> as;
      if (!o->as.empty()) {
        TP_ASSIGN_OR_RETURN(as, trust::ParseTrustKind(o->as));
      }
      // Parse every file before touching the store: bad input writes nothing.
      TP_ASSIGN_OR_RETURN(auto bundles, x509::ReadBundleFiles(o->files));
      for (size_t i = 0; i < bundles.size(); ++i) {
        for (auto& c : bundles[i].certificates) {
          req.certificates.push_back({std::move(c), as, o->files[i]});
        }
      }
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto result, home->lifecycle().Add(req));
      return PrintAddResult(ctx, result);
    };
  });
}

void ListCommand(CLI::App& trust, Context& ctx) {
  struct Opts {
    std::string tenant, kind, expiring;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = trust.add_subcommand("list", "list trusted certificates");
  cmd->add_option("--tenant", o->tenant, "only certificates this tenant claims");
  cmd->add_option("--kind", o->kind, "only this kind")
      ->check(CLI::IsMember({"anchor", "intermediate", "allowlisted"}));
  cmd->add_option("--expiring-within", o->expiring, "only those expiring within DURATION (90d)");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> Status {
      trust::ListFilter filter;
      if (!o->tenant.empty()) filter.tenant = o->tenant;
      if (!o->kind.empty()) {
        TP_ASSIGN_OR_RETURN(filter.kind, trust::ParseTrustKind(o->kind));
      }
      if (!o->expiring.empty()) {
        TP_ASSIGN_OR_RETURN(int64_t within, ParseDurationSeconds(o->expiring));
        filter.expiring_before = NowUnix() + within;
      }
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto records, home->trust_store().List(filter));
      if (ctx.json()) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& r : records) all.push_back(RecordJson(r));
        PrintJson(all);
        return Status::Ok();
      }
      for (const auto& r : records) {
        std::cout << trust::TrustKindName(r.kind) << "\t" << r.sha256 << "\t"
                  << FormatRfc3339(r.not_after) << "\t" << JoinTenants(r.tenants) << "\t"
                  << r.subject << "\n";
      }
      return Status::Ok();
    };
  });
}

void ShowCommand(CLI::App& trust, Context& ctx) {
  auto fp = std::make_shared<std::string>();
  auto* cmd = trust.add_subcommand("show", "show one trusted certificate and its record");
  cmd->add_option("fingerprint", *fp, "SHA-256 fingerprint")->required();
  cmd->callback([&ctx, fp] {
    ctx.action = [&ctx, fp]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto tc, home->trust_store().Get(*fp));
      if (ctx.json()) {
        auto j = RecordJson(tc.record);
        j["certificate"] = CertificateJson(tc.cert);
        j["pem"] = tc.cert.ToPem();
        PrintJson(j);
        return Status::Ok();
      }
      const auto& r = tc.record;
      std::cout << "kind:      " << trust::TrustKindName(r.kind) << "\n"
                << "sha256:    " << r.sha256 << "\n"
                << "subject:   " << r.subject << "\n"
                << "issuer:    " << r.issuer << "\n"
                << "serial:    " << r.serial_hex << "\n"
                << "valid:     " << FormatRfc3339(r.not_before) << " .. "
                << FormatRfc3339(r.not_after) << "\n"
                << "tenants:   " << JoinTenants(r.tenants) << "\n"
                << "added by:  " << r.added_by << " at " << r.added_at << "\n"
                << "object:    " << r.object_name << "\n"
                << tc.cert.ToPem();
      return Status::Ok();
    };
  });
}

void RemoveCommand(CLI::App& trust, Context& ctx) {
  struct Opts {
    std::string fp, tenant, reason;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = trust.add_subcommand(
      "remove", "stop trusting a certificate, or drop one tenant's claim on it (--tenant)");
  cmd->add_option("fingerprint", o->fp, "SHA-256 fingerprint")->required();
  cmd->add_option("--tenant", o->tenant, "drop only this tenant's claim");
  cmd->add_option("--reason", o->reason, "why, for the audit log")->required();
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto res,
                          home->lifecycle().Remove({o->fp, o->tenant, o->reason, ctx.actor}));
      if (ctx.json()) {
        PrintJson({{"sha256", res.record.sha256},
                   {"removed", res.removed},
                   {"remaining_tenants", res.remaining_tenants}});
      } else if (res.removed) {
        std::cout << "removed " << res.record.sha256 << " (" << res.record.subject << ")\n";
      } else {
        std::cout << "dropped tenant " << o->tenant << "'s claim on " << res.record.sha256
                  << "; still trusted for " << JoinTenants(res.remaining_tenants) << "\n";
      }
      return Status::Ok();
    };
  });
}

void GcCommand(CLI::App& trust, Context& ctx) {
  auto dry_run = std::make_shared<bool>(false);
  auto* cmd = trust.add_subcommand("gc", "remove expired CA certificates");
  cmd->add_flag("--dry-run", *dry_run, "only list what would be removed");
  cmd->callback([&ctx, dry_run] {
    ctx.action = [&ctx, dry_run]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto res, home->lifecycle().CollectExpired(ctx.actor, *dry_run));
      if (ctx.json()) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& r : res.expired) all.push_back(RecordJson(r));
        PrintJson({{"dry_run", *dry_run}, {"expired", all}});
        return Status::Ok();
      }
      for (const auto& r : res.expired) {
        std::cout << (*dry_run ? "would remove " : "removed ") << trust::TrustKindName(r.kind)
                  << " " << r.sha256 << " expired " << FormatRfc3339(r.not_after) << " "
                  << r.subject << "\n";
      }
      if (res.expired.empty()) std::cout << "nothing expired\n";
      return Status::Ok();
    };
  });
}

void ExportCommand(CLI::App& trust, Context& ctx) {
  struct Opts {
    std::string id, format = "yaml", out;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = trust.add_subcommand(
      "export", "render the Certificate Manager trust config that gcloud ... import reads");
  cmd->add_option("--id", o->id, "trust config id (default: trust_config_id from config.yaml)");
  cmd->add_option("--format", o->format, "yaml or json")->check(CLI::IsMember({"yaml", "json"}));
  cmd->add_option("-o,--out", o->out, "write to this file instead of stdout");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      std::string id = o->id.empty() ? home->config().trust_config_id : o->id;
      TP_RETURN_IF_ERROR(trust::ValidateTrustConfigId(id));
      TP_ASSIGN_OR_RETURN(auto model, home->trust_store().RenderModel(id));
      TP_RETURN_IF_ERROR(trust::CheckLimits(model));
      return WriteOutput(o->out, o->format == "json" ? trust::RenderJson(model)
                                                     : trust::RenderYaml(model));
    };
  });
}

void ImportCommand(CLI::App& trust, Context& ctx) {
  struct Opts {
    std::string file, tenant;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = trust.add_subcommand(
      "import", "add what a trust config file (gcloud ... export) holds that the store lacks");
  cmd->add_option("file", o->file, "trust config YAML or JSON")->required();
  cmd->add_option("--tenant", o->tenant, "tenant claiming the imported certificates");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> Status {
      TP_ASSIGN_OR_RETURN(std::string text, ReadInputFile(o->file));
      auto parsed = trust::ParseTrustConfig(text);
      if (!parsed.ok()) return parsed.status().WithContext(o->file);
      trust::AddRequest req;
      req.tenant = o->tenant;
      req.actor = ctx.actor;
      for (const auto& c : parsed->anchors) req.certificates.push_back({c, trust::TrustKind::kAnchor, o->file});
      for (const auto& c : parsed->intermediates) {
        req.certificates.push_back({c, trust::TrustKind::kIntermediate, o->file});
      }
      for (const auto& c : parsed->allowlisted) {
        req.certificates.push_back({c, trust::TrustKind::kAllowlisted, o->file});
      }
      if (req.certificates.empty()) return Status::InvalidArgument(o->file + " holds no certificates");
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto result, home->lifecycle().Add(req));
      return PrintAddResult(ctx, result);
    };
  });
}

void DiffCommand(CLI::App& trust, Context& ctx) {
  auto file = std::make_shared<std::string>();
  auto* cmd = trust.add_subcommand(
      "diff", "compare the store with a trust config file (+ only in file, - only in store)");
  cmd->add_option("file", *file, "trust config YAML or JSON")->required();
  cmd->callback([&ctx, file] {
    ctx.action = [&ctx, file]() -> Status {
      TP_ASSIGN_OR_RETURN(std::string text, ReadInputFile(*file));
      auto parsed = trust::ParseTrustConfig(text);
      if (!parsed.ok()) return parsed.status().WithContext(*file);
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      TP_ASSIGN_OR_RETURN(auto model, home->trust_store().RenderModel(home->config().trust_config_id));
      auto diff = trust::Diff(model, *parsed);
      auto entries = [](const std::vector<trust::TrustConfigDiff::Entry>& v) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& e : v) {
          a.push_back({{"kind", trust::TrustKindName(e.kind)},
                       {"sha256", e.cert.sha256_hex()},
                       {"subject", e.cert.subject()}});
        }
        return a;
      };
      if (ctx.json()) {
        PrintJson({{"only_in_store", entries(diff.only_in_left)},
                   {"only_in_file", entries(diff.only_in_right)},
                   {"kind_changed_in_store", entries(diff.kind_changed_left)},
                   {"kind_changed_in_file", entries(diff.kind_changed_right)},
                   {"identical", diff.empty()}});
        return Status::Ok();
      }
      auto print = [](char sign, const std::vector<trust::TrustConfigDiff::Entry>& v) {
        for (const auto& e : v) {
          std::cout << sign << " " << trust::TrustKindName(e.kind) << " " << e.cert.sha256_hex()
                    << " " << e.cert.subject() << "\n";
        }
      };
      print('-', diff.only_in_left);
      print('+', diff.only_in_right);
      print('-', diff.kind_changed_left);
      print('+', diff.kind_changed_right);
      if (diff.empty()) std::cout << "no differences\n";
      return Status::Ok();
    };
  });
}

void PublishCommand(CLI::App& trust, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto* cmd = trust.add_subcommand(
      "publish", "render the trust config into the bucket (trust-configs/ID.yaml) as a new revision");
  cmd->add_option("--id", *id, "trust config id (default: trust_config_id from config.yaml)");
  cmd->callback([&ctx, id] {
    ctx.action = [&ctx, id]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      const std::string tc = id->empty() ? home->config().trust_config_id : *id;
      TP_ASSIGN_OR_RETURN(auto res, home->revisions().Publish(tc, ctx.actor));
      if (ctx.json()) {
        PrintJson({{"id", tc},
                   {"revision", res.revision},
                   {"previous_revision", res.previous_revision},
                   {"changed", res.changed},
                   {"covers_audit_seq", res.covers_seq}});
      } else if (res.changed) {
        std::cout << "published " << tc << " revision " << res.revision << " ("
                  << trust::CurrentTrustConfigObject(tc) << ")\n";
      } else {
        std::cout << tc << " is already at revision " << res.revision << "\n";
      }
      return Status::Ok();
    };
  });
}

void HistoryCommand(CLI::App& trust, Context& ctx) {
  auto id = std::make_shared<std::string>();
  auto* cmd = trust.add_subcommand("history", "published revisions of the trust config, newest first");
  cmd->add_option("--id", *id, "trust config id (default: trust_config_id from config.yaml)");
  cmd->callback([&ctx, id] {
    ctx.action = [&ctx, id]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      const std::string tc = id->empty() ? home->config().trust_config_id : *id;
      TP_ASSIGN_OR_RETURN(auto revisions, home->revisions().History(tc));
      if (ctx.json()) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& r : revisions) {
          all.push_back({{"revision", r.revision},
                         {"published_at", r.published_at},
                         {"published_by", r.published_by},
                         {"current", r.current}});
        }
        PrintJson(all);
        return Status::Ok();
      }
      for (const auto& r : revisions) {
        std::cout << (r.current ? "* " : "  ") << r.revision << "\t" << r.published_at << "\t"
                  << r.published_by << "\n";
      }
      if (revisions.empty()) std::cout << "nothing published yet (trustplane trust publish)\n";
      return Status::Ok();
    };
  });
}

void RollbackCommand(CLI::App& trust, Context& ctx) {
  struct Opts {
    std::string revision, id, reason;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = trust.add_subcommand(
      "rollback", "make the trusted set equal to an earlier revision and publish it again");
  cmd->add_option("revision", o->revision, "revision from `trust history`")->required();
  cmd->add_option("--id", o->id, "trust config id (default: trust_config_id from config.yaml)");
  cmd->add_option("--reason", o->reason, "why, for the audit log")->required();
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> Status {
      TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
      const std::string tc = o->id.empty() ? home->config().trust_config_id : o->id;
      TP_ASSIGN_OR_RETURN(auto res, home->revisions().Rollback(tc, o->revision, ctx.actor, o->reason));
      if (ctx.json()) {
        PrintJson({{"id", tc},
                   {"revision", res.publish.revision},
                   {"re_added", res.re_added},
                   {"removed", res.removed}});
      } else {
        std::cout << "rolled " << tc << " back to revision " << res.publish.revision << ": "
                  << res.re_added.size() << " re-added, " << res.removed.size() << " removed\n";
      }
      return Status::Ok();
    };
  });
}

}  // namespace

void RegisterTrustCommands(CLI::App& app, Context& ctx) {
  auto* trust = AddCommandGroup(app, ctx, "trust", "the trusted set: onboard, list, remove, export");
  AddCommand(*trust, ctx);
  ListCommand(*trust, ctx);
  ShowCommand(*trust, ctx);
  RemoveCommand(*trust, ctx);
  GcCommand(*trust, ctx);
  ExportCommand(*trust, ctx);
  ImportCommand(*trust, ctx);
  DiffCommand(*trust, ctx);
  PublishCommand(*trust, ctx);
  HistoryCommand(*trust, ctx);
  RollbackCommand(*trust, ctx);
}

}  // namespace trustplane::cli
