// FaultSqliteVfs: a SQLite VFS that fails the calls a FaultSchedule says, for running the
// library's catalog over a disk that fails (SQLite's own I/O error tests do this with their
// test VFS). Registered under its name while it lives; open a database with that name
// (sqlite3_open_v2's zVfs, Catalog::Open's `vfs`).
//
// Every call goes to SQLite's default VFS, except a file's writes, truncations and syncs, which
// count as calls of the schedule: one it fails returns SQLITE_FULL (ENOSPC) or SQLITE_IOERR_WRITE
// / _TRUNCATE / _FSYNC (EIO), and a failing write first writes half its bytes. Syncs that do not
// fail return at once without syncing, as FaultFileSystem's do (the tests never cut the power).
//
// Thread-safety: SQLite calls it from any thread; the schedule is thread-safe. Databases opened
// through it must be closed before it is destroyed.
#ifndef ALIKE_TESTS_TESTING_FAULT_SQLITE_VFS_H_
#define ALIKE_TESTS_TESTING_FAULT_SQLITE_VFS_H_

#include <memory>
#include <string>

#include "testing/fault_schedule.h"

namespace alike::test {

class FaultSqliteVfs {
 public:
  FaultSqliteVfs(std::string name, FaultSchedule& schedule);
  ~FaultSqliteVfs();
  FaultSqliteVfs(const FaultSqliteVfs&) = delete;
  FaultSqliteVfs& operator=(const FaultSqliteVfs&) = delete;

  const std::string& name() const;

  struct State;  // what SQLite's callbacks reach through the VFS's pAppData

 private:
  std::unique_ptr<State> state_;
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_FAULT_SQLITE_VFS_H_
