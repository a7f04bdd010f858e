#include "util/wal.h"

#include <algorithm>
#include <cstring>

#include "util/crc32c.h"

namespace alike {
namespace {

constexpr char kMagic[8] = {'A', 'L', 'I', 'K', 'E', 'W', 'A', 'L'};

std::string EncodeFileHeader() {
  std::string header(kMagic, sizeof(kMagic));
  uint32_t fields[2] = {kWalFormatVersion, 0};
  header.append(reinterpret_cast<const char*>(fields), sizeof(fields));
  return header;
}

Status CheckFileHeader(const std::string& path, const char* header) {
  if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
    return Status::Corruption(path + ": not an alike write-ahead log");
  }
  uint32_t version;
  std::memcpy(&version, header + sizeof(kMagic), sizeof(version));
  if (version > kWalFormatVersion) {
    return Status::NotSupported(path + ": write-ahead log format version " +
                                std::to_string(version) + " is newer than this build supports (" +
                                std::to_string(kWalFormatVersion) + ")");
  }
  if (version == 0) return Status::Corruption(path + ": write-ahead log format version 0");
  return Status::OK();
}

uint32_t RecordCrc(uint8_t type, const char* payload, size_t n) {
  return Crc32c(payload, n, Crc32c(&type, 1));
}

// Replaces `out` with the record (header, then payload).
void EncodeRecordInto(uint8_t type, std::string_view payload, std::string* out) {
  const uint32_t masked_crc = MaskCrc(RecordCrc(type, payload.data(), payload.size()));
  const uint32_t length = static_cast<uint32_t>(payload.size());
  char header[kWalRecordHeaderSize];
  std::memcpy(header, &masked_crc, 4);
  std::memcpy(header + 4, &length, 4);
  header[8] = static_cast<char>(type);
  out->clear();
  out->reserve(sizeof(header) + payload.size());
  out->append(header, sizeof(header));
  out->append(payload);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// WalWriter

Result<std::unique_ptr<WalWriter>> WalWriter::Open(const std::string& path, bool sync_each_write,
                                                   FileSystem& fs) {
  // Creating through a rename means a crash never leaves a log with a partial header.
  if (!FileExists(path)) ALIKE_RETURN_IF_ERROR(WriteFileAtomically(path, EncodeFileHeader(), fs));
  Result<std::unique_ptr<AppendFile>> file = AppendFile::Open(path, fs);
  if (!file.ok()) return file.status();
  uint64_t size = (*file)->size();
  if (size == 0) {
    // Empty (ReadWal cut a torn header, or someone else created it): start it properly.
    std::string header = EncodeFileHeader();
    ALIKE_RETURN_IF_ERROR((*file)->Append(header.data(), header.size()));
    ALIKE_RETURN_IF_ERROR((*file)->Sync());
    ALIKE_RETURN_IF_ERROR(SyncDir(ParentDir(path), fs));
  } else if (size < kWalFileHeaderSize) {
    return Status::Corruption(path + ": write-ahead log header is truncated (replay it first)");
  } else {
    // Never append records to a file that readers would reject.
    Result<std::unique_ptr<FileSource>> source = FileSource::Open(path);
    if (!source.ok()) return source.status();
    char header[kWalFileHeaderSize];
    ALIKE_RETURN_IF_ERROR((*source)->Read(header, sizeof(header)));
    ALIKE_RETURN_IF_ERROR(CheckFileHeader(path, header));
  }
  return std::unique_ptr<WalWriter>(new WalWriter(std::move(file).value(), sync_each_write));
}

Status WalWriter::Append(uint8_t type, std::string_view payload) {
  if (!broken_.ok()) return broken_;
  if (payload.size() > kWalMaxPayload) {
    return Status::InvalidArgument(path() + ": write-ahead log record of " +
                                   std::to_string(payload.size()) +
                                   " bytes exceeds the 1 GiB limit");
  }
  // One write per record: one system call instead of two, and no other appender's bytes can land
  // between header and payload. A crash can still tear the record; its checksum catches that.
  EncodeRecordInto(type, payload, &record_);

  const uint64_t before = file_->size();
  Status s = file_->Append(record_.data(), record_.size());
  if (record_.capacity() > (4u << 20)) std::string().swap(record_);  // Don't pin a huge buffer.
  if (!s.ok()) {
    // A partial record would end the log for ReadWal and hide every record appended after it, so
    // it must go before anything else is written.
    if (!file_->Truncate(before).ok()) broken_ = s;
    return s;
  }
  if (sync_each_write_) return Sync();
  return Status::OK();
}

Status WalWriter::Sync() {
  if (!broken_.ok()) return broken_;
  Status s = file_->Sync();
  // After a failed fsync Linux may have discarded the dirty pages and cleared the error, so a
  // retry could report success for data that is gone; only a replay from disk is trustworthy.
  if (!s.ok()) broken_ = s;
  return s;
}

Status WalWriter::Close() { return file_->Close(); }

// ---------------------------------------------------------------------------------------------
// ReadWal

Status ReadWal(const std::string& path,
               const std::function<Status(uint8_t type, std::string_view payload)>& fn,
               WalReadStats* stats, FileSystem& fs) {
  WalReadStats local;
  if (stats == nullptr) stats = &local;
  *stats = WalReadStats();
  if (!FileExists(path)) return Status::OK();

  Result<std::unique_ptr<FileSource>> opened = FileSource::Open(path);
  if (!opened.ok()) return opened.status();
  FileSource& source = **opened;
  const uint64_t size = source.size();

  uint64_t end = 0;  // End of the valid prefix.
  if (size < kWalFileHeaderSize) {
    // Only a torn creation looks like this; anything else is some other file.
    char header[kWalFileHeaderSize];
    ALIKE_RETURN_IF_ERROR(source.Read(header, size));
    if (std::memcmp(header, kMagic, std::min<size_t>(size, sizeof(kMagic))) != 0) {
      return Status::Corruption(path + ": not an alike write-ahead log");
    }
  } else {
    char header[kWalFileHeaderSize];
    ALIKE_RETURN_IF_ERROR(source.Read(header, sizeof(header)));
    ALIKE_RETURN_IF_ERROR(CheckFileHeader(path, header));
    end = kWalFileHeaderSize;

    std::string payload;
    while (size - end >= kWalRecordHeaderSize) {
      char rec[kWalRecordHeaderSize];
      ALIKE_RETURN_IF_ERROR(source.Read(rec, sizeof(rec)));
      uint32_t masked_crc;
      uint32_t length;
      std::memcpy(&masked_crc, rec, 4);
      std::memcpy(&length, rec + 4, 4);
      const auto type = static_cast<uint8_t>(rec[8]);
      // Checked against the bytes actually present before allocating, so a garbage length
      // costs nothing.
      if (length > kWalMaxPayload || length > size - end - kWalRecordHeaderSize) break;
      payload.resize(length);
      ALIKE_RETURN_IF_ERROR(source.Read(payload.data(), length));
      if (RecordCrc(type, payload.data(), length) != UnmaskCrc(masked_crc)) break;
      ALIKE_RETURN_IF_ERROR(fn(type, payload));
      end += kWalRecordHeaderSize + length;
      ++stats->records;
    }
  }

  stats->valid_bytes = end;
  if (end < size) {
    ALIKE_RETURN_IF_ERROR(TruncateFile(path, end, fs));
    stats->truncated_bytes = size - end;
  }
  return Status::OK();
}

std::string EncodeWalRecord(uint8_t type, std::string_view payload) {
  std::string record;
  EncodeRecordInto(type, payload, &record);
  return record;
}

Status DecodeWalRecord(std::string_view record, uint8_t* type, std::string_view* payload) {
  if (record.size() < kWalRecordHeaderSize) {
    return Status::Corruption("log record of " + std::to_string(record.size()) +
                              " bytes is shorter than its header");
  }
  uint32_t masked_crc;
  uint32_t length;
  std::memcpy(&masked_crc, record.data(), 4);
  std::memcpy(&length, record.data() + 4, 4);
  if (length != record.size() - kWalRecordHeaderSize) {
    return Status::Corruption("log record claims " + std::to_string(length) +
                              " payload bytes but holds " +
                              std::to_string(record.size() - kWalRecordHeaderSize));
  }
  const auto record_type = static_cast<uint8_t>(record[8]);
  const std::string_view data = record.substr(kWalRecordHeaderSize);
  if (RecordCrc(record_type, data.data(), data.size()) != UnmaskCrc(masked_crc)) {
    return Status::Corruption("log record fails its checksum");
  }
  *type = record_type;
  *payload = data;
  return Status::OK();
}

}  // namespace alike
