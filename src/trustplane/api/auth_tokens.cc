#include "trustplane/api/auth_tokens.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <yaml-cpp/yaml.h>

#include "trustplane/base/digest.h"
#include "trustplane/base/encoding.h"
#include "trustplane/base/random.h"

namespace trustplane::api {
namespace {

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Scalar(const YAML::Node& entry, const char* key) {
  const YAML::Node v = entry[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

Principal ToPrincipal(const Credential& c) { return {c.actor, c.role, c.tenant}; }

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer: return "viewer";
    case Role::kTenant: return "tenant";
    case Role::kOperator: return "operator";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kTenant, Role::kOperator, Role::kAdmin}) {
    if (RoleName(r) == name) return r;
  }
  return Status::InvalidArgument("unknown role \"" + std::string(name) +
                                 "\" (viewer, tenant, operator or admin)");
}

Status ValidateTenantName(std::string_view t) {
  bool ok = !t.empty() && t.size() <= 63;
  for (size_t i = 0; ok && i < t.size(); ++i) {
    const char c = t[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    ok = alnum || (i > 0 && (c == '.' || c == '_' || c == '-'));
  }
  if (!ok) {
    return Status::InvalidArgument("invalid tenant name \"" + std::string(t.substr(0, 80)) +
                                   "\": 1 to 63 of a-z 0-9 . _ -, starting with a letter or digit");
  }
  return Status::Ok();
}

Status ValidateCredential(const Credential& c) {
  if (c.actor.empty()) return Status::InvalidArgument("a credential needs an actor");
  const std::string who = "credential of " + c.actor + ": ";
  if (c.role == Role::kTenant) {
    if (c.tenant.empty()) return Status::InvalidArgument(who + "role tenant needs a tenant");
    TP_RETURN_IF_ERROR(ValidateTenantName(c.tenant));
  } else if (!c.tenant.empty()) {
    return Status::InvalidArgument(who + "only role tenant takes a tenant (role " +
                                   std::string(RoleName(c.role)) + " sees all tenants)");
  }
  if (c.token_sha256.empty() == c.subject_cn.empty()) {
    return Status::InvalidArgument(who + "needs exactly one of token_sha256 and subject_cn");
  }
  if (!c.token_sha256.empty() && !IsLowerHex64(c.token_sha256)) {
    return Status::InvalidArgument(who + "token_sha256 must be 64 lowercase hex digits");
  }
  return Status::Ok();
}

Result<std::vector<Credential>> ParseCredentials(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("api credentials are not valid YAML: ") + e.what());
  }
  std::vector<Credential> out;
  if (!root || root.IsNull()) return out;
  const YAML::Node list = root["credentials"];
  if (!root.IsMap() || (list && !list.IsSequence())) {
    return Status::InvalidArgument("api credentials: expected a map with a \"credentials\" list");
  }
  if (!list) return out;
  for (const auto& entry : list) {
    if (!entry.IsMap()) return Status::InvalidArgument("api credentials: every entry must be a map");
    Credential c;
    c.actor = Scalar(entry, "actor");
    TP_ASSIGN_OR_RETURN(c.role, ParseRole(Scalar(entry, "role")));
    c.tenant = Scalar(entry, "tenant");
    c.token_sha256 = Scalar(entry, "token_sha256");
    c.subject_cn = Scalar(entry, "subject_cn");
    c.created_at = Scalar(entry, "created_at");
    TP_RETURN_IF_ERROR(ValidateCredential(c));
    out.push_back(std::move(c));
  }
  return out;
}

