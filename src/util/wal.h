// Write-ahead log: an append-only file of typed records, replayed after a crash to redo the
// writes that had not reached a checkpoint yet.
//
// File format (all integers little-endian):
//
//   file header, 16 bytes:
//     char[8]  magic "ALIKEWAL"
//     u32      format version, currently 1
//     u32      reserved, written as 0
//   then zero or more records, back to back:
//     u32      MaskCrc(crc32c(type byte + payload))
//     u32      payload length in bytes, at most kWalMaxPayload
//     u8       record type, chosen by the caller (the log does not interpret it)
//     u8[len]  payload
//
// A crash can leave the last record half-written ("torn"). The reader treats the first record
// that is truncated, fails its checksum or claims an impossible length as the end of the log:
// it and everything after it are cut off, so the file always ends on a record boundary before a
// writer appends to it again. Recovery therefore never resurrects a record that was not fully
// written; a record is durable once Append (with sync_each_write) or Sync returns OK.
//
// Thread-safety: a WalWriter is used by one thread at a time; the caller also ensures (with a
// FileLock) that one process at a time reads or writes a given log.
#ifndef ALIKE_UTIL_WAL_H_
#define ALIKE_UTIL_WAL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "alike/status.h"
#include "util/file.h"

namespace alike {

inline constexpr uint32_t kWalFormatVersion = 1;
inline constexpr size_t kWalFileHeaderSize = 16;
inline constexpr size_t kWalRecordHeaderSize = 9;
// Bounds what a corrupt length field can make the reader allocate.
inline constexpr uint64_t kWalMaxPayload = uint64_t{1} << 30;

class WalWriter {
 public:
  // Creates the log (header included, durable along with its directory entry) if absent, else
  // appends after its current end. For an existing log the caller runs ReadWal first, which both
  // replays it and cuts any torn tail that appends would otherwise be hidden behind.
  // Its writes go through `fs`, which must outlive the writer.
  static Result<std::unique_ptr<WalWriter>> Open(const std::string& path, bool sync_each_write,
                                                 FileSystem& fs = PosixFileSystem());

  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Appends one record with a single write, then fdatasyncs if sync_each_write. Payloads over
  // kWalMaxPayload are InvalidArgument. If the write or sync fails the writer tries to leave the
  // file as it was; when it cannot be sure (a failed fsync may have dropped data the kernel had
  // accepted) every later call fails, and the database must be reopened to recover from the log.
  Status Append(uint8_t type, std::string_view payload);
  // Makes all appended records durable; for callers that group several appends per sync.
  Status Sync();
  Status Close();
  // Whether a failed append or sync left the file's end unknown, so that every later call fails.
  bool broken() const { return !broken_.ok(); }

  // Bytes in the log file, header included.
  uint64_t size() const { return file_->size(); }
  const std::string& path() const { return file_->path(); }

 private:
  WalWriter(std::unique_ptr<AppendFile> file, bool sync_each_write)
      : file_(std::move(file)), sync_each_write_(sync_each_write) {}

  std::unique_ptr<AppendFile> file_;
  bool sync_each_write_;
  std::string record_;  // Reused between appends to avoid an allocation per record.
  Status broken_;
};

struct WalReadStats {
  uint64_t records = 0;          // Records passed to the callback.
  uint64_t valid_bytes = 0;      // Where the valid log ends: the file's size after ReadWal.
  uint64_t truncated_bytes = 0;  // Torn or corrupt tail bytes cut off.
};

// Calls fn for every valid record in order; the payload view is valid only during the call. Cuts
// a torn or corrupt tail off the file (fsynced) and returns OK. A missing file is an empty log.
// Errors: Corruption if the file is not a write-ahead log, NotSupported if it was written by a
// newer format version, IOError, or the first error fn returns (replay stops there and nothing is
// truncated). `stats` may be null; the truncation goes through `fs`.
Status ReadWal(const std::string& path,
               const std::function<Status(uint8_t type, std::string_view payload)>& fn,
               WalReadStats* stats = nullptr, FileSystem& fs = PosixFileSystem());

// One record exactly as it lies in a log (header and payload), for carrying a write to another
// machine: alike cluster publishes these, and a replica checks them before applying them.
std::string EncodeWalRecord(uint8_t type, std::string_view payload);
// Checks a record made by EncodeWalRecord: Corruption unless `record` is exactly one record whose
// length and checksum hold. On success `payload` views the payload inside `record`.
Status DecodeWalRecord(std::string_view record, uint8_t* type, std::string_view* payload);

}  // namespace alike

#endif  // ALIKE_UTIL_WAL_H_
