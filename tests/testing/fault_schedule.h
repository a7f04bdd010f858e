// FaultSchedule: which call of a test's storage fails, for tests in the spirit of SQLite's I/O
// error tests: run a workload once for every N until it finishes without reaching the fault, and
// check after each run that what was acknowledged is what reopens. FaultFileSystem (the vector
// store's calls) and FaultSqliteVfs (the catalog's) count their calls on one schedule, so one
// numbering covers both stores of a library.
//
// Two ways to fail: once (a transient EIO: the calls after it succeed again), or from the Nth
// call on (a full disk: ENOSPC for every later call too).
//
// Thread-safety: safe to call from many threads.
#ifndef ALIKE_TESTS_TESTING_FAULT_SCHEDULE_H_
#define ALIKE_TESTS_TESTING_FAULT_SCHEDULE_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace alike::test {

class FaultSchedule {
 public:
  enum class Mode {
    kOnce,     // only call number fail_at fails, with EIO
    kForever,  // call fail_at and every later one fail, with ENOSPC
  };

  // Calls are numbered from 1; fail_at 0 never fails.
  FaultSchedule(uint64_t fail_at, Mode mode) : mode_(mode), fail_at_(fail_at) {}

  // Moves the fault to call number fail_at (0: none), for a test that aims at one call.
  void FailAt(uint64_t fail_at);
  // Counts a call described by `what`; returns the errno it must fail with, or 0.
  int Next(const std::string& what);

  Mode mode() const { return mode_; }
  // Calls seen so far (failed ones included).
  uint64_t calls() const;
  // What each call was, in order: "write", "fsync", "rename <from> to <to>", "open <path>", ...
  std::vector<std::string> call_log() const;
  // Whether some call has failed.
  bool fired() const;

 private:
  const Mode mode_;
  mutable std::mutex mutex_;
  uint64_t fail_at_;                // guarded by mutex_
  std::vector<std::string> calls_;  // guarded by mutex_
  bool fired_ = false;              // guarded by mutex_
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_FAULT_SCHEDULE_H_
