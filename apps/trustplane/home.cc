#include "home.h"

#include <pwd.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "trustplane/crypto/key_file.h"
#include "trustplane/store/fs_object_store.h"

namespace trustplane::cli {
namespace fs = std::filesystem;
namespace {

constexpr char kDefaultConfig[] =
    "# trustplane home configuration (docs/operations.md)\n"
    "# bucket: directory of the local bucket, relative to this home\n"
    "bucket: bucket\n"
    "# trust_config_id: the Certificate Manager trust config id `trust export` renders\n"
    "trust_config_id: trustplane\n"
    "# policy: onboarding policy file (YAML); empty means exactly what Google's load\n"
    "# balancer accepts\n"
    "policy: \"\"\n"
    "# kek: the key-encryption key that wraps each stored certificate's data key: a key\n"
    "# file relative to this home (file:PATH) or a pkcs11: URI (docs/encryption.md)\n"
    "kek: %KEK%\n"
    "# environment: bound into every encrypted object, so objects do not open elsewhere\n"
    "environment: %ENV%\n";

constexpr char kDefaultKeyFile[] = "kek.keys";

std::string Absolute(const std::string& home, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return home + "/" + path;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A key file path is relative to the home; URIs stay as written.
std::string KekSpec(const std::string& home, const std::string& value) {
  if (value.empty() || value.rfind("pkcs11:", 0) == 0) return value;
  const std::string path = value.rfind("file:", 0) == 0 ? value.substr(5) : value;
  return "file:" + Absolute(home, path);
}

Result<HomeConfig> LoadConfig(const std::string& dir) {
  const std::string path = dir + "/config.yaml";
  if (!fs::exists(path)) {
    return Status::NotFound("no trustplane home at " + dir + " (run `trustplane init` first)");
  }
  HomeConfig config{dir + "/bucket", "trustplane", "", "", "default"};
  try {
    YAML::Node root = YAML::LoadFile(path);
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const std::string value = kv.second.IsNull() ? "" : kv.second.as<std::string>();
      if (key == "bucket") config.bucket_dir = Absolute(dir, value);
      else if (key == "trust_config_id") config.trust_config_id = value;
      else if (key == "policy") config.policy_file = Absolute(dir, value);
      else if (key == "kek") config.kek = KekSpec(dir, value);
      else if (key == "environment") config.environment = value;
      else return Status::InvalidArgument(path + ": unknown setting '" + key + "'");
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
  return config;
}

}  // namespace

std::string ResolveHomeDir(const std::string& flag) {
  if (!flag.empty()) return fs::absolute(flag).lexically_normal().string();
  if (const char* env = std::getenv("TRUSTPLANE_HOME"); env && *env) {
    return fs::absolute(env).lexically_normal().string();
  }
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    const passwd* pw = getpwuid(getuid());
    home = pw ? pw->pw_dir : "/";
  }
  return std::string(home) + "/.trustplane";
}

Result<bool> InitHome(const std::string& dir, const InitOptions& options) {
  std::error_code ec;
  if (fs::exists(dir + "/config.yaml")) return false;
  if (options.environment.empty() ||
      options.environment.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
    return Status::InvalidArgument("environment '" + options.environment +
                                   "' must be non-empty lowercase letters, digits, '-' or '_'");
  }
  fs::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  std::string kek = options.kek;
  if (kek.empty()) {
    // A key file left by an init that crashed before its config was written is reused.
    const std::string key_file = dir + "/" + kDefaultKeyFile;
    const Status created = crypto::CreateKeyFile(key_file);
    if (!created.ok() && !created.is(ErrorCode::kConflict)) return created;
    kek = std::string("file:") + kDefaultKeyFile;
  } else {
    if (kek.rfind("pkcs11:", 0) != 0) {
      kek = "file:" + fs::absolute(kek.rfind("file:", 0) == 0 ? kek.substr(5) : kek).string();
    }
    // Fail now, not at the first onboarding, when the KEK cannot be used.
    auto provider = crypto::OpenKekProvider(KekSpec(dir, kek));
    if (!provider.ok()) return provider.status().WithContext("--kek");
    TP_RETURN_IF_ERROR((*provider)->CurrentVersion().status().WithContext("--kek"));
  }
  std::string config = kDefaultConfig;
  config.replace(config.find("%KEK%"), 5, "\"" + kek + "\"");
  config.replace(config.find("%ENV%"), 5, options.environment);
  // Write then rename so a crash never leaves a half-written config.
  const std::string tmp = dir + "/.config.yaml.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << config;
    if (!out) return Status::Internal("cannot write " + tmp);
  }
  TP_RETURN_IF_ERROR(store::FsObjectStore::Open(dir + "/bucket").status());
  fs::rename(tmp, dir + "/config.yaml", ec);
  if (ec) return Status::Internal("cannot create " + dir + "/config.yaml: " + ec.message());
  return true;
}

Result<std::unique_ptr<Home>> Home::Open(const std::string& dir) {
  auto home = std::unique_ptr<Home>(new Home());
  home->dir_ = dir;
  TP_ASSIGN_OR_RETURN(home->config_, LoadConfig(dir));
  if (!home->config_.policy_file.empty()) {
    TP_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(home->config_.policy_file));
    auto policy = trust::OnboardingPolicy::FromYaml(text);
    if (!policy.ok()) return policy.status().WithContext(home->config_.policy_file);
    home->policy_ = std::move(policy).value();
  }
  TP_ASSIGN_OR_RETURN(auto bucket, store::FsObjectStore::Open(home->config_.bucket_dir));
  home->bucket_ = std::move(bucket);
  trust::PayloadCodec codec;
  if (!home->config_.kek.empty()) {
    auto kek = crypto::OpenKekProvider(home->config_.kek);
    if (!kek.ok()) return kek.status().WithContext(dir + "/config.yaml kek");
    codec = trust::PayloadCodec(std::shared_ptr<crypto::KekProvider>(std::move(kek).value()),
                                home->config_.environment);
  }
  home->trust_store_ = std::make_unique<trust::TrustStore>(*home->bucket_, std::move(codec));
  home->audit_ = std::make_unique<audit::AuditLog>(*home->bucket_);
  home->lifecycle_ =
      std::make_unique<trust::TrustLifecycle>(*home->trust_store_, *home->audit_, home->policy_);
  home->revisions_ =
      std::make_unique<trust::Revisions>(*home->trust_store_, *home->lifecycle_, *home->audit_);
  return home;
}

Result<Verification> Home::PrepareVerification(const std::string& at) {
  Verification v;
  if (!at.empty()) {
    TP_ASSIGN_OR_RETURN(v.options.at, ParseRfc3339(at));
  }
  v.options.crypto = policy_.ToCryptoPolicy();
  TP_ASSIGN_OR_RETURN(v.trust, trust_store_->LoadTrustMaterial());
  return v;
}

}  // namespace trustplane::cli
