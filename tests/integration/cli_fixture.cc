#include "cli_fixture.h"

#include <algorithm>

namespace trustplane::testing {

void CliTest::SetUp() {
  auto r = Tp({"init"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

ProcessResult CliTest::Tp(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {TRUSTPLANE_BIN, "--home", home()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, {{"TRUSTPLANE_ACTOR", "test:cli"}});
}

nlohmann::json CliTest::TpJson(const std::vector<std::string>& args, int expected_exit) const {
  std::vector<std::string> full = {"--output", "json"};
  full.insert(full.end(), args.begin(), args.end());
  auto r = Tp(full);
  EXPECT_EQ(r.exit_code, expected_exit) << r.err;
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << r.out << " (" << e.what() << ")";
    return nullptr;
  }
}

std::string CliTest::Write(const std::string& name, const std::string& content) const {
  std::string path = dir_.Join("files/" + name);
  WriteFile(path, content);
  return path;
}

std::vector<std::string> CliTest::TrustedSet() const {
  std::vector<std::string> out;
  auto list = TpJson({"trust", "list"});
  for (const auto& r : list) {
    std::string tenants;
    for (const auto& t : r["tenants"]) tenants += t.get<std::string>() + ";";
    out.push_back(r["kind"].get<std::string>() + " " + r["sha256"].get<std::string>() + " " +
                  tenants);
  }
  std::sort(out.begin(), out.end());
  return out;
}

nlohmann::json CliTest::AuditEvents() const { return TpJson({"audit", "log"}); }

std::string OpensslSerialHex(const std::string& cert_path) {
  ProcessResult r = RunProcess({"openssl", "x509", "-in", cert_path, "-noout", "-serial"});
  const size_t eq = r.out.find('=');
  if (r.exit_code != 0 || eq == std::string::npos) return "";
  return r.out.substr(eq + 1, r.out.find('\n', eq) - eq - 1);
}

}  // namespace trustplane::testing