std::string RenderCredentials(const std::vector<Credential>& creds) {
  YAML::Emitter e;
  e << YAML::BeginMap << YAML::Key << "credentials" << YAML::Value << YAML::BeginSeq;
  for (const auto& c : creds) {
    e << YAML::BeginMap;
    e << YAML::Key << "actor" << YAML::Value << c.actor;
    e << YAML::Key << "role" << YAML::Value << std::string(RoleName(c.role));
    if (!c.tenant.empty()) e << YAML::Key << "tenant" << YAML::Value << c.tenant;
    if (!c.token_sha256.empty()) e << YAML::Key << "token_sha256" << YAML::Value << c.token_sha256;
    if (!c.subject_cn.empty()) e << YAML::Key << "subject_cn" << YAML::Value << c.subject_cn;
    if (!c.created_at.empty()) e << YAML::Key << "created_at" << YAML::Value << c.created_at;
    e << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

Result<std::vector<Credential>> LoadCredentialsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::vector<Credential>{};
    return Status::InvalidArgument("cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto parsed = ParseCredentials(ss.str());
  if (!parsed.ok()) return parsed.status().WithContext(path);
  return parsed;
}

Status SaveCredentialsFile(const std::string& path, const std::vector<Credential>& creds) {
  const std::string tmp = path + ".tmp";
  const std::string text = RenderCredentials(creds);
  // Created 0600 from the start: the hashes are not secrets, but which
  // actors exist and their roles are nobody else's business.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::InvalidArgument("cannot write " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::Internal("cannot write " + tmp + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Status::Internal("cannot write " + tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Internal("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

std::string NewBearerToken() { return "tpk_" + RandomHex(32); }

std::string BearerTokenHash(std::string_view token) { return Sha256Hex(token); }

std::string SubjectCommonName(std::string_view s) {
  // RFC 2253 escapes ',' inside values with '\', so an unescaped ',' ends an RDN.
  size_t i = 0;
  while (i < s.size()) {
    size_t end = i;
    while (end < s.size() && s[end] != ',') end += (s[end] == '\\' && end + 1 < s.size()) ? 2 : 1;
    std::string_view rdn = s.substr(i, end - i);
    if (rdn.substr(0, 3) == "CN=") {
      std::string out;
      for (size_t k = 3; k < rdn.size(); ++k) {
        if (rdn[k] == '\\' && k + 1 < rdn.size()) ++k;
        out += rdn[k];
      }
      return out;
    }
    i = end + 1;
  }
  return "";
}

Status Authenticator::Refresh() {
  if (fixed_) return Status::Ok();
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    creds_.clear();
    loaded_mtime_ns_ = -1;
    return Status::Ok();
  }
  const int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (mtime == loaded_mtime_ns_ && static_cast<uintmax_t>(st.st_size) == loaded_size_) {
    return Status::Ok();
  }
  TP_ASSIGN_OR_RETURN(creds_, LoadCredentialsFile(path_));
  loaded_mtime_ns_ = mtime;
  loaded_size_ = static_cast<uintmax_t>(st.st_size);
  return Status::Ok();
}

Result<Principal> Authenticator::FromBearerToken(std::string_view token) {
  const std::string hash = BearerTokenHash(token);
  std::lock_guard<std::mutex> lock(mu_);
  TP_RETURN_IF_ERROR(Refresh());
  // No early exit: the time taken does not say which entry (if any) matched.
  const Credential* found = nullptr;
  for (const auto& c : creds_) {
    if (c.token_sha256.empty()) continue;
    if (ConstantTimeEquals(hash, c.token_sha256) && !found) found = &c;
  }
  if (!found) return Status::NotFound("unknown bearer token");
  return ToPrincipal(*found);
}

Result<Principal> Authenticator::FromClientSubject(std::string_view rfc2253_subject) {
  const std::string cn = SubjectCommonName(rfc2253_subject);
  if (cn.empty()) return Status::NotFound("the client certificate has no CN");
  std::lock_guard<std::mutex> lock(mu_);
  TP_RETURN_IF_ERROR(Refresh());
  for (const auto& c : creds_) {
    if (!c.subject_cn.empty() && c.subject_cn == cn) return ToPrincipal(c);
  }
  return Status::NotFound("no credential for client certificate CN " + cn);
}

}  // namespace trustplane::api
