#include "support/postgres_server.h"

#include <glob.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "support/subprocess.h"

namespace trustplane::testing {

namespace {

constexpr const char* kUser = "tp";

std::string FindBinDir() {
  glob_t g{};
  std::string found;
  if (glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, nullptr, &g) == 0 && g.gl_pathc > 0) {
    found = std::filesystem::path(g.gl_pathv[g.gl_pathc - 1]).parent_path();  // newest
  }
  globfree(&g);
  return found;
}

}  // namespace

PostgresServer* PostgresServer::Shared() {
  static std::unique_ptr<PostgresServer> server;
  static std::string error;
  if (!server && error.empty()) {
    std::unique_ptr<PostgresServer> s(new PostgresServer());
    if (s->Start(&error)) server = std::move(s);
  }
  if (!server) ADD_FAILURE() << "cannot start the test PostgreSQL server: " << error;
  return server.get();
}

// PostgreSQL refuses to run as root, so as root every tool runs as `postgres`.
std::string PostgresServer::Run(const std::string& tool, const std::vector<std::string>& args,
                                bool* ok) const {
  std::vector<std::string> argv;
  if (geteuid() == 0) argv = {"runuser", "-u", "postgres", "--"};
  argv.push_back(bin_dir_ + "/" + tool);
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = RunProcess(argv);
  *ok = r.exit_code == 0;
  return r.out + r.err;
}

bool PostgresServer::Start(std::string* error) {
  bin_dir_ = FindBinDir();
  if (bin_dir_.empty()) {
    *error = "no /usr/lib/postgresql/*/bin/pg_ctl; install the Debian 'postgresql' package "
             "(scripts/install-deps.sh does)";
    return false;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/tp-pg-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    *error = "mkdtemp failed for " + tmpl;
    return false;
  }
  dir_ = tmpl;
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr || chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      *error = "cannot hand " + dir_ + " to the 'postgres' user (does it exist?)";
      return false;
    }
  }
  bool ok = false;
  std::string out = Run("initdb", {"-D", dir_ + "/data", "-A", "trust", "-U", kUser, "-E",
                                   "UTF8", "--no-sync"}, &ok);
  if (!ok) {
    *error = "initdb failed: " + out;
    return false;
  }
  // Unix socket only (no TCP port to collide on); fsync off: test data is disposable.
  out = Run("pg_ctl", {"-D", dir_ + "/data", "-l", dir_ + "/log", "-w", "-t", "20", "-o",
                       "-k " + dir_ + " -c listen_addresses= -F", "start"},
            &ok);
  if (!ok) {
    *error = "pg_ctl start failed: " + out;
    return false;
  }
  started_ = true;
  return true;
}

std::string PostgresServer::NewDatabaseUrl() {
  const std::string name = "tp" + std::to_string(++next_db_);
  bool ok = false;
  const std::string out = Run("createdb", {"-h", dir_, "-U", kUser, name}, &ok);
  if (!ok) ADD_FAILURE() << "createdb " << name << " failed: " << out;
  return "postgresql:///" + name + "?host=" + dir_ + "&user=" + kUser;
}

PostgresServer::~PostgresServer() {
  bool ok = false;
  if (started_) Run("pg_ctl", {"-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}, &ok);
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace trustplane::testing
