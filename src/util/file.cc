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
  Status Close(const std::string& path, FileSystem& fs) {
    int fd = fd_;
    fd_ = -1;
    // No retry on EINTR: Linux has released the descriptor either way.
    const int err = fs.Close(fd);
    if (err != 0 && err != EINTR) return PosixError("close", path, err);
    return Status::OK();
  }

 private:
  int fd_;
};

Status WriteAll(FileSystem& fs, int fd, const std::string& path, const char* data, size_t n,
                uint64_t* written = nullptr) {
  while (n > 0) {
    size_t r = 0;
    const int err = fs.Write(fd, data, n, &r);
    data += r;
    n -= r;
    if (written != nullptr) *written += r;
    if (err == EINTR) continue;
    if (err != 0) return PosixError("write", path, err);
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

Status Sync(FileSystem& fs, int fd, const std::string& path, bool data_only) {
  int err;
  do {
    err = fs.Sync(fd, data_only);
  } while (err == EINTR);
  if (err != 0) return PosixError(data_only ? "fdatasync" : "fsync", path, err);
  return Status::OK();
}

Status Fsync(FileSystem& fs, int fd, const std::string& path) { return Sync(fs, fd, path, false); }

// Reads need no FileSystem (see util/file_system.h), so they open through the POSIX one.
Result<int> OpenFd(const std::string& path, int flags, FileSystem& fs = PosixFileSystem()) {
  int fd = -1;
  int err;
  do {
    err = fs.Open(path.c_str(), flags, &fd);
  } while (err == EINTR);
  if (err != 0) return PosixError("open", path, err);
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

class PosixFs : public FileSystem {
 public:
  int Open(const char* path, int flags, int* fd) override {
    *fd = ::open(path, flags | O_CLOEXEC, 0644);
    return *fd < 0 ? errno : 0;
  }
  int Write(int fd, const void* data, size_t n, size_t* written) override {
    const ssize_t r = ::write(fd, data, n);
    *written = r < 0 ? 0 : static_cast<size_t>(r);
    return r < 0 ? errno : 0;
  }
  int Sync(int fd, bool data_only) override {
    return (data_only ? ::fdatasync(fd) : ::fsync(fd)) != 0 ? errno : 0;
  }
  int Truncate(int fd, uint64_t size) override {
    return ::ftruncate(fd, static_cast<off_t>(size)) != 0 ? errno : 0;
  }
  int Close(int fd) override { return ::close(fd) != 0 ? errno : 0; }
  int Rename(const char* from, const char* to) override {
    return ::rename(from, to) != 0 ? errno : 0;
  }
  int MakeDir(const char* path) override { return ::mkdir(path, 0755) != 0 ? errno : 0; }
  int RemoveAll(const char* path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    return ec.value();
  }
};

Status Truncate(FileSystem& fs, int fd, const std::string& path, uint64_t size) {
  const int err = fs.Truncate(fd, size);
  if (err != 0) return PosixError("truncate", path, err);
  return Fsync(fs, fd, path);
}

}  // namespace

FileSystem& PosixFileSystem() {
  static PosixFs fs;  // no state: shared by every caller and thread
  return fs;
}

// ---------------------------------------------------------------------------------------------
// AppendFile

Result<std::unique_ptr<AppendFile>> AppendFile::Open(const std::string& path, FileSystem& fs) {
  Result<int> fd = OpenFd(path, O_WRONLY | O_CREAT | O_APPEND, fs);
  if (!fd.ok()) return fd.status();
  Result<uint64_t> size = FdSize(*fd, path);
  if (!size.ok()) {
    fs.Close(*fd);
    return size.status();
  }
  return std::unique_ptr<AppendFile>(new AppendFile(path, *fd, *size, fs));
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) fs_.Close(fd_);
}

Status AppendFile::Append(const void* data, size_t n) {
  if (fd_ < 0) return Status::FailedPrecondition(path_ + ": append to a closed file");
  return WriteAll(fs_, fd_, path_, static_cast<const char*>(data), n, &size_);
}

Status AppendFile::Sync() {
  if (fd_ < 0) return Status::FailedPrecondition(path_ + ": sync of a closed file");
  return alike::Sync(fs_, fd_, path_, /*data_only=*/true);
}

Status AppendFile::Truncate(uint64_t size) {
  if (fd_ < 0) return Status::FailedPrecondition(path_ + ": truncate of a closed file");
  ALIKE_RETURN_IF_ERROR(alike::Truncate(fs_, fd_, path_, size));
  size_ = size;
  return Status::OK();
}

Status AppendFile::Close() {
  if (fd_ < 0) return Status::OK();
  ScopedFd fd(fd_);
  fd_ = -1;
  return fd.Close(path_, fs_);
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

Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t size) {
  Result<int> opened = OpenFd(path, O_RDONLY);
  if (!opened.ok()) return opened.status();
  ScopedFd fd(*opened);
  if (::lseek(fd.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
    return PosixError("lseek", path, errno);
  }
  std::string out(size, '\0');
  Result<size_t> got = ReadFull(fd.get(), path, out.data(), size);
  if (!got.ok()) return got.status();
  out.resize(*got);
  return out;
}

Status WriteFileAtomically(const std::string& path, std::string_view data, FileSystem& fs) {
  const std::string tmp = path + ".tmp";
  Status status = [&]() -> Status {
    Result<int> opened = OpenFd(tmp, O_WRONLY | O_CREAT | O_TRUNC, fs);
    if (!opened.ok()) return opened.status();
    ScopedFd fd(*opened);
    ALIKE_RETURN_IF_ERROR(WriteAll(fs, fd.get(), tmp, data.data(), data.size()));
    ALIKE_RETURN_IF_ERROR(Fsync(fs, fd.get(), tmp));
    ALIKE_RETURN_IF_ERROR(fd.Close(tmp, fs));
    return RenameFile(tmp, path, fs);
  }();
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  return SyncDir(ParentDir(path), fs);
}

namespace {

Status SyncPath(const std::string& path, int flags, FileSystem& fs) {
  Result<int> opened = OpenFd(path, flags);
  if (!opened.ok()) return opened.status();
  ScopedFd fd(*opened);
  ALIKE_RETURN_IF_ERROR(Fsync(fs, fd.get(), path));
  return fd.Close(path, PosixFileSystem());  // nothing written through it to report
}

}  // namespace

Status SyncDir(const std::string& dir, FileSystem& fs) {
  return SyncPath(dir, O_RDONLY | O_DIRECTORY, fs);
}

Status SyncFile(const std::string& path) { return SyncPath(path, O_RDONLY, PosixFileSystem()); }

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

Status CreateDir(const std::string& path, FileSystem& fs) {
  int err = fs.MakeDir(path.c_str());
  if (err == 0) return Status::OK();
  if (err == ENOENT) {
    std::string parent = ParentDir(path);
    if (parent == path) return PosixError("create directory", path, err);
    ALIKE_RETURN_IF_ERROR(CreateDir(parent, fs));
    err = fs.MakeDir(path.c_str());
    if (err == 0) return Status::OK();
  }
  if (err == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
    return Status::IOError("create directory " + path + ": exists and is not a directory");
  }
  return PosixError("create directory", path, err);
}

Status RemoveAll(const std::string& path, FileSystem& fs) {
  const int err = fs.RemoveAll(path.c_str());
  if (err != 0) return PosixError("remove", path, err);
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

Status RenameFile(const std::string& from, const std::string& to, FileSystem& fs) {
  const int err = fs.Rename(from.c_str(), to.c_str());
  if (err != 0) return PosixError("rename", from + " to " + to, err);
  return Status::OK();
}

Status TruncateFile(const std::string& path, uint64_t size, FileSystem& fs) {
  Result<int> opened = OpenFd(path, O_WRONLY, fs);
  if (!opened.ok()) return opened.status();
  ScopedFd fd(*opened);
  ALIKE_RETURN_IF_ERROR(Truncate(fs, fd.get(), path, size));
  return fd.Close(path, fs);
}

Result<uint64_t> DirectorySize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
  if (!S_ISDIR(st.st_mode)) return S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  uint64_t total = 0;
  ALIKE_RETURN_IF_ERROR(AddDirectorySize(path, &total));
  return total;
}

Status CopyFileDurably(const std::string& from, const std::string& to, FileSystem& fs) {
  Result<int> in_opened = OpenFd(from, O_RDONLY);
  if (!in_opened.ok()) return in_opened.status();
  ScopedFd in(*in_opened);
  Result<int> out_opened = OpenFd(to, O_WRONLY | O_CREAT | O_TRUNC, fs);
  if (!out_opened.ok()) return out_opened.status();
  ScopedFd out(*out_opened);
  constexpr size_t kChunk = 1 << 20;
  auto buffer = std::make_unique_for_overwrite<char[]>(kChunk);
  while (true) {
    Result<size_t> got = ReadFull(in.get(), from, buffer.get(), kChunk);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    ALIKE_RETURN_IF_ERROR(WriteAll(fs, out.get(), to, buffer.get(), *got));
  }
  ALIKE_RETURN_IF_ERROR(Fsync(fs, out.get(), to));
  ALIKE_RETURN_IF_ERROR(out.Close(to, fs));
  return SyncDir(ParentDir(to), fs);
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

Result<std::unique_ptr<FileSink>> FileSink::Create(const std::string& path, FileSystem& fs) {
  Result<int> fd = OpenFd(path, O_WRONLY | O_CREAT | O_TRUNC, fs);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<FileSink>(new FileSink(path, *fd, fs));
}

FileSink::FileSink(std::string path, int fd, FileSystem& fs)
    : path_(std::move(path)),
      fd_(fd),
      fs_(fs),
      buffer_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {}

FileSink::~FileSink() {
  if (fd_ >= 0) fs_.Close(fd_);
}

Status FileSink::WriteRaw(const char* data, size_t size) {
  Status s = WriteAll(fs_, fd_, path_, data, size);
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
  if (s.ok()) s = Sync(fs_, fd.get(), path_, /*data_only=*/true);
  if (s.ok()) s = fd.Close(path_, fs_);
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
