// PostgresServer: a throwaway real PostgreSQL cluster for tests, reachable
// only through a unix socket in its own temp directory.
#pragma once

#include <string>
#include <vector>

namespace trustplane::testing {

class PostgresServer {
 public:
  // Shared by every test in the binary: started on first use, stopped at exit.
  // Fails the calling test (ADD_FAILURE) and returns nullptr if it cannot start.
  static PostgresServer* Shared();

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A libpq URL for a fresh database created by this call.
  std::string NewDatabaseUrl();

 private:
  PostgresServer() = default;
  bool Start(std::string* error);
  std::string Run(const std::string& tool, const std::vector<std::string>& args, bool* ok) const;

  std::string bin_dir_, dir_;
  bool started_ = false;
  int next_db_ = 0;
};

}  // namespace trustplane::testing
