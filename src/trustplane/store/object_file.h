// The on-disk encoding of one object in the filesystem store: a versioned
// binary header followed by the payload. All integers are little-endian.
//
//   offset  size  field
//   0       8     magic "tpobject"
//   8       4     format version (1)
//   12      4     header size H (bytes before the payload)
//   16      8     generation
//   24      8     updated, Unix nanoseconds
//   32      8     payload size P
//   40      32    SHA-256 of the payload
//   72      4     metadata entry count N
//   76      ...   N x (u32 key length, key, u32 value length, value)
//   H       P     payload
//
// A file is valid only if its size is exactly H + P, so a truncated or
// extended file is detected by Stat and List, and Get also checks the digest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"
#include "trustplane/store/object_store.h"

namespace trustplane::store {

// Serializes the header for info (its name is not stored: the path is the
// name) and payload. kInvalidArgument if the metadata does not fit the format.
Result<std::string> EncodeObjectHeader(const ObjectInfo& info, std::string_view payload);

// Overwrites the generation of the object file open for writing at fd, for a
// staged file whose generation must be raised before it is published.
Status RewriteObjectGeneration(int fd, int64_t generation, const std::string& path);

// Reads and validates the object file open at fd. Without the payload only the
// header is read (Stat, List); with it the payload digest is checked too (Get).
// A malformed file is kInternal naming path. The returned name is empty.
Result<Object> ReadObjectFile(int fd, const std::string& path, bool with_payload);

}  // namespace trustplane::store
