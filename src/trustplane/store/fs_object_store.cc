// Layout of a bucket directory:
//
//   objects/<dir>/.../<leaf>.obj   one file per object (object_file.h)
//   objects/<dir>/.tombstone       highest generation ever deleted in <dir>
//   .staging/<pid>-<random>/       private staging directory of one open store
//
// Object "a/b/c" lives at objects/a/b/c.obj. Directory segments are kept as
// they are unless they end in ".obj" or ".dir", which get ".dir" appended, so
// no directory ever ends in ".obj" and "a" and "a/b" can both exist, as in
// GCS. Valid names never have a segment starting with '.', so dot files are
// free for the store's own use and never look like objects.
//
// Writes stage the complete file in the store's staging directory and sync
// it, then publish it with link() (create: fails atomically if the name
// exists) or rename() (replace). Every conditional write takes an exclusive
// flock() on the object's directory, re-checks its precondition and publishes
// under it, so checks and publishes are linearizable across threads and
// processes; the kernel releases the lock when a holder dies, even by kill -9.
// Reads take no lock: rename() and link() swap whole files.
//
// Generations: max(wall clock in nanoseconds, floor + 1), decided under the
// directory lock, where floor is the current generation (replace) or the
// directory's tombstone (create). A delete first raises the tombstone to the
// deleted generation, durably, so a name never gets a generation back even if
// the clock steps backwards. The clock only keeps generations GCS-like.
#include "trustplane/store/fs_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <system_error>
#include <utility>

#include "trustplane/base/random.h"
#include "trustplane/store/object_file.h"

namespace trustplane::store {
namespace {

constexpr char kObjectsDir[] = "objects";
constexpr char kStagingDir[] = ".staging";
constexpr std::string_view kObjectSuffix = ".obj";
constexpr std::string_view kDirSuffix = ".dir";
constexpr char kTombstoneFile[] = ".tombstone";
constexpr size_t kTombstoneSize = 21;  // 20 zero-padded digits and '\n'
// NAME_MAX (255) minus the 4-byte suffix a segment may get on disk.
constexpr size_t kMaxSegmentBytes = 251;
// Below this many objects a batch fdatasync()s each file; from here on one
// syncfs() is cheaper, even though it also flushes unrelated dirty data.
constexpr size_t kSyncfsMinBatch = 64;

Status IoError(std::string_view what, const std::string& path, int err) {
  return Status::Internal(std::string(what) + " " + path + ": " +
                          std::generic_category().message(err));
}

Status NotFound(std::string_view name) {
  return Status::NotFound("object " + std::string(name) + " not found");
}

Status AlreadyExists(std::string_view name) {
  return Status::Conflict("object " + std::string(name) + " already exists");
}

Status CheckGeneration(std::string_view name, int64_t expected, int64_t found) {
  if (expected == found) return Status::Ok();
  return Status::Conflict("object " + std::string(name) + ": generation mismatch: expected " +
                          std::to_string(expected) + ", found " + std::to_string(found));
}

Status CheckExpectedGeneration(std::string_view name, int64_t expected) {
  if (expected >= 0) return Status::Ok();
  return Status::InvalidArgument("expected generation of object " + std::string(name) +
                                 " must not be negative, got " + std::to_string(expected));
}

int64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

bool IsStoredDirSegment(std::string_view s) {
  return s.ends_with(kObjectSuffix) || s.ends_with(kDirSuffix);
}

std::string EncodeDirSegment(std::string_view segment) {
  std::string out(segment);
  if (IsStoredDirSegment(segment)) out.append(kDirSuffix);
  return out;
}

// Where an object lives, relative to objects/.
struct ObjectPath {
  std::string dir;   // encoded directory segments joined by '/', "" at the top
  std::string leaf;  // "<last segment>.obj"

