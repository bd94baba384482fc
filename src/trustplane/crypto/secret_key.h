// SecretKey: raw key bytes that are wiped (OPENSSL_cleanse) when freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace trustplane::crypto {

// Move-only so a key is never silently duplicated; every copy is explicit
// (Clone) and wiped on destruction like the original.
class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(std::string_view bytes);
  explicit SecretKey(size_t size);  // zero-filled, for output buffers
  ~SecretKey();
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  // A fresh key of size bytes from OpenSSL's CSPRNG; aborts if it fails.
  static SecretKey Random(size_t size);

  SecretKey Clone() const { return SecretKey(view()); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  void Resize(size_t size);  // shrinking wipes the dropped tail

 private:
  void Wipe();
  std::vector<uint8_t> bytes_;
};

// Wipes a std::string that held secret material (hex of a key, a PIN).
void WipeString(std::string& s);

}  // namespace trustplane::crypto
