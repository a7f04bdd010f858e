// FaultFileSystem: a FileSystem (util/file_system.h) whose Nth call fails, for tests in the
// spirit of SQLite's I/O error tests: run a workload once for every N until it finishes without
// reaching the fault, and check after each run what was acknowledged is what reopens.
//
// Two ways to fail: once (a transient EIO: the calls after it succeed again), or from the Nth
// call on (a full disk: ENOSPC for every later call too). A failing write first writes half of
// its bytes, as a write that a full disk cut short would, so torn records are exercised too.
//
// fsync and fdatasync succeed without reaching the disk: the tests reopen in the same machine,
// never after a power cut, so what they check is what the code does with each call's result,
// and real syncs would make hundreds of runs slow.
//
// Thread-safety: safe to call from many threads (a collection's workers, several collections).
#ifndef ALIKE_TESTS_TESTING_FAULT_FILE_SYSTEM_H_
#define ALIKE_TESTS_TESTING_FAULT_FILE_SYSTEM_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "util/file_system.h"

namespace alike::test {

class FaultFileSystem : public FileSystem {
 public:
  enum class Mode {
    kOnce,     // only call number fail_at fails, with EIO
    kForever,  // call fail_at and every later one fail, with ENOSPC
  };

  // Calls are numbered from 1; fail_at 0 never fails.
  FaultFileSystem(uint64_t fail_at, Mode mode) : mode_(mode), fail_at_(fail_at) {}

  // Moves the fault to call number fail_at (0: none), for a test that aims at one call.
  void FailAt(uint64_t fail_at);

  int Open(const char* path, int flags, int* fd) override;
  int Write(int fd, const void* data, size_t n, size_t* written) override;
  int Sync(int fd, bool data_only) override;
  int Truncate(int fd, uint64_t size) override;
  int Close(int fd) override;
  int Rename(const char* from, const char* to) override;
  int MakeDir(const char* path) override;
  int RemoveAll(const char* path) override;

  // Calls seen so far (failed ones included).
  uint64_t calls() const;
  // What each call was, in order: "write", "fsync", "rename <from> to <to>", "open <path>", ...
  std::vector<std::string> call_log() const;
  // Whether some call has failed.
  bool fired() const;

 private:
  // Counts a call; returns the errno it must fail with, or 0.
  int Next(const std::string& what);

  const Mode mode_;
  mutable std::mutex mutex_;
  uint64_t fail_at_;                // guarded by mutex_
  std::vector<std::string> calls_;  // guarded by mutex_
  bool fired_ = false;              // guarded by mutex_
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_FAULT_FILE_SYSTEM_H_
