// CliTest: a fresh trustplane home per test and helpers to run the real binary.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"

namespace trustplane::testing {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Runs `trustplane --home <home> args...`.
  ProcessResult Tp(const std::vector<std::string>& args) const;
  // Runs with --output json and parses stdout; fails the test on non-JSON.
  nlohmann::json TpJson(const std::vector<std::string>& args, int expected_exit = 0) const;
  // Writes content to a file in the scratch dir and returns its path.
  std::string Write(const std::string& name, const std::string& content) const;
  std::string WritePem(const std::string& name, const Issued& issued) const {
    return Write(name, issued.cert_pem);
  }
  // Fingerprints of every trusted certificate, sorted, with kind and tenants.
  std::vector<std::string> TrustedSet() const;
  // Audit events as JSON objects.
  nlohmann::json AuditEvents() const;

  std::string home() const { return dir_.Join("home"); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
};

// The certificate's serial as `openssl x509 -serial` prints it: uppercase
// hex, up to 40 digits ("" if openssl fails).
std::string OpensslSerialHex(const std::string& cert_path);

}  // namespace trustplane::testing
