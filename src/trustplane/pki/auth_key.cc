#include "trustplane/pki/auth_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "trustplane/base/encoding.h"

namespace trustplane::pki {
namespace {

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

}  // namespace

Result<std::string> ResolveAuthKey(std::string_view text) {
  std::string hex(text);
  if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    const std::string_view prefix = text.substr(0, colon);
    const std::string rest(text.substr(colon + 1));
    if (prefix == "env") {
      const char* value = std::getenv(rest.c_str());
      if (value == nullptr || *value == '\0') {
        return Status::InvalidArgument("environment variable " + rest + " is unset or empty");
      }
      hex = value;
    } else if (prefix == "file") {
      std::ifstream in(rest, std::ios::binary);
      if (!in) return Status::InvalidArgument("cannot read key file " + rest);
      std::ostringstream content;
      content << in.rdbuf();
      hex = Trim(content.str());
    } else {
      return Status::InvalidArgument("unknown key prefix '" + std::string(prefix) +
                                     "' (use hex, env:VAR or file:PATH)");
    }
  }
  if (hex.empty()) return Status::InvalidArgument("the key is empty");
  if (hex.find(':') != std::string::npos) return Status::InvalidArgument("the key is not hex");
  auto key = HexDecode(hex);
  if (!key.ok()) return Status::InvalidArgument("the key is not hex");
  return key;
}

std::string StandardAuthToken(std::string_view key, std::string_view request) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(request.data()), request.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

bool VerifyStandardAuthToken(std::string_view key, std::string_view request, std::string_view token) {
  return ConstantTimeEquals(StandardAuthToken(key, request), token);
}

}  // namespace trustplane::pki
