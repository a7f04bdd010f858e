#include "util/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "util/crc32c.h"

namespace alike {
namespace {

// "<op> <path>: <reason>". std::error_code rather than strerror: strerror's buffer is shared
// between threads.
Status PosixError(const char* op, const std::string& path, int err) {
  return Status::IOError(std::string(op) + " " + path + ": " +
                         std::error_code(err, std::generic_category()).message());
}

// Owns a descriptor for the length of a helper, so every early return closes it.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closing can report a deferred write error (NFS, quotas), so the success path checks it.
  Status Close(const std::string& path) {
    int fd = fd_;
    fd_ = -1;
    // No retry on EINTR: Linux has released the descriptor either way.
    if (::close(fd) != 0 && errno != EINTR) return PosixError("close", path, errno);
    return Status::OK();
  }

 private:
  int fd_;
};

Status WriteAll(int fd, const std::string& path, const char* data, size_t n,
                uint64_t* written = nullptr) {
  while (n > 0) {
    ssize_t r = ::write(fd, data, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      return PosixError("write", path, errno);
    }
    data += r;
    n -= static_cast<size_t>(r);
    if (written != nullptr) *written += static_cast<uint64_t>(r);
  }
  return Status::OK();
}

// Fills dst up to n bytes, stopping early only at end of file.
Result<size_t> ReadFull(int fd, const std::string& path, char* dst, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, dst + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return PosixError("read", path, errno);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return got;
}

Status Fsync(int fd, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return PosixError("fsync", path, errno);
  }
  return Status::OK();
}

Status Fdatasync(int fd, const std::string& path) {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return PosixError("fdatasync", path, errno);
  }
  return Status::OK();
}

Result<int> OpenFd(const std::string& path, int flags) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return PosixError("open", path, errno);
  return fd;
}

Result<uint64_t> FdSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return PosixError("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

Status AddDirectorySize(const std::string& dir, uint64_t* total) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return Status::OK();  // Removed since its parent was listed.
    return PosixError("open directory", dir, errno);
  }
  Status status;
  while (status.ok()) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      if (errno != 0) status = PosixError("read directory", dir, errno);
      break;
    }
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) status = PosixError("stat", dir + "/" + e->d_name, errno);
      continue;
    }
    if (S_ISREG(st.st_mode)) {
      *total += static_cast<uint64_t>(st.st_size);
    } else if (S_ISDIR(st.st_mode)) {
      status = AddDirectorySize(dir + "/" + e->d_name, total);
    }
  }
  ::closedir(d);
  return status;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// AppendFile

Result<std::unique_ptr<AppendFile>> AppendFile::Open(const std::string& path) {
  Result<int> fd = OpenFd(path, O_WRONLY | O_CREAT | O_APPEND);
  if (!fd.ok()) return fd.status();
  Result<uint64_t> size = FdSize(*fd, path);
  if (!size.ok()) {
    ::close(*fd);
    return size.status();
  }
  return std::unique_ptr<AppendFile>(new AppendFile(path, *fd, *size));
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status AppendFile::Append(const void* data, size_t n) {
  if (fd_ < 0) return Status::FailedPrecondition(path_ + ": append to a closed file");
  return WriteAll(fd_, path_, static_cast<const char*>(data), n, &size_);
}

Status AppendFile::Sync() {
  if (fd_ < 0) return Status::FailedPrecondition(path_ + ": sync of a closed file");
  return Fdatasync(fd_, path_);
}

Status AppendFile::Truncate(uint64_t size) {
  if (fd_ < 0) return Status::FailedPrecondition(path_ + ": truncate of a closed file");
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return PosixError("truncate", path_, errno);
  size_ = size;
  return Fsync(fd_, path_);
}

Status AppendFile::Close() {
  if (fd_ < 0) return Status::OK();
  ScopedFd fd(fd_);
  fd_ = -1;
  return fd.Close(path_);
}

// ---------------------------------------------------------------------------------------------
// Whole-file and directory helpers

Result<std::string> ReadFileToString(const std::string& path) {
  Result<int> opened = OpenFd(path, O_RDONLY);
  if (!opened.ok()) return opened.status();
  ScopedFd fd(*opened);
  Result<uint64_t> size = FdSize(fd.get(), path);
  if (!size.ok()) return size.status();
  // One byte beyond the stat size so the common case sees end of file without a second buffer;
  // the loop still copes with a file that grows while being read.
  std::string out(static_cast<size_t>(*size) + 1, '\0');
  size_t len = 0;
  while (true) {
    if (len == out.size()) out.resize(out.size() * 2);
    Result<size_t> got = ReadFull(fd.get(), path, out.data() + len, out.size() - len);
    if (!got.ok()) return got.status();
    len += *got;
    if (len < out.size()) break;
  }
  out.resize(len);
  return out;
}

Status WriteFileAtomically(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  Status status = [&]() -> Status {
    Result<int> opened = OpenFd(tmp, O_WRONLY | O_CREAT | O_TRUNC);
    if (!opened.ok()) return opened.status();
    ScopedFd fd(*opened);
    ALIKE_RETURN_IF_ERROR(WriteAll(fd.get(), tmp, data.data(), data.size()));
    ALIKE_RETURN_IF_ERROR(Fsync(fd.get(), tmp));
    ALIKE_RETURN_IF_ERROR(fd.Close(tmp));
    return RenameFile(tmp, path);
  }();
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  return SyncDir(ParentDir(path));
}

namespace {

Status SyncPath(const std::string& path, int flags) {
  Result<int> opened = OpenFd(path, flags);
  if (!opened.ok()) return opened.status();
  ScopedFd fd(*opened);
  ALIKE_RETURN_IF_ERROR(Fsync(fd.get(), path));
  return fd.Close(path);
}

}  // namespace

Status SyncDir(const std::string& dir) { return SyncPath(dir, O_RDONLY | O_DIRECTORY); }

Status SyncFile(const std::string& path) { return SyncPath(path, O_RDONLY); }

std::string ParentDir(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Result<uint64_t> FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
  return static_cast<uint64_t>(st.st_size);
}

Status CreateDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return Status::OK();
  int err = errno;
  if (err == ENOENT) {
    std::string parent = ParentDir(path);
    if (parent == path) return PosixError("create directory", path, err);
    ALIKE_RETURN_IF_ERROR(CreateDir(parent));
    if (::mkdir(path.c_str(), 0755) == 0) return Status::OK();
    err = errno;
  }
  if (err == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
    return Status::IOError("create directory " + path + ": exists and is not a directory");
  }
  return PosixError("create directory", path, err);
}

