#include "trustplane/crypto/key_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "trustplane/base/encoding.h"
#include "trustplane/base/random.h"
#include "trustplane/crypto/aes_key_wrap.h"

namespace trustplane::crypto {
namespace {

constexpr std::string_view kFormatLine = "format trustplane-kek/1";

Status Errno(const std::string& what, const std::string& path) {
  return Status::Internal(what + " " + path + ": " + std::strerror(errno));
}

std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

std::string Render(const std::string& key_id, const std::vector<KeyFileProvider::Entry>& entries) {
  std::string out = "# trustplane key-encryption key file: keep secret (mode 0600)\n";
  out += kFormatLine;
  out += "\nkey-id " + key_id + "\n";
  for (const auto& e : entries) {
    std::string hex = HexEncode(e.key.view());
    out += "version " + std::to_string(e.version) +
           (e.state == KekVersionState::kEnabled ? " enabled " : " retired ") + hex + "\n";
    WipeString(hex);
  }
  return out;
}

// Writes content to path atomically: temp file (0600) + fsync + rename +
// fsync of the directory. With exclusive, an existing path is kConflict.
Status WriteKeyFileAtomically(const std::string& path, std::string_view content, bool exclusive) {
  if (exclusive && ::access(path.c_str(), F_OK) == 0) {
    return Status::Conflict("key file already exists: " + path);
  }
  std::string tmp = path + ".tmp-" + RandomHex(8);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  Status s = WriteAll(fd, content, tmp);
  if (s.ok() && ::fchmod(fd, 0600) != 0) s = Errno("cannot chmod", tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("cannot fsync", tmp);
  ::close(fd);
  if (s.ok()) {
    if (exclusive) {
      // link() fails if path exists, so two racing creators cannot both win.
      if (::link(tmp.c_str(), path.c_str()) != 0) {
        s = errno == EEXIST ? Status::Conflict("key file already exists: " + path)
                            : Errno("cannot create", path);
      }
      ::unlink(tmp.c_str());
    } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
      s = Errno("cannot replace", path);
    }
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  std::string dir = DirName(path);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("cannot open directory", dir);
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return Errno("cannot fsync directory", dir);
  return Status::Ok();
}

// Changes whenever the file is replaced (every save renames a new inode in).
std::string Identity(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
         std::to_string(st.st_size);
}

std::string IdentityOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? Identity(st) : std::string();
}

struct Parsed {
  std::string identity;
  std::string key_id;
  std::vector<KeyFileProvider::Entry> entries;
};

// Splits on spaces; string_views into text, so no copy of key material is made.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<Parsed> Parse(std::string_view text, const std::string& path) {
  Parsed p;
  bool format_seen = false;
  int line_no = 0;
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("key file " + path + " line " + std::to_string(line_no) + ": " +
                                   why);
  };
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> f = Fields(line);
    if (f.empty()) continue;
    if (f[0] == "format") {
      if (line != kFormatLine) return bad("unsupported format (want trustplane-kek/1)");
      format_seen = true;
    } else if (f[0] == "key-id") {
      if (f.size() != 2) return bad("key-id takes one value");
      p.key_id = std::string(f[1]);
    } else if (f[0] == "version") {
      if (f.size() != 4) return bad("want: version N enabled|retired HEX");
      KeyFileProvider::Entry e;
      auto [ptr, ec] = std::from_chars(f[1].data(), f[1].data() + f[1].size(), e.version);
      if (ec != std::errc() || ptr != f[1].data() + f[1].size() || e.version == 0) {
        return bad("bad version number");
      }
      if (f[2] == "enabled") {
        e.state = KekVersionState::kEnabled;
      } else if (f[2] == "retired") {
        e.state = KekVersionState::kRetired;
      } else {
        return bad("version state must be enabled or retired");
      }
      auto raw = HexDecode(f[3]);
      if (!raw.ok() || raw->size() != kKekSize) return bad("key must be 64 hex digits");
      e.key = SecretKey(*raw);
      WipeString(*raw);
      if (!p.entries.empty() && p.entries.back().version >= e.version) {
        return bad("versions must be listed in ascending order");
      }
      p.entries.push_back(std::move(e));
    } else {
      return bad("unknown entry '" + std::string(f[0]) + "'");
    }
  }
  if (!format_seen) return Status::InvalidArgument("key file " + path + " has no format line");
  if (p.key_id.empty()) return Status::InvalidArgument("key file " + path + " has no key-id");
  return p;
}

Result<Parsed> Load(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::InvalidArgument("cannot open key file " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Errno("cannot stat", path);
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::Policy("key file " + path + " is accessible by group or others (mode " + mode +
                          "); run chmod 600 " + path);
  }
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      WipeString(text);
      return Errno("cannot read", path);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1 << 20)) {
      ::close(fd);
      WipeString(text);
      return Status::InvalidArgument("key file " + path + " is too large");
    }
  }
  ::close(fd);
  auto parsed = Parse(text, path);
  WipeString(text);
  OPENSSL_cleanse(buf, sizeof buf);
  if (parsed.ok()) parsed->identity = Identity(st);
  return parsed;
}

}  // namespace

