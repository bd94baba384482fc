#include "support/curl_result.h"

#include <cstdlib>

namespace trustplane::testing {

CurlResult CurlResultOf(const ProcessResult& r) {
  CurlResult out;
  out.exit_code = r.exit_code;
  const size_t nl = r.out.rfind('\n');
  if (nl != std::string::npos) {
    out.body = r.out.substr(0, nl);
    out.http_code = std::atoi(r.out.c_str() + nl + 1);
  }
  return out;
}

}  // namespace trustplane::testing
