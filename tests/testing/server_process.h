// Runs the built `alike serve` as a child process on a free loopback port, as a user would, for
// the API tests: the port is read from the line the server prints when it is listening.
#ifndef ALIKE_TESTS_TESTING_SERVER_PROCESS_H_
#define ALIKE_TESTS_TESTING_SERVER_PROCESS_H_

#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "testing/child_process.h"

namespace alike::test {

class ServerProcess {
 public:
  // Starts `alike --db DB serve --port 0 ARGS...`; port() is 0 when it did not come up (its
  // output is then in output()).
  ServerProcess(const std::string& db, const std::vector<std::string>& args)
      : ServerProcess(ServeCommand(db, args), 30'000) {}

  // Starts any command that ends up serving (scripts/run.sh): its output up to the line
  // "alike: serving DB on http://HOST:PORT" may be as long as it likes, within `timeout_ms`.
  ServerProcess(std::vector<std::string> argv, int timeout_ms) {
    // Built before forking: the child of a threaded process should not allocate.
    std::vector<char*> c_argv;
    for (std::string& a : argv) c_argv.push_back(a.data());
    c_argv.push_back(nullptr);
    child_ = ForkWithPipe([&](int write_fd) {
      dup2(write_fd, STDOUT_FILENO);
      dup2(write_fd, STDERR_FILENO);
      execv(c_argv[0], c_argv.data());
      _exit(127);
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    size_t serving = std::string::npos;
    while ((serving = output_.find("alike: serving ")) == std::string::npos ||
           output_.find('\n', serving) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !ReadSome(static_cast<int>(left.count()))) return;
    }
    const std::string line = output_.substr(serving, output_.find('\n', serving) - serving);
    const size_t colon = line.rfind(':');
    if (line.find("http://") != std::string::npos && colon != std::string::npos) {
      port_ = std::stoi(line.substr(colon + 1));
    }
  }
  ~ServerProcess() {
    if (child_.pid > 0 && !exited_) {
      kill(child_.pid, SIGKILL);
      WaitFor(child_);
    }
    if (child_.read_fd >= 0) close(child_.read_fd);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  std::unique_ptr<httplib::Client> Client() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client->set_read_timeout(60);
    return client;
  }

  // Sends a signal, not waiting for anything (SIGSTOP, SIGCONT).
  void Signal(int signal) { kill(child_.pid, signal); }
  // Sends a signal and waits for the process to end; returns its exit code (-1: killed).
  int StopWith(int signal) {
    kill(child_.pid, signal);
    return Wait();
  }
  int Wait() {
    const int status = WaitFor(child_);
    exited_ = true;
    while (ReadSome(0)) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // Waits at most `timeout_ms` for the process to end by itself: its exit code (-1: killed), or
  // nullopt while it still runs (the destructor then kills it).
  std::optional<int> WaitAtMost(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(child_.pid, &status, WNOHANG) == child_.pid) {
        exited_ = true;
        while (ReadSome(0)) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ReadSome(50);
    }
    return std::nullopt;
  }
  const std::string& output() const { return output_; }

 private:
  static std::vector<std::string> ServeCommand(const std::string& db,
                                               const std::vector<std::string>& args) {
    std::vector<std::string> argv = {ALIKE_CLI_PATH, "--db", db, "serve", "--port", "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  bool ReadSome(int timeout_ms) {
    pollfd p{child_.read_fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    const ssize_t n = read(child_.read_fd, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }

  Child child_;
  int port_ = 0;
  bool exited_ = false;
  std::string output_;
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_SERVER_PROCESS_H_
