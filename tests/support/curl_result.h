// What a `curl ... -w "\n%{http_code}" URL` run returned, split apart.
#pragma once

#include <string>

#include "support/subprocess.h"

namespace trustplane::testing {

struct CurlResult {
  int exit_code = -1;
  int http_code = 0;  // 0: no HTTP response
  std::string body;
};

// `r` must come from a curl run with -w "\n%{http_code}".
CurlResult CurlResultOf(const ProcessResult& r);

}  // namespace trustplane::testing