Status RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IOError("remove " + path + ": " + ec.message());
  return Status::OK();
}

Result<std::vector<std::string>> ListDir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return PosixError("open directory", path, errno);
  std::vector<std::string> names;
  int err = 0;
  while (true) {
    errno = 0;
    struct dirent* e = ::readdir(d);
    if (e == nullptr) {
      err = errno;
      break;
    }
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  if (err != 0) return PosixError("read directory", path, err);
  std::sort(names.begin(), names.end());
  return names;
}

Status RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return Status::IOError("rename " + from + " to " + to + ": " +
                           std::error_code(errno, std::generic_category()).message());
  }
  return Status::OK();
}

Status TruncateFile(const std::string& path, uint64_t size) {
  Result<int> opened = OpenFd(path, O_WRONLY);
  if (!opened.ok()) return opened.status();
  ScopedFd fd(*opened);
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return PosixError("truncate", path, errno);
  }
  ALIKE_RETURN_IF_ERROR(Fsync(fd.get(), path));
  return fd.Close(path);
}

Result<uint64_t> DirectorySize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
  if (!S_ISDIR(st.st_mode)) return S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  uint64_t total = 0;
  ALIKE_RETURN_IF_ERROR(AddDirectorySize(path, &total));
  return total;
}

Status CopyFileDurably(const std::string& from, const std::string& to) {
  Result<int> in_opened = OpenFd(from, O_RDONLY);
  if (!in_opened.ok()) return in_opened.status();
  ScopedFd in(*in_opened);
  Result<int> out_opened = OpenFd(to, O_WRONLY | O_CREAT | O_TRUNC);
  if (!out_opened.ok()) return out_opened.status();
  ScopedFd out(*out_opened);
  constexpr size_t kChunk = 1 << 20;
  auto buffer = std::make_unique_for_overwrite<char[]>(kChunk);
  while (true) {
    Result<size_t> got = ReadFull(in.get(), from, buffer.get(), kChunk);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    ALIKE_RETURN_IF_ERROR(WriteAll(out.get(), to, buffer.get(), *got));
  }
  ALIKE_RETURN_IF_ERROR(Fsync(out.get(), to));
  ALIKE_RETURN_IF_ERROR(out.Close(to));
  return SyncDir(ParentDir(to));
}

// ---------------------------------------------------------------------------------------------
// FileLock

