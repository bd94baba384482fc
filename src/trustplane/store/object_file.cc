#include "trustplane/store/object_file.h"

#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <system_error>

namespace trustplane::store {
namespace {

constexpr std::string_view kMagic = "tpobject";
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderSizeOffset = 12;
constexpr size_t kGenerationOffset = 16;
constexpr size_t kFixedHeaderSize = 76;
// Stat and List read this much first; almost every header fits.
constexpr size_t kHeaderReadAhead = 4096;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

// Bounds-checked little-endian reads over the header bytes.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}

  bool U32(uint32_t* v) {
    uint64_t wide;
    if (!Fixed(4, &wide)) return false;
    *v = static_cast<uint32_t>(wide);
    return true;
  }
  bool U64(uint64_t* v) { return Fixed(8, v); }
  bool Bytes(size_t n, std::string_view* v) {
    if (rest_.size() < n) return false;
    *v = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  bool String(std::string* v) {
    uint32_t n;
    std::string_view bytes;
    if (!U32(&n) || !Bytes(n, &bytes)) return false;
    v->assign(bytes);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  bool Fixed(size_t n, uint64_t* v) {
    if (rest_.size() < n) return false;
    *v = 0;
    for (size_t i = 0; i < n; ++i) *v |= uint64_t{static_cast<unsigned char>(rest_[i])} << (8 * i);
    rest_.remove_prefix(n);
    return true;
  }
  std::string_view rest_;
};

Status IoError(std::string_view what, const std::string& path, int err) {
  return Status::Internal(std::string(what) + " " + path + ": " +
                          std::generic_category().message(err));
}

// Reads exactly n bytes at offset 0 into out.
Status ReadPrefix(int fd, size_t n, const std::string& path, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t got = pread(fd, out->data() + done, n - done, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return IoError("cannot read", path, errno);
    if (got == 0)
      return Status::Internal("corrupt object file " + path + ": unexpected end of file");
    done += static_cast<size_t>(got);
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> EncodeObjectHeader(const ObjectInfo& info, std::string_view payload) {
  std::string h;
  h.reserve(kFixedHeaderSize + 64 * info.metadata.size());
  h.append(kMagic);
  PutU32(h, kFormatVersion);
  PutU32(h, 0);  // header size, patched below
  PutU64(h, static_cast<uint64_t>(info.generation));
  PutU64(h, static_cast<uint64_t>(info.updated_unix_nanos));
  PutU64(h, payload.size());
  h.append(Sha256(payload));
  PutU32(h, static_cast<uint32_t>(info.metadata.size()));
  for (const auto& [key, value] : info.metadata) {
    if (key.size() > std::numeric_limits<uint32_t>::max() ||
        value.size() > std::numeric_limits<uint32_t>::max()) {
      return Status::InvalidArgument("metadata of object " + info.name + " is too large");
    }
    PutString(h, key);
    PutString(h, value);
  }
  if (h.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("metadata of object " + info.name + " is too large");
  }
  std::string size;
  PutU32(size, static_cast<uint32_t>(h.size()));
  h.replace(kHeaderSizeOffset, 4, size);
  return h;
}

Status RewriteObjectGeneration(int fd, int64_t generation, const std::string& path) {
  std::string field;
  PutU64(field, static_cast<uint64_t>(generation));
  if (pwrite(fd, field.data(), field.size(), kGenerationOffset) !=
      static_cast<ssize_t>(field.size())) {
    return IoError("cannot write generation to", path, errno);
  }
  return Status::Ok();
}

Result<Object> ReadObjectFile(int fd, const std::string& path, bool with_payload) {
  auto corrupt = [&path](const std::string& why) {
    return Status::Internal("corrupt object file " + path + ": " + why);
  };
  struct stat st;
  if (fstat(fd, &st) != 0) return IoError("cannot stat", path, errno);
  const auto file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < kFixedHeaderSize) {
    return corrupt("file is " + std::to_string(file_size) +
                   " bytes, shorter than an object header");
  }

  std::string buf;
  const size_t first_read =
      with_payload ? file_size : std::min<uint64_t>(file_size, kHeaderReadAhead);
  TP_RETURN_IF_ERROR(ReadPrefix(fd, first_read, path, &buf));

  Reader fixed(buf);
  std::string_view magic;
  uint32_t version = 0;
  uint32_t header_size = 0;
  fixed.Bytes(kMagic.size(), &magic);
  if (magic != kMagic) return corrupt("bad magic (not a trustplane object)");
  fixed.U32(&version);
  if (version != kFormatVersion)
    return corrupt("unsupported format version " + std::to_string(version));
  fixed.U32(&header_size);
  if (header_size < kFixedHeaderSize || header_size > file_size) {
    return corrupt("header size " + std::to_string(header_size) + " out of range");
  }
  if (buf.size() < header_size) TP_RETURN_IF_ERROR(ReadPrefix(fd, header_size, path, &buf));

  Object object;
  ObjectInfo& info = object.info;
  Reader r(std::string_view(buf).substr(kGenerationOffset, header_size - kGenerationOffset));
  uint64_t generation = 0;
  uint64_t updated = 0;
  uint32_t count = 0;
  std::string_view digest;
  if (!r.U64(&generation) || !r.U64(&updated) || !r.U64(&info.size) ||
      !r.Bytes(SHA256_DIGEST_LENGTH, &digest) || !r.U32(&count)) {
    return corrupt("truncated header");
  }
  info.generation = static_cast<int64_t>(generation);
  info.updated_unix_nanos = static_cast<int64_t>(updated);
  if (info.generation <= 0)
    return corrupt("generation " + std::to_string(info.generation) + " is not positive");
  for (uint32_t i = 0; i < count; ++i) {
    std::string key;
    std::string value;
    if (!r.String(&key) || !r.String(&value)) return corrupt("truncated metadata");
    info.metadata.emplace(std::move(key), std::move(value));
  }
  if (!r.done()) return corrupt("unexpected bytes after the metadata");
  if (info.size != file_size - header_size) {
    return corrupt("file is " + std::to_string(file_size) + " bytes but the header says " +
                   std::to_string(header_size) + " + " + std::to_string(info.size));
  }
  if (with_payload) {
    const std::string expected_digest(digest);
    buf.erase(0, header_size);
    if (Sha256(buf) != expected_digest) return corrupt("payload does not match its SHA-256");
    object.data = std::move(buf);
  }
  return object;
}

}  // namespace trustplane::store
