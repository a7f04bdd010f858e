// FileSystem: the seam through which alike's durable writes reach the kernel, so that tests can
// make any one of them fail (a full disk, an I/O error) and check what the store does about it.
//
// Why an interface passed in, not a test hook: a hook would be global mutable state that every
// test (and every thread of one) shares, and that production code would consult on every call.
// Like LevelDB's Env, the file system is instead handed to what writes files (the database, its
// collections, their logs and checkpoints) and kept as a reference; production passes
// PosixFileSystem(), a stateless object, and pays one virtual call per system call.
//
// Only the calls that change what is on disk go through it: opening for writing (which may
// create), write, fsync/fdatasync, ftruncate, close of a written file (where NFS and quotas
// report deferred errors), rename, mkdir and removal. Reads, stat, directory listings and the
// database's LOCK file go to POSIX directly: they are not what a full disk breaks. Descriptors
// are the kernel's (implementations wrap the real calls), since reads and error paths use them
// directly.
//
// Each method returns 0 or the errno value the call failed with; the helpers in util/file.h turn
// that into an IOError naming the file and the reason, and retry EINTR from open, write and sync.
//
// Thread-safety: implementations are safe to call from many threads at once.
#ifndef ALIKE_UTIL_FILE_SYSTEM_H_
#define ALIKE_UTIL_FILE_SYSTEM_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace alike {

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // open(2) with O_CLOEXEC added and mode 0644; on success *fd is the descriptor.
  virtual int Open(const char* path, int flags, int* fd) = 0;
  // One write(2): *written is how much of data reached the file, a short write being no error;
  // a failing one may have written part of it too (a full disk cutting a write short).
  virtual int Write(int fd, const void* data, size_t n, size_t* written) = 0;
  // fsync(2), or fdatasync(2) when data_only.
  virtual int Sync(int fd, bool data_only) = 0;
  virtual int Truncate(int fd, uint64_t size) = 0;
  virtual int Close(int fd) = 0;
  virtual int Rename(const char* from, const char* to) = 0;
  virtual int MakeDir(const char* path) = 0;
  // Removes a file or a directory tree; 0 if path does not exist.
  virtual int RemoveAll(const char* path) = 0;
};

// The real thing. Stateless, so one instance serves every caller.
FileSystem& PosixFileSystem();

}  // namespace alike

#endif  // ALIKE_UTIL_FILE_SYSTEM_H_