Result<std::unique_ptr<FileLock>> FileLock::Acquire(const std::string& path) {
  Result<int> opened = OpenFd(path, O_RDWR | O_CREAT);
  if (!opened.ok()) return opened.status();
  ScopedFd fd(*opened);
  int rc;
  do {
    rc = ::flock(fd.get(), LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::FailedPrecondition("database " + ParentDir(path) +
                                        " is in use by another process");
    }
    return PosixError("lock", path, errno);
  }
  // The holder's pid, so a person can find it; best effort, the lock is what matters.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) == 0) {
    [[maybe_unused]] ssize_t ignored = ::pwrite(fd.get(), pid.data(), pid.size(), 0);
  }
  return std::unique_ptr<FileLock>(new FileLock(path, fd.Release()));
}

FileLock::~FileLock() {
  // Closing the only descriptor of the open file description releases the flock. The file stays:
  // unlinking it would race with a process that has opened it and is about to lock it.
  if (fd_ >= 0) ::close(fd_);
}

// ---------------------------------------------------------------------------------------------
// FileSink

Result<std::unique_ptr<FileSink>> FileSink::Create(const std::string& path) {
  Result<int> fd = OpenFd(path, O_WRONLY | O_CREAT | O_TRUNC);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<FileSink>(new FileSink(path, *fd));
}

FileSink::FileSink(std::string path, int fd)
    : path_(std::move(path)),
      fd_(fd),
      buffer_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {}

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileSink::WriteRaw(const char* data, size_t size) {
  Status s = WriteAll(fd_, path_, data, size);
  if (!s.ok()) error_ = s;
  return s;
}

Status FileSink::Flush() {
  if (buffered_ == 0) return Status::OK();
  size_t n = buffered_;
  buffered_ = 0;
  return WriteRaw(buffer_.get(), n);
}

Status FileSink::Write(const void* data, size_t size) {
  if (!error_.ok()) return error_;
  if (fd_ < 0) return Status::FailedPrecondition(path_ + ": write after Finish");
  const char* p = static_cast<const char*>(data);
  crc_ = Crc32c(p, size, crc_);
  bytes_written_ += size;
  if (buffered_ + size > kBufferSize) ALIKE_RETURN_IF_ERROR(Flush());
  if (size >= kBufferSize) return WriteRaw(p, size);  // Spare a copy of bulk data.
  if (size > 0) std::memcpy(buffer_.get() + buffered_, p, size);
  buffered_ += size;
  return Status::OK();
}

Status FileSink::Finish() {
  if (!error_.ok()) return error_;
  if (fd_ < 0) return Status::OK();
  Status s = Flush();
  ScopedFd fd(fd_);
  fd_ = -1;
  if (s.ok()) s = Fdatasync(fd.get(), path_);
  if (s.ok()) s = fd.Close(path_);
  if (!s.ok()) error_ = s;
  return s;
}

// ---------------------------------------------------------------------------------------------
// FileSource

Result<std::unique_ptr<FileSource>> FileSource::Open(const std::string& path) {
  Result<int> fd = OpenFd(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  Result<uint64_t> size = FdSize(*fd, path);
  if (!size.ok()) {
    ::close(*fd);
    return size.status();
  }
  // A hint only: larger kernel read-ahead for the front-to-back reads this class does.
  ::posix_fadvise(*fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<FileSource>(new FileSource(path, *fd, *size));
}

FileSource::FileSource(std::string path, int fd, uint64_t size)
    : path_(std::move(path)),
      fd_(fd),
      size_(size),
      buffer_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {}

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileSource::Read(void* data, size_t size) {
  char* dst = static_cast<char*>(data);
  size_t done = std::min(size, buffer_end_ - buffer_pos_);
  if (done > 0) std::memcpy(dst, buffer_.get() + buffer_pos_, done);
  buffer_pos_ += done;
  while (done < size) {
    size_t want = size - done;
    if (want >= kBufferSize) {
      Result<size_t> got = ReadFull(fd_, path_, dst + done, want);
      if (!got.ok()) return got.status();
      done += *got;
      if (*got < want) break;
    } else {
      Result<size_t> got = ReadFull(fd_, path_, buffer_.get(), kBufferSize);
      if (!got.ok()) return got.status();
      buffer_pos_ = 0;
      buffer_end_ = *got;
      if (*got == 0) break;
      size_t take = std::min(want, *got);
      std::memcpy(dst + done, buffer_.get(), take);
      buffer_pos_ = take;
      done += take;
    }
  }
  crc_ = Crc32c(dst, done, crc_);
  uint64_t start = position_;
  position_ += done;
  if (done < size) {
    return Status::Corruption(path_ + ": unexpected end of file: wanted " + std::to_string(size) +
                              " bytes at offset " + std::to_string(start) + ", file ends at " +
                              std::to_string(position_));
  }
  return Status::OK();
}

}  // namespace alike
