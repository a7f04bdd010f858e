// A program run as a child process, its standard output and error appended to a log file: how the
// cluster harness (local_nats_cluster.h) runs nats-server and the cluster benchmark runs
// `alike node`, so that they can kill -9 it at any moment, as a crash would.
//
// The child is killed (SIGKILL) when the thread that started it ends, as when the process exits
// or crashes: a test or benchmark that fails leaves no server running. So start children from a
// thread that outlives them (the main thread).
//
// Thread-safety: a Subprocess is used from one thread at a time. Start may be called from a
// threaded process: the child only calls async-signal-safe functions before exec.
#ifndef ALIKE_CLUSTER_SUBPROCESS_H_
#define ALIKE_CLUSTER_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "alike/status.h"

namespace alike::cluster {

class Subprocess {
 public:
  // Runs argv[0] (a path, not looked up in PATH) with argv, its output appended to log_path.
  // IOError when it cannot be forked; a program that cannot be executed exits with status 127
  // (Running() turns false).
  static Result<std::unique_ptr<Subprocess>> Start(std::vector<std::string> argv,
                                                   const std::string& log_path);
  // Kills it (SIGKILL) if it still runs.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // SIGKILL, and waits until the process is gone. Does nothing once it has exited.
  void Kill();
  // Whether it has not exited yet (reaps it when it has).
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}

  pid_t pid_;
  bool exited_ = false;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SUBPROCESS_H_
