// Runs real programs (the trustplane binary, openssl) from tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace trustplane::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

// Runs argv to completion; env entries are added to (or override) the environment.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& stdin_data = "");

// Starts argv with stdout/stderr sent to /dev/null; returns its pid.
pid_t SpawnProcess(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& env = {});
// Waits for pid; returns its ProcessResult without output.
ProcessResult WaitProcess(pid_t pid);

// For servers started with --port-file: waits, at most `limit`, until the
// file holds a port; 0 when the process exits first or time runs out (the
// reason in *error).
int WaitForPortFile(pid_t pid, const std::string& port_file, std::chrono::seconds limit, std::string* error);
// SIGTERM, then waits at most `limit` (SIGKILL after): the exit code, or -1
// when it had to be killed or died of a signal.
int TerminateProcess(pid_t pid, std::chrono::seconds limit);

}  // namespace trustplane::testing
