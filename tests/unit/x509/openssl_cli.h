// Asks the real openssl binary about a file, as users compare with it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/subprocess.h"

namespace trustplane::testing {

// stdout of `openssl args...`; a non-zero exit fails the test.
inline std::string OpenSsl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = RunProcess(argv);
  EXPECT_EQ(r.exit_code, 0) << "openssl failed: " << r.err;
  return r.out;
}

// "SHA256 Fingerprint=AB:CD:..\n" -> "abcd..": the value after '=' lowercased, without ':'.
inline std::string ValueAfterEquals(const std::string& line) {
  std::string v = line.substr(line.find('=') + 1);
  std::string out;
  for (char c : v) {
    if (c != ':' && c != '\n' && c != ' ') out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

}  // namespace trustplane::testing