Status CreateKeyFile(const std::string& path) {
  std::vector<KeyFileProvider::Entry> entries(1);
  entries[0].version = 1;
  entries[0].key = SecretKey::Random(kKekSize);
  std::string content = Render("kf-" + RandomHex(8), entries);
  Status s = WriteKeyFileAtomically(path, content, /*exclusive=*/true);
  WipeString(content);
  return s;
}

Result<std::unique_ptr<KeyFileProvider>> KeyFileProvider::Open(const std::string& path) {
  TP_ASSIGN_OR_RETURN(Parsed p, Load(path));
  auto provider = std::unique_ptr<KeyFileProvider>(
      new KeyFileProvider(path, std::move(p.key_id), std::move(p.entries)));
  provider->identity_ = std::move(p.identity);
  return provider;
}

KeyFileProvider::~KeyFileProvider() = default;

void KeyFileProvider::RefreshIfReplaced() const {
  if (IdentityOf(path_) == identity_) return;
  auto reloaded = Load(path_);
  // A file that vanished or now holds another key is reported by the next
  // write; reads keep the versions already loaded.
  if (reloaded.ok() && reloaded->key_id == key_id_) {
    entries_ = std::move(reloaded->entries);
    identity_ = std::move(reloaded->identity);
  }
}

Result<std::vector<KekVersion>> KeyFileProvider::ListVersions() const {
  std::lock_guard lock(mu_);
  RefreshIfReplaced();
  std::vector<KekVersion> out;
  for (const auto& e : entries_) out.push_back({e.version, e.state});
  return out;
}

Result<const KeyFileProvider::Entry*> KeyFileProvider::Usable(uint32_t version) const {
  auto find = [&]() -> const Entry* {
    for (const auto& e : entries_) {
      if (e.version == version) return &e;
    }
    return nullptr;
  };
  RefreshIfReplaced();  // another process may have rotated or retired
  const Entry* e = find();
  std::vector<KekVersion> versions;
  for (const auto& x : entries_) versions.push_back({x.version, x.state});
  if (e == nullptr || e->state != KekVersionState::kEnabled) {
    return VersionUnavailable(*this, versions, version);
  }
  return e;
}

Result<WrappedKey> KeyFileProvider::WrapWithVersion(const SecretKey& data_key,
                                                    uint32_t version) const {
  std::lock_guard lock(mu_);
  TP_ASSIGN_OR_RETURN(const Entry* e, Usable(version));
  TP_ASSIGN_OR_RETURN(std::string bytes, AesKeyWrapPad(e->key, data_key));
  return WrappedKey{version, std::move(bytes)};
}

Result<SecretKey> KeyFileProvider::Unwrap(uint32_t version, std::string_view wrapped) const {
  std::lock_guard lock(mu_);
  TP_ASSIGN_OR_RETURN(const Entry* e, Usable(version));
  return AesKeyUnwrapPad(e->key, wrapped);
}

Status KeyFileProvider::Save() const {
  std::string content = Render(key_id_, entries_);
  Status s = WriteKeyFileAtomically(path_, content, /*exclusive=*/false);
  WipeString(content);
  if (s.ok()) identity_ = IdentityOf(path_);
  return s;
}

Result<uint32_t> KeyFileProvider::AddVersion() {
  std::lock_guard lock(mu_);
  // Start from the file, not memory, so a rotation by another process is kept.
  TP_ASSIGN_OR_RETURN(Parsed p, Load(path_));
  if (p.key_id != key_id_) {
    return Status::Conflict("key file " + path_ + " was replaced by another key (" + p.key_id +
                            ")");
  }
  entries_ = std::move(p.entries);
  Entry e;
  e.version = entries_.empty() ? 1 : entries_.back().version + 1;
  e.key = SecretKey::Random(kKekSize);
  entries_.push_back(std::move(e));
  Status s = Save();
  if (!s.ok()) {
    entries_.pop_back();
    return s;
  }
  return entries_.back().version;
}

Status KeyFileProvider::RetireVersion(uint32_t version) {
  std::lock_guard lock(mu_);
  TP_ASSIGN_OR_RETURN(Parsed p, Load(path_));
  if (p.key_id != key_id_) {
    return Status::Conflict("key file " + path_ + " was replaced by another key (" + p.key_id +
                            ")");
  }
  entries_ = std::move(p.entries);
  Entry* target = nullptr;
  uint32_t current = 0;
  for (auto& e : entries_) {
    if (e.version == version) target = &e;
    if (e.state == KekVersionState::kEnabled) current = e.version;
  }
  if (target == nullptr) {
    return Status::NotFound("key " + key_id_ + " has no version " + std::to_string(version));
  }
  if (version == current) {
    return Status::Policy("version " + std::to_string(version) + " of key " + key_id_ +
                          " is the current version; rotate before retiring it");
  }
  if (target->state == KekVersionState::kRetired) return Status::Ok();
  target->state = KekVersionState::kRetired;
  return Save();
}

}  // namespace trustplane::crypto
