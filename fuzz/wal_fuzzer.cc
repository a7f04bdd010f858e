// The write-ahead log's record framing (DecodeWalRecord, as a cluster replica checks records it
// receives) and the store's log record bodies (upserts and deletes). Also reads the input as a
// whole log file through ReadWal, which must stop at the first bad record and cut it off.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "store/log_records.h"
#include "util/wal.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

std::string WalPath() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr ? tmp : "/tmp") + "/alike-fuzz-wal-" +
         std::to_string(getpid()) + ".log";
}

void DecodeBody(uint8_t type, std::string_view payload) {
  std::vector<alike::store::EncodedRecord> records;
  std::vector<uint64_t> ids;
  // Code sizes of a 4-float vector and of a 64-bit binary one.
  for (size_t code_size : {size_t{16}, size_t{8}}) {
    if (type == 1 && alike::store::DecodeUpsert(payload, code_size, &records).ok()) {
      for (const auto& r : records) Check(r.code.size() == code_size);
      Check(alike::store::EncodeUpsert(records) == payload);
    }
  }
  if (type == 2 && alike::store::DecodeDelete(payload, &ids).ok()) {
    Check(alike::store::EncodeDelete(ids) == payload);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = WalPath();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  uint8_t type = 0;
  std::string_view payload;
  if (alike::DecodeWalRecord(bytes, &type, &payload).ok()) {
    Check(alike::EncodeWalRecord(type, payload) == bytes);
    DecodeBody(type, payload);
  }

  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), std::streamsize(size));
  alike::WalReadStats stats;
  const auto status = alike::ReadWal(
      path,
      [](uint8_t record_type, std::string_view record) {
        DecodeBody(record_type, record);
        return alike::Status::OK();
      },
      &stats);
  if (status.ok()) {
    Check(stats.valid_bytes + stats.truncated_bytes == size || size == 0);
    Check(std::filesystem::file_size(path) == stats.valid_bytes);
  }
  return 0;
}
