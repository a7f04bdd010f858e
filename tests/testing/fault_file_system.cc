#include "testing/fault_file_system.h"

#include <cerrno>

namespace alike::test {

int FaultFileSystem::Open(const char* path, int flags, int* fd) {
  if (int err = Next(std::string("open ") + path)) return err;
  return PosixFileSystem().Open(path, flags, fd);
}

int FaultFileSystem::Write(int fd, const void* data, size_t n, size_t* written) {
  if (int err = Next("write")) {
    // Torn, as a full disk leaves it; the error is what the caller sees.
    size_t ignored = 0;
    *written = 0;
    if (n > 1 && PosixFileSystem().Write(fd, data, n / 2, &ignored) == 0) *written = ignored;
    return err;
  }
  return PosixFileSystem().Write(fd, data, n, written);
}

int FaultFileSystem::Sync(int, bool data_only) { return Next(data_only ? "fdatasync" : "fsync"); }

int FaultFileSystem::Truncate(int fd, uint64_t size) {
  if (int err = Next("truncate")) return err;
  return PosixFileSystem().Truncate(fd, size);
}

int FaultFileSystem::Close(int fd) {
  // The descriptor goes either way, as close(2) releases it even when it reports an error.
  const int err = Next("close");
  const int closed = PosixFileSystem().Close(fd);
  return err != 0 ? err : closed;
}

int FaultFileSystem::Rename(const char* from, const char* to) {
  if (int err = Next(std::string("rename ") + from + " to " + to)) return err;
  return PosixFileSystem().Rename(from, to);
}

int FaultFileSystem::MakeDir(const char* path) {
  if (int err = Next(std::string("mkdir ") + path)) return err;
  return PosixFileSystem().MakeDir(path);
}

int FaultFileSystem::RemoveAll(const char* path) {
  if (int err = Next(std::string("remove ") + path)) return err;
  return PosixFileSystem().RemoveAll(path);
}

}  // namespace alike::test
