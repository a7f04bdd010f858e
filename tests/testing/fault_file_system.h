// FaultFileSystem: a FileSystem (util/file_system.h) whose calls are counted on a FaultSchedule
// (testing/fault_schedule.h), the one the fault says fails. A failing write first writes half of
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

#include "testing/fault_schedule.h"
#include "util/file_system.h"

namespace alike::test {

class FaultFileSystem : public FileSystem, public FaultSchedule {
 public:
  FaultFileSystem(uint64_t fail_at, Mode mode) : FaultSchedule(fail_at, mode) {}

  int Open(const char* path, int flags, int* fd) override;
  int Write(int fd, const void* data, size_t n, size_t* written) override;
  int Sync(int fd, bool data_only) override;
  int Truncate(int fd, uint64_t size) override;
  int Close(int fd) override;
  int Rename(const char* from, const char* to) override;
  int MakeDir(const char* path) override;
  int RemoveAll(const char* path) override;
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_FAULT_FILE_SYSTEM_H_
