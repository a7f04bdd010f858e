// POSIX file helpers: the only place alike touches file descriptors.
//
// Everything here reports failure as a Status (never errno, never an exception), and every I/O
// error message names the path and the system's reason, so it can be shown to a person as is.
// Durability is explicit: nothing is on disk until a Sync()/Finish()/fsync-ing helper says so,
// and a new or renamed name survives a crash only once its directory is synced (SyncDir).
//
// The helpers that change what is on disk take the FileSystem their system calls go through
// (util/file_system.h: tests inject failures there); everyone else gets the POSIX one.
//
// Thread-safety: the free functions are safe to call concurrently; an object of a class here is
// used by one thread at a time.
#ifndef ALIKE_UTIL_FILE_H_
#define ALIKE_UTIL_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alike/status.h"
#include "util/byte_stream.h"
#include "util/file_system.h"

namespace alike {

// A file opened for appending, created if absent. Closed by the destructor if Close() was not
// called (any error then is lost, so callers that care call Close()).
class AppendFile {
 public:
  static Result<std::unique_ptr<AppendFile>> Open(const std::string& path,
                                                  FileSystem& fs = PosixFileSystem());

  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  // Writes all of data, retrying short writes. On error part of it may have reached the file;
  // size() counts only what did.
  Status Append(const void* data, size_t n);
  // fdatasync: appended data (and the size that makes it reachable) is durable once this is OK.
  Status Sync();
  // Cuts the file to `size` bytes and fsyncs; later appends continue from there.
  Status Truncate(uint64_t size);
  Status Close();

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  AppendFile(std::string path, int fd, uint64_t size, FileSystem& fs)
      : path_(std::move(path)), fd_(fd), size_(size), fs_(fs) {}

  std::string path_;
  int fd_;
  uint64_t size_;
  FileSystem& fs_;
};

// The whole file, for small files (manifests, options). Large files use FileSource.
Result<std::string> ReadFileToString(const std::string& path);

// Up to `size` bytes of the file from byte `offset` on: fewer at its end, none past it.
Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t size);

// Replaces path's content so that a crash leaves either the old or the new content, never a mix:
// writes path + ".tmp", fsyncs it, renames it over path and fsyncs the directory.
Status WriteFileAtomically(const std::string& path, std::string_view data,
                           FileSystem& fs = PosixFileSystem());

// fsyncs a directory, making entries created, renamed or removed in it durable.
Status SyncDir(const std::string& dir, FileSystem& fs = PosixFileSystem());

// fsyncs a file another library wrote (SQLite's backup, say) before it is renamed into place.
Status SyncFile(const std::string& path);

// The directory holding path ("." for a bare file name); what SyncDir needs after creating path.
std::string ParentDir(const std::string& path);

bool FileExists(const std::string& path);
Result<uint64_t> FileSize(const std::string& path);

// Creates the directory and any missing parents; OK if it already exists as a directory.
Status CreateDir(const std::string& path, FileSystem& fs = PosixFileSystem());

// Removes a file or a directory tree; OK if path does not exist.
Status RemoveAll(const std::string& path, FileSystem& fs = PosixFileSystem());

// Entry names (not paths) in a directory, without "." and "..", sorted so callers that act on
// them in order behave the same on every file system.
Result<std::vector<std::string>> ListDir(const std::string& path);

// rename(2): atomically replaces `to` if it exists. Not durable until SyncDir of both parents.
Status RenameFile(const std::string& from, const std::string& to,
                  FileSystem& fs = PosixFileSystem());

// Cuts an existing file to `size` bytes and fsyncs it.
Status TruncateFile(const std::string& path, uint64_t size, FileSystem& fs = PosixFileSystem());

// Sum of the sizes of the regular files under path, recursively; symbolic links below path are
// not followed. Entries that vanish during the walk (a concurrent compaction) are skipped.
Result<uint64_t> DirectorySize(const std::string& path);

// Copies from into to (created or replaced), then fsyncs to and its directory. Not atomic: a crash
// mid-copy leaves a partial `to`, so callers wanting all-or-nothing copy to a temporary name and
// RenameFile it.
Status CopyFileDurably(const std::string& from, const std::string& to,
                       FileSystem& fs = PosixFileSystem());

// An exclusive advisory lock on a lock file (e.g. <db>/LOCK), held until destruction, so two
// processes never open one database. flock locks belong to an open file description, so a second
// Acquire in the same process conflicts too, which catches a program opening a database twice.
// The lock dies with the process, so a crash never leaves a database locked.
class FileLock {
 public:
  // FailedPrecondition("database <dir of path> is in use by another process") if held elsewhere.
  static Result<std::unique_ptr<FileLock>> Acquire(const std::string& path);

  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  FileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_;
};

// Buffered writer to a new file (an existing one is truncated), with a running CRC-32C of all
// bytes written so a caller can append or verify a trailing checksum without a second pass.
// After an error every later call returns that error.
class FileSink : public ByteSink {
 public:
  static constexpr size_t kBufferSize = 1 << 20;

  static Result<std::unique_ptr<FileSink>> Create(const std::string& path,
                                                  FileSystem& fs = PosixFileSystem());

  // Closes without syncing if Finish() was not called: an abandoned file is not durable.
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  Status Write(const void* data, size_t size) override;
  // Flushes, fdatasyncs and closes. The file's name is durable only after SyncDir of its parent.
  Status Finish();

  uint32_t crc() const { return crc_; }
  uint64_t bytes_written() const { return bytes_written_; }
  const std::string& path() const { return path_; }

 private:
  FileSink(std::string path, int fd, FileSystem& fs);
  Status Flush();
  Status WriteRaw(const char* data, size_t size);

  std::string path_;
  int fd_;
  FileSystem& fs_;
  std::unique_ptr<char[]> buffer_;
  size_t buffered_ = 0;
  uint32_t crc_ = 0;
  uint64_t bytes_written_ = 0;
  Status error_;
};

// Buffered reader with a running CRC-32C of all bytes read. Reads at least as large as the buffer
// go straight into the caller's memory, so loading a multi-gigabyte checkpoint costs one copy.
// Reading past the end is kCorruption naming the file: a file shorter than its own structure says
// is a damaged file.
class FileSource : public ByteSource {
 public:
  static constexpr size_t kBufferSize = 1 << 20;

  static Result<std::unique_ptr<FileSource>> Open(const std::string& path);

  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  Status Read(void* data, size_t size) override;

  uint32_t crc() const { return crc_; }
  // Bytes delivered so far.
  uint64_t position() const { return position_; }
  // The file's size when opened.
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  FileSource(std::string path, int fd, uint64_t size);

  std::string path_;
  int fd_;
  uint64_t size_;
  std::unique_ptr<char[]> buffer_;
  size_t buffer_pos_ = 0;
  size_t buffer_end_ = 0;
  uint32_t crc_ = 0;
  uint64_t position_ = 0;
};

}  // namespace alike

#endif  // ALIKE_UTIL_FILE_H_