  std::string Relative() const { return dir.empty() ? leaf : dir + "/" + leaf; }
};

bool IsValidSegment(std::string_view segment) {
  return segment.size() <= kMaxSegmentBytes && ValidateObjectName(segment).ok();
}

Result<ObjectPath> MapName(std::string_view name) {
  TP_RETURN_IF_ERROR(ValidateObjectName(name));
  ObjectPath path;
  size_t start = 0;
  while (true) {
    const size_t slash = name.find('/', start);
    const std::string_view segment = name.substr(start, slash - start);
    if (segment.size() > kMaxSegmentBytes) {
      return Status::InvalidArgument("object name '" + std::string(name) +
                                     "' has a segment longer than " +
                                     std::to_string(kMaxSegmentBytes) + " bytes");
    }
    if (slash == std::string_view::npos) {
      path.leaf = std::string(segment).append(kObjectSuffix);
      return path;
    }
    if (!path.dir.empty()) path.dir += '/';
    path.dir += EncodeDirSegment(segment);
    start = slash + 1;
  }
}

Status Flock(int fd, int operation, const std::string& path) {
  while (flock(fd, operation) != 0) {
    if (errno != EINTR) return IoError("cannot lock", path, errno);
  }
  return Status::Ok();
}

Result<UniqueFd> OpenDir(int at_fd, const std::string& relative, const std::string& path) {
  UniqueFd fd(
      openat(at_fd, relative.empty() ? "." : relative.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return IoError("cannot open directory", path, errno);
  return fd;
}

struct DirEntry {
  std::string name;
  unsigned char type;  // DT_* (DT_UNKNOWN on filesystems that do not report it)
};

Result<std::vector<DirEntry>> ReadDir(int dir_fd, const std::string& path) {
  TP_ASSIGN_OR_RETURN(UniqueFd own, OpenDir(dir_fd, "", path));
  std::unique_ptr<DIR, int (*)(DIR*)> dir(fdopendir(own.get()), closedir);
  if (!dir) return IoError("cannot read directory", path, errno);
  own.Release();
  std::vector<DirEntry> entries;
  while (true) {
    errno = 0;
    const dirent* e = readdir(dir.get());
    if (e == nullptr) break;
    std::string_view name = e->d_name;
    if (name != "." && name != "..") entries.push_back({std::string(name), e->d_type});
  }
  if (errno != 0) return IoError("cannot read directory", path, errno);
  return entries;
}

// A staged copy of an object file; removed on destruction unless renamed.
class StagedFile {
 public:
  StagedFile(int dir_fd, std::string name) : dir_fd_(dir_fd), name_(std::move(name)) {}
  StagedFile(StagedFile&& other) noexcept
      : dir_fd_(other.dir_fd_), name_(std::exchange(other.name_, {})) {}
  StagedFile& operator=(StagedFile&&) = delete;
  ~StagedFile() {
    if (!name_.empty()) unlinkat(dir_fd_, name_.c_str(), 0);
  }

  const std::string& name() const { return name_; }
  // Called once rename() has moved the file away.
  void Consumed() { name_.clear(); }

 private:
  int dir_fd_;
  std::string name_;
};

Status WriteAll(int fd, std::string_view header, std::string_view payload,
                const std::string& path) {
  iovec iov[2] = {{const_cast<char*>(header.data()), header.size()},
                  {const_cast<char*>(payload.data()), payload.size()}};
  int first = 0;
  while (first < 2) {
    const ssize_t n = writev(fd, iov + first, 2 - first);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot write", path, errno);
    auto left = static_cast<size_t>(n);
    while (first < 2 && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < 2) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return Status::Ok();
}

// Writes header + payload to a new file in the staging directory.
Result<StagedFile> Stage(int staging_fd, const std::string& staging_path, std::string_view header,
                         std::string_view payload, bool sync) {
  static std::atomic<uint64_t> counter{0};
  const std::string prefix = std::to_string(getpid()) + "-";
  while (true) {
    std::string name = prefix + std::to_string(counter.fetch_add(1));
    UniqueFd fd(openat(staging_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    const int err = errno;
    if (!fd.valid() && err == EEXIST) continue;  // left by a dead process that had our pid
    const std::string path = staging_path + "/" + name;
    if (!fd.valid()) return IoError("cannot create", path, err);
    StagedFile staged(staging_fd, std::move(name));
    TP_RETURN_IF_ERROR(WriteAll(fd.get(), header, payload, path));
    if (sync && fdatasync(fd.get()) != 0) return IoError("cannot sync", path, errno);
    return staged;
  }
}

// Raises the generation of a staged file (rare: the clock is behind the floor).
Status Restamp(int staging_fd, const std::string& staging_path, const StagedFile& staged,
               int64_t generation) {
  const std::string path = staging_path + "/" + staged.name();
  UniqueFd fd(openat(staging_fd, staged.name().c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return IoError("cannot open", path, errno);
  TP_RETURN_IF_ERROR(RewriteObjectGeneration(fd.get(), generation, path));
  if (fdatasync(fd.get()) != 0) return IoError("cannot sync", path, errno);
  return Status::Ok();
}

// Opens objects/<dir> and takes its exclusive lock. A missing directory means
// the object does not exist.
Result<UniqueFd> LockDir(int objects_fd, const std::string& dir, const std::string& path,
                         std::string_view name) {
  UniqueFd fd(
      openat(objects_fd, dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound(name);
    return IoError("cannot open directory", path, errno);
  }
  TP_RETURN_IF_ERROR(Flock(fd.get(), LOCK_EX, path));
  return fd;
}

// Releases the lock first: syncing needs no exclusion, and readers see the
// new entry either way.
Status UnlockAndSync(UniqueFd dir, const std::string& path) {
  flock(dir.get(), LOCK_UN);
  if (fsync(dir.get()) != 0) return IoError("cannot sync directory", path, errno);
  return Status::Ok();
}

// Creates objects/<dir> and its missing parents, syncing each new entry in its
// parent so a published object cannot lose its path in a crash.
Status MakeDirs(int objects_fd, const std::string& dir, const std::string& objects_path) {
  struct stat st;
  if (dir.empty() || fstatat(objects_fd, dir.c_str(), &st, 0) == 0) return Status::Ok();
  size_t end = 0;
  while (end != std::string::npos) {
    end = dir.find('/', end + 1);
    const std::string sub = dir.substr(0, end);
    if (mkdirat(objects_fd, sub.c_str(), 0755) == 0) {
      const size_t slash = sub.rfind('/');
      const std::string parent = slash == std::string::npos ? "" : sub.substr(0, slash);
      const std::string parent_path = parent.empty() ? objects_path : objects_path + "/" + parent;
      TP_ASSIGN_OR_RETURN(UniqueFd fd, OpenDir(objects_fd, parent, parent_path));
      if (fsync(fd.get()) != 0) return IoError("cannot sync directory", parent_path, errno);
    } else if (const int err = errno; err != EEXIST) {
      return IoError("cannot create directory", objects_path + "/" + sub, err);
    }
  }
  return Status::Ok();
}

Result<int64_t> ReadTombstone(int dir_fd, const std::string& dir_path) {
  const std::string path = dir_path + "/" + kTombstoneFile;
  UniqueFd fd(openat(dir_fd, kTombstoneFile, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return int64_t{0};
    return IoError("cannot open", path, errno);
  }
  char buf[kTombstoneSize + 1];
  const ssize_t n = pread(fd.get(), buf, sizeof buf, 0);
  if (n < 0) return IoError("cannot read", path, errno);
  const char* digits_end = buf + kTombstoneSize - 1;
  int64_t value = -1;
  if (static_cast<size_t>(n) != kTombstoneSize || *digits_end != '\n' ||
      std::from_chars(buf, digits_end, value).ptr != digits_end || value < 0) {
    return Status::Internal("corrupt tombstone " + path + ": expected 20 digits and a newline");
  }
  return value;
}

// Makes the directory's tombstone at least generation, durably, before the
// object with that generation is unlinked.
Status RaiseTombstone(int dir_fd, const std::string& dir_path, int64_t generation) {
  TP_ASSIGN_OR_RETURN(int64_t current, ReadTombstone(dir_fd, dir_path));
  if (generation <= current) return Status::Ok();
  const std::string path = dir_path + "/" + kTombstoneFile;
  UniqueFd fd(openat(dir_fd, kTombstoneFile, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return IoError("cannot open", path, errno);
  char text[kTombstoneSize + 1];
  std::snprintf(text, sizeof text, "%020lld\n", static_cast<long long>(generation));
  // Same size every time, so one pwrite replaces the whole value.
  if (pwrite(fd.get(), text, kTombstoneSize, 0) != static_cast<ssize_t>(kTombstoneSize)) {
    return IoError("cannot write", path, errno);
  }
  if (fdatasync(fd.get()) != 0) return IoError("cannot sync", path, errno);
  if (fsync(dir_fd) != 0) return IoError("cannot sync directory", dir_path, errno);
  return Status::Ok();
}

Result<ObjectInfo> ReadInfoAt(int dir_fd, const std::string& relative, std::string_view name,
                              const std::string& path) {
  UniqueFd fd(openat(dir_fd, relative.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound(name);
    return IoError("cannot open", path, errno);
  }
  TP_ASSIGN_OR_RETURN(Object object, ReadObjectFile(fd.get(), path, /*with_payload=*/false));
  object.info.name = std::string(name);
  return std::move(object.info);
}

// Each open store stages in its own directory and holds a flock() on it while
// open. A staging directory whose lock is free belongs to a store that is gone
// (the kernel dropped the lock, even after kill -9), so its leftovers can be
// deleted; a locked one is never touched.
void RemoveAbandonedStagingDirs(int parent_fd, const std::string& parent_path) {
  auto entries = ReadDir(parent_fd, parent_path);
  if (!entries.ok()) return;  // best effort: leftovers are invisible anyway
  for (const DirEntry& entry : *entries) {
    UniqueFd dir(
        openat(parent_fd, entry.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid() || flock(dir.get(), LOCK_EX | LOCK_NB) != 0) continue;
    auto files = ReadDir(dir.get(), parent_path + "/" + entry.name);
    if (!files.ok()) continue;
    for (const DirEntry& file : *files) unlinkat(dir.get(), file.name.c_str(), 0);
    unlinkat(parent_fd, entry.name.c_str(), AT_REMOVEDIR);
  }
}

Result<std::pair<UniqueFd, std::string>> CreateStagingDir(int parent_fd,
                                                          const std::string& parent_path) {
  while (true) {
    const std::string name = std::to_string(getpid()) + "-" + RandomHex(8);
    const std::string path = parent_path + "/" + name;
    if (mkdirat(parent_fd, name.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      return IoError("cannot create staging directory", path, errno);
    }
    UniqueFd fd(openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() && errno == ENOENT) continue;  // removed as abandoned already
    if (!fd.valid()) return IoError("cannot open staging directory", path, errno);
    TP_RETURN_IF_ERROR(Flock(fd.get(), LOCK_EX, path));
    // Another store may have removed it as abandoned before we locked it.
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return IoError("cannot stat", path, errno);
    if (st.st_nlink == 0) continue;
    return std::make_pair(std::move(fd), path);
  }
}

// Visits the objects under dir_fd in ascending name order and calls
// visit(name, dir_fd, file name, path) until it returns false. name_prefix is the
// name of dir_fd plus '/' ("" at the top); only entries whose segment starts
// with segment_prefix are visited, and only names after `after` (if set).
// The visitor also gets the file's full path, for error messages.
using Visitor = std::function<Result<bool>(const std::string& name, int dir_fd,
                                           const std::string& file, const std::string& path)>;

Result<bool> Walk(int dir_fd, const std::string& dir_path, const std::string& name_prefix,
                  std::string_view segment_prefix, std::string_view after, const Visitor& visit) {
  struct Entry {
    std::string key;  // the object name, or the directory's name + '/'
    std::string file;
    bool is_object;
  };
  TP_ASSIGN_OR_RETURN(std::vector<DirEntry> raw, ReadDir(dir_fd, dir_path));
  std::vector<Entry> entries;
  for (DirEntry& e : raw) {
    if (e.name.front() == '.') continue;
    const bool is_object = e.name.size() > kObjectSuffix.size() && e.name.ends_with(kObjectSuffix);
    if (e.type != DT_UNKNOWN && e.type != (is_object ? DT_REG : DT_DIR)) continue;  // not ours
    std::string segment = e.name;
    if (is_object) {
      segment.resize(segment.size() - kObjectSuffix.size());
    } else if (segment.ends_with(kDirSuffix)) {
      segment.resize(segment.size() - kDirSuffix.size());
    }
    if (!segment.starts_with(segment_prefix)) continue;
    std::string key = name_prefix + segment;
    if (!is_object) key += '/';
    entries.push_back({std::move(key), std::move(e.name), is_object});
  }
  // Sorting by key gives name order overall: an object name and the names
  // under a directory key extend their key, and keys never contain '/'
  // except a directory's final one.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.key < b.key; });
  for (const Entry& e : entries) {
    if (e.is_object) {
      if (!after.empty() && e.key <= after) continue;
      TP_ASSIGN_OR_RETURN(bool more, visit(e.key, dir_fd, e.file, dir_path + "/" + e.file));
      if (!more) return false;
      continue;
    }
    // Skip a subtree whose names all sort before `after`.
    if (!after.empty() && e.key < after && !after.starts_with(e.key)) continue;
    const std::string path = dir_path + "/" + e.file;
    UniqueFd child(openat(dir_fd, e.file.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid()) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) continue;
      return IoError("cannot open directory", path, errno);
    }
    TP_ASSIGN_OR_RETURN(bool more, Walk(child.get(), path, e.key, "", after, visit));
    if (!more) return false;
  }
  return true;
}

}  // namespace

FsObjectStore::FsObjectStore(std::string root, UniqueFd objects_dir, UniqueFd staging_dir,
                             std::string staging_path)
    : root_(std::move(root)),
      objects_dir_(std::move(objects_dir)),
      staging_dir_(std::move(staging_dir)),
      staging_path_(std::move(staging_path)) {}

std::string FsObjectStore::ObjectsPath(std::string_view relative) const {
  std::string path = root_ + "/" + kObjectsDir;
  if (!relative.empty()) path.append("/").append(relative);
  return path;
}

Result<std::unique_ptr<FsObjectStore>> FsObjectStore::Open(const std::string& dir) {
  if (dir.empty()) return Status::InvalidArgument("bucket directory path is empty");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create bucket directory " + dir + ": " + ec.message());
  TP_ASSIGN_OR_RETURN(UniqueFd root, OpenDir(AT_FDCWD, dir, dir));
  bool created = false;
  for (const char* sub : {kObjectsDir, kStagingDir}) {
    if (mkdirat(root.get(), sub, 0755) == 0) {
      created = true;
    } else if (const int err = errno; err != EEXIST) {
      return IoError("cannot create directory", dir + "/" + sub, err);
    }
  }
  if (created && fsync(root.get()) != 0) return IoError("cannot sync directory", dir, errno);
  TP_ASSIGN_OR_RETURN(UniqueFd objects, OpenDir(root.get(), kObjectsDir, dir + "/" + kObjectsDir));
  const std::string staging_parent_path = dir + "/" + kStagingDir;
  TP_ASSIGN_OR_RETURN(UniqueFd staging_parent,
                      OpenDir(root.get(), kStagingDir, staging_parent_path));
  RemoveAbandonedStagingDirs(staging_parent.get(), staging_parent_path);
  TP_ASSIGN_OR_RETURN(auto staging, CreateStagingDir(staging_parent.get(), staging_parent_path));
  return std::unique_ptr<FsObjectStore>(new FsObjectStore(
      dir, std::move(objects), std::move(staging.first), std::move(staging.second)));
}

Result<Object> FsObjectStore::Get(std::string_view name) const {
  TP_ASSIGN_OR_RETURN(ObjectPath path, MapName(name));
  const std::string relative = path.Relative();
  const std::string full = ObjectsPath(relative);
  UniqueFd fd(openat(objects_dir_.get(), relative.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return NotFound(name);
    return IoError("cannot open", full, errno);
  }
  TP_ASSIGN_OR_RETURN(Object object, ReadObjectFile(fd.get(), full, /*with_payload=*/true));
  object.info.name = std::string(name);
  return object;
}

Result<ObjectInfo> FsObjectStore::Stat(std::string_view name) const {
  TP_ASSIGN_OR_RETURN(ObjectPath path, MapName(name));
  const std::string relative = path.Relative();
  return ReadInfoAt(objects_dir_.get(), relative, name, ObjectsPath(relative));
}

Result<ListPage> FsObjectStore::List(std::string_view prefix, std::string_view page_token,
                                     size_t max_results) const {
  if (max_results == 0) return Status::InvalidArgument("max_results must be positive");
  ListPage page;
  // Start in the deepest directory the prefix names; if one of its segments
  // could not be part of a valid name, no object matches.
  const size_t slash = prefix.rfind('/');
  const std::string_view dir_part = slash == std::string_view::npos ? "" : prefix.substr(0, slash);
  const std::string_view segment_prefix =
      prefix.substr(slash == std::string_view::npos ? 0 : slash + 1);
  std::string relative;
  for (size_t start = 0; slash != std::string_view::npos;) {
    const size_t end = dir_part.find('/', start);
    const std::string_view segment = dir_part.substr(start, end - start);
    if (!IsValidSegment(segment)) return page;
    if (!relative.empty()) relative += '/';
    relative += EncodeDirSegment(segment);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  const std::string dir_path = ObjectsPath(relative);
  UniqueFd dir(openat(objects_dir_.get(), relative.empty() ? "." : relative.c_str(),
                      O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return page;
    return IoError("cannot open directory", dir_path, errno);
  }
  const std::string name_prefix(prefix.substr(0, slash == std::string_view::npos ? 0 : slash + 1));
  auto visit = [&](const std::string& name, int dir_fd, const std::string& file,
                   const std::string& path) -> Result<bool> {
    if (page.objects.size() == max_results) {  // one more exists: not the last page
      page.next_page_token = page.objects.back().name;
      return false;
    }
    auto info = ReadInfoAt(dir_fd, file, name, path);
    if (info.ok()) {
      page.objects.push_back(std::move(info).value());
    } else if (!info.status().is(ErrorCode::kNotFound)) {  // not-found: deleted meanwhile
      return info.status();
    }
    return true;
  };
  TP_RETURN_IF_ERROR(
      Walk(dir.get(), dir_path, name_prefix, segment_prefix, page_token, visit).status());
  return page;
}

Result<ObjectInfo> FsObjectStore::PutIfAbsent(const NewObject& object) {
  return std::move(PutAllIfAbsent(std::span(&object, 1)).front());
}

std::vector<Result<ObjectInfo>> FsObjectStore::PutAllIfAbsent(std::span<const NewObject> objects) {
  const size_t n = objects.size();
  std::vector<Status> status(n);
  std::vector<ObjectInfo> infos(n);
  std::vector<ObjectPath> paths(n);
  std::vector<std::optional<StagedFile>> staged(n);
  std::vector<size_t> pending;
  const bool sync_each = n < kSyncfsMinBatch;

  for (size_t i = 0; i < n; ++i) {
    const NewObject& object = objects[i];
    auto path = MapName(object.name);
    if (!path.ok()) {
      status[i] = path.status();
      continue;
    }
    paths[i] = std::move(path).value();
    // An object that already exists fails now (a linearizable answer) without a staged write.
    struct stat st;
    if (fstatat(objects_dir_.get(), paths[i].Relative().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      status[i] = AlreadyExists(object.name);
      continue;
    }
    const int64_t now = NowNanos();
    infos[i] = ObjectInfo{object.name, now, object.data.size(), now, object.metadata};
    auto header = EncodeObjectHeader(infos[i], object.data);
    if (!header.ok()) {
      status[i] = header.status();
      continue;
    }
    auto file = Stage(staging_dir_.get(), staging_path_, *header, object.data, sync_each);
    if (!file.ok()) {
      status[i] = file.status();
      continue;
    }
    staged[i].emplace(std::move(file).value());
    pending.push_back(i);
  }
  if (!sync_each && !pending.empty() && syncfs(staging_dir_.get()) != 0) {
    const Status error = IoError("cannot sync the filesystem of", staging_path_, errno);
    for (size_t i : pending) status[i] = error;
    pending.clear();
  }

  // Publish directory by directory, each under its lock.
  std::stable_sort(pending.begin(), pending.end(),
                   [&](size_t a, size_t b) { return paths[a].dir < paths[b].dir; });
  for (size_t begin = 0, end = 0; begin < pending.size(); begin = end) {
    const std::string& dir = paths[pending[begin]].dir;
    while (end < pending.size() && paths[pending[end]].dir == dir) ++end;
    const std::span<const size_t> group(pending.data() + begin, end - begin);
    auto fail_group = [&](const Status& error) {
      for (size_t i : group) status[i] = error;
    };
    const std::string dir_path = ObjectsPath(dir);
    if (Status s = MakeDirs(objects_dir_.get(), dir, ObjectsPath("")); !s.ok()) {
      fail_group(s);
      continue;
    }
    auto locked = LockDir(objects_dir_.get(), dir, dir_path, objects[group.front()].name);
    if (!locked.ok()) {
      fail_group(locked.status());
      continue;
    }
    auto floor = ReadTombstone(locked->get(), dir_path);
    if (!floor.ok()) {
      fail_group(floor.status());
      continue;
    }
    std::vector<size_t> published;
    for (size_t i : group) {
      if (infos[i].generation <= *floor) {
        infos[i].generation = *floor + 1;
        status[i] = Restamp(staging_dir_.get(), staging_path_, *staged[i], infos[i].generation);
        if (!status[i].ok()) continue;
      }
      if (linkat(staging_dir_.get(), staged[i]->name().c_str(), locked->get(),
                 paths[i].leaf.c_str(), 0) == 0) {
        published.push_back(i);
      } else if (const int err = errno; err == EEXIST) {
        status[i] = AlreadyExists(objects[i].name);
      } else {
        status[i] = IoError("cannot publish", ObjectsPath(paths[i].Relative()), err);
      }
    }
    if (Status s = UnlockAndSync(std::move(locked).value(), dir_path); !s.ok()) {
      for (size_t i : published) status[i] = s;
    }
  }

  std::vector<Result<ObjectInfo>> results;
  results.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (status[i].ok()) {
      results.emplace_back(std::move(infos[i]));
    } else {
      results.emplace_back(std::move(status[i]));
    }
  }
  return results;
}

Result<ObjectInfo> FsObjectStore::PutIfGeneration(const NewObject& object,
                                                  int64_t expected_generation) {
  TP_RETURN_IF_ERROR(CheckExpectedGeneration(object.name, expected_generation));
  // Generation 0 stands for "no object", as GCS's ifGenerationMatch=0 does.
  if (expected_generation == 0) return PutIfAbsent(object);
  TP_ASSIGN_OR_RETURN(ObjectPath path, MapName(object.name));
  const std::string relative = path.Relative();
  const std::string full = ObjectsPath(relative);
  const std::string dir_path = ObjectsPath(path.dir);

  // A stale precondition fails here, before paying for a staged write.
  TP_ASSIGN_OR_RETURN(ObjectInfo current,
                      ReadInfoAt(objects_dir_.get(), relative, object.name, full));
  TP_RETURN_IF_ERROR(CheckGeneration(object.name, expected_generation, current.generation));

  const int64_t now = NowNanos();
  ObjectInfo info{object.name, now, object.data.size(), now, object.metadata};
  TP_ASSIGN_OR_RETURN(std::string header, EncodeObjectHeader(info, object.data));
  TP_ASSIGN_OR_RETURN(StagedFile staged,
                      Stage(staging_dir_.get(), staging_path_, header, object.data, true));

  TP_ASSIGN_OR_RETURN(UniqueFd dir, LockDir(objects_dir_.get(), path.dir, dir_path, object.name));
  TP_ASSIGN_OR_RETURN(current, ReadInfoAt(dir.get(), path.leaf, object.name, full));
  TP_RETURN_IF_ERROR(CheckGeneration(object.name, expected_generation, current.generation));
  if (info.generation <= current.generation) {
    info.generation = current.generation + 1;
    TP_RETURN_IF_ERROR(Restamp(staging_dir_.get(), staging_path_, staged, info.generation));
  }
  if (renameat(staging_dir_.get(), staged.name().c_str(), dir.get(), path.leaf.c_str()) != 0) {
    return IoError("cannot publish", full, errno);
  }
  staged.Consumed();
  TP_RETURN_IF_ERROR(UnlockAndSync(std::move(dir), dir_path));
  return info;
}

Status FsObjectStore::RemoveIfGeneration(std::string_view name, int64_t expected_generation) {
  TP_RETURN_IF_ERROR(CheckExpectedGeneration(name, expected_generation));
  TP_ASSIGN_OR_RETURN(ObjectPath path, MapName(name));
  const std::string full = ObjectsPath(path.Relative());
  const std::string dir_path = ObjectsPath(path.dir);
  TP_ASSIGN_OR_RETURN(UniqueFd dir, LockDir(objects_dir_.get(), path.dir, dir_path, name));
  TP_ASSIGN_OR_RETURN(ObjectInfo current, ReadInfoAt(dir.get(), path.leaf, name, full));
  TP_RETURN_IF_ERROR(CheckGeneration(name, expected_generation, current.generation));
  TP_RETURN_IF_ERROR(RaiseTombstone(dir.get(), dir_path, current.generation));
  if (unlinkat(dir.get(), path.leaf.c_str(), 0) != 0) return IoError("cannot remove", full, errno);
  return UnlockAndSync(std::move(dir), dir_path);
}

}  // namespace trustplane::store
