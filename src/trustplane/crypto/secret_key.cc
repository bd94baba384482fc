#include "trustplane/crypto/secret_key.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace trustplane::crypto {

SecretKey::SecretKey(std::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}

SecretKey::SecretKey(size_t size) : bytes_(size, 0) {}

SecretKey::~SecretKey() {
  Wipe();
}

SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

SecretKey SecretKey::Random(size_t size) {
  SecretKey key(size);
  if (size > 0 && RAND_bytes(key.data(), static_cast<int>(size)) != 1) {
    std::fputs("trustplane: the OpenSSL random generator failed\n", stderr);
    std::abort();
  }
  return key;
}

void SecretKey::Resize(size_t size) {
  if (size < bytes_.size()) OPENSSL_cleanse(bytes_.data() + size, bytes_.size() - size);
  // Growing may reallocate; wipe into a fresh buffer so no stale copy stays behind.
  if (size > bytes_.capacity()) {
    std::vector<uint8_t> grown(size, 0);
    std::copy(bytes_.begin(), bytes_.end(), grown.begin());
    Wipe();
    bytes_ = std::move(grown);
    return;
  }
  bytes_.resize(size);
}

void SecretKey::Wipe() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

void WipeString(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace trustplane::crypto
