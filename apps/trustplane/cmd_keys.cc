// `trustplane keys list|rotate|retire`: the key-encryption key that wraps
// every stored payload's data key (docs/encryption.md).
#include <iostream>
#include <memory>

#include "context.h"
#include "trustplane/trust/key_rotation.h"

namespace trustplane::cli {
namespace {

Status List(Context& ctx) {
  TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
  const trust::PayloadCodec& codec = home->trust_store().codec();
  if (!codec.encrypted()) return Status::InvalidArgument("this home stores payloads unencrypted (no kek)");
  TP_ASSIGN_OR_RETURN(auto versions, codec.kek()->ListVersions());
  TP_ASSIGN_OR_RETURN(auto in_use, trust::KeyVersionsInUse(home->trust_store()));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : versions) {
    const bool retired = v.state == crypto::KekVersionState::kRetired;
    const size_t objects = in_use.count(v.version) ? in_use.at(v.version) : 0;
    out.push_back({{"version", v.version}, {"state", retired ? "retired" : "enabled"}, {"objects", objects}});
    if (!ctx.json()) {
      std::cout << "version " << v.version << "  " << (retired ? "retired" : "enabled") << "  " << objects
                << " objects\n";
    }
  }
  if (ctx.json()) {
    PrintJson({{"provider", codec.kek()->provider_name()},
               {"key_id", codec.kek()->key_id()},
               {"environment", codec.environment()},
               {"versions", out}});
  }
  return Status::Ok();
}

Status Audit(Home& home, Context& ctx, const std::string& action, nlohmann::json details) {
  audit::AuditEvent event;
  event.actor = ctx.actor;
  event.action = action;
  event.result = "done";
  event.details = std::move(details);
  return home.audit_log().Append(std::move(event)).status();
}

Status Rotate(Context& ctx) {
  TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
  TP_ASSIGN_OR_RETURN(auto result, trust::RotateKeys(home->trust_store()));
  const auto& r = result.report;
  TP_RETURN_IF_ERROR(Audit(*home, ctx, "keys.rotate",
                           {{"kek_version", result.target_version},
                            {"resumed", result.resumed},
                            {"rewrapped", r.rewrapped},
                            {"already_current", r.already_current}}));
  if (ctx.json()) {
    PrintJson({{"kek_version", result.target_version},
               {"resumed", result.resumed},
               {"rewrapped", r.rewrapped},
               {"already_current", r.already_current},
               {"vanished", r.vanished},
               {"not_encrypted", r.not_encrypted}});
  } else {
    std::cout << (result.resumed ? "finished the interrupted rotation to" : "rotated to") << " KEK version "
              << result.target_version << ": " << r.rewrapped << " data keys re-wrapped, " << r.already_current
              << " already current\n";
  }
  return Status::Ok();
}

Status Retire(Context& ctx, uint32_t version) {
  TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
  TP_RETURN_IF_ERROR(trust::RetireKeyVersion(home->trust_store(), version));
  TP_RETURN_IF_ERROR(Audit(*home, ctx, "keys.retire", {{"kek_version", version}}));
  if (ctx.json()) {
    PrintJson({{"retired", version}});
  } else {
    std::cout << "retired KEK version " << version << "\n";
  }
  return Status::Ok();
}

}  // namespace

void RegisterKeysCommands(CLI::App& app, Context& ctx) {
  auto* keys = AddCommandGroup(app, ctx, "keys", "the key-encryption key of stored certificates");
  keys->add_subcommand("list", "KEK versions, their state and how many objects each wraps")
      ->callback([&ctx] { ctx.action = [&ctx] { return List(ctx); }; });
  keys->add_subcommand("rotate",
                       "re-wrap every data key under a new KEK version (rerun after a crash to finish)")
      ->callback([&ctx] { ctx.action = [&ctx] { return Rotate(ctx); }; });
  auto version = std::make_shared<uint32_t>(0);
  auto* retire = keys->add_subcommand("retire", "retire a KEK version no stored object uses any more");
  retire->add_option("version", *version, "KEK version")->required();
  retire->callback([&ctx, version] { ctx.action = [&ctx, version] { return Retire(ctx, *version); }; });
}

}  // namespace trustplane::cli
