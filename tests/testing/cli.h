// Runs the built `alike` binary as a user does, for the command-line tests.
#ifndef ALIKE_TESTS_TESTING_CLI_H_
#define ALIKE_TESTS_TESTING_CLI_H_

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace alike::test {

struct RunResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the alike binary on the test's database (or on `db` when given).
inline RunResult RunAlike(const TempDir& dir, const std::string& args, std::string db = "") {
  const std::string out = dir.Sub("stdout"), err = dir.Sub("stderr");
  if (db.empty()) db = dir.Sub("db");
  const std::string cmd = std::string(ALIKE_CLI_PATH) + " --db " + db + " " + args + " >" + out +
                          " 2>" + err + " </dev/null";
  int status = std::system(cmd.c_str());
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

inline std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_CLI_H_
