#include "image/image_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

namespace alike::image {
namespace {

Status FromErrno(const std::string& path, int err) {
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Status::NotFound(path + ": no such file");
    case ELOOP:
      return Status::IOError(path + ": too many levels of symbolic links (a symlink loop?)");
    case EACCES:
    case EPERM:
      return Status::IOError(path + ": permission denied");
    case EISDIR:
      return Status::InvalidArgument(path + ": is a directory, not an image");
    default:
      return Status::IOError(path + ": " + strerror(err));
  }
}

// Owns a file descriptor; closes it on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<FileBytes> ReadImageFile(const std::string& path, uint64_t max_bytes, uint64_t prefix) {
  // stat before open: opening a FIFO would block, and a directory is best named as such.
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return FromErrno(path, errno);
  if (S_ISDIR(st.st_mode)) return FromErrno(path, EISDIR);
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path + ": not a regular file (device, FIFO or socket)");
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) return Status::InvalidArgument(path + ": not an image (empty file)");
  if (size > max_bytes) {
    return Status::InvalidArgument(path + ": " + std::to_string(size) +
                                   " bytes exceeds the limit of " + std::to_string(max_bytes) +
                                   " bytes");
  }
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return FromErrno(path, errno);
  FileBytes out;
  out.file_size = size;
  const uint64_t want = prefix > 0 ? std::min(prefix, size) : size;
  out.bytes.resize(want);
  uint64_t got = 0;
  while (got < want) {
    const ssize_t n = read(fd.get(), out.bytes.data() + got, want - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FromErrno(path, errno);
    }
    if (n == 0) break;  // Shrank since stat: decode what is there; truncation is caught later.
    got += static_cast<uint64_t>(n);
  }
  out.bytes.resize(got);
  if (got == 0) return Status::InvalidArgument(path + ": not an image (empty file)");
  return out;
}

}  // namespace alike::image
