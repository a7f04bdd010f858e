// Stopping a long-running command (`alike serve`, `alike node`) on SIGINT or SIGTERM.
//
// A signal handler may do almost nothing safely, and it may run on any thread (OpenBLAS starts
// threads before main, so blocking the signals cannot steer them), so the handler only sets a
// flag and a watcher thread calls `stop` once, on a normal thread.
//
// Thread-safety: one StopOnSignal at a time in a process (it owns the two signals' handlers while
// it lives and puts the previous ones back when destroyed).
#ifndef ALIKE_CLI_STOP_SIGNAL_H_
#define ALIKE_CLI_STOP_SIGNAL_H_

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace alike::cli {

class StopOnSignal {
 public:
  explicit StopOnSignal(std::function<void()> stop);
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  const std::function<void()> stop_;
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace alike::cli

#endif  // ALIKE_CLI_STOP_SIGNAL_H_
