// SHA-256 of a byte string (OpenSSL), for content hashes and chains.
#pragma once

#include <string>
#include <string_view>

namespace trustplane {

std::string Sha256(std::string_view data);     // 32 raw bytes
std::string Sha256Hex(std::string_view data);  // 64 lowercase hex digits

}  // namespace trustplane
