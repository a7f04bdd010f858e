#include "store/log_records.h"

#include "util/byte_stream.h"

namespace alike::store {

std::string EncodeUpsert(const std::vector<EncodedRecord>& records) {
  StringSink sink;
  size_t bytes = 4;
  for (const auto& r : records) bytes += 12 + r.code.size() + r.payload.size();
  sink.buffer().reserve(bytes);
  // StringSink cannot fail, so the statuses below are always OK.
  (void)sink.WritePod<uint32_t>(static_cast<uint32_t>(records.size()));
  for (const auto& r : records) {
    (void)sink.WritePod<uint64_t>(r.id);
    (void)sink.Write(r.code.data(), r.code.size());
    (void)sink.WritePod<uint32_t>(static_cast<uint32_t>(r.payload.size()));
    (void)sink.Write(r.payload.data(), r.payload.size());
  }
  return std::move(sink.buffer());
}

std::string EncodeDelete(const std::vector<uint64_t>& ids) {
  StringSink sink;
  (void)sink.WritePod<uint32_t>(static_cast<uint32_t>(ids.size()));
  (void)sink.Write(ids.data(), ids.size() * sizeof(uint64_t));
  return std::move(sink.buffer());
}

Status DecodeUpsert(std::string_view data, size_t code_size, std::vector<EncodedRecord>* out) {
  StringSource source(data);
  uint32_t count = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&count));
  // Each record takes at least 12 + code_size bytes; a count the data cannot hold is corrupt and
  // must not drive an allocation.
  if (uint64_t{count} * (12 + code_size) > source.remaining()) {
    return Status::Corruption("upsert record claims " + std::to_string(count) +
                              " vectors but holds only " + std::to_string(data.size()) + " bytes");
  }
  out->clear();
  out->resize(count);
  for (auto& r : *out) {
    ALIKE_RETURN_IF_ERROR(source.ReadPod(&r.id));
    r.code.resize(code_size);
    ALIKE_RETURN_IF_ERROR(source.Read(r.code.data(), code_size));
    uint32_t n = 0;
    ALIKE_RETURN_IF_ERROR(source.ReadPod(&n));
    if (n > source.remaining()) return Status::Corruption("upsert record: payload overruns data");
    r.payload.resize(n);
    ALIKE_RETURN_IF_ERROR(source.Read(r.payload.data(), n));
  }
  if (source.remaining() != 0) return Status::Corruption("upsert record: trailing bytes");
  return Status::OK();
}

Status DecodeDelete(std::string_view data, std::vector<uint64_t>* out) {
  StringSource source(data);
  uint32_t count = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&count));
  if (uint64_t{count} * sizeof(uint64_t) != source.remaining()) {
    return Status::Corruption("delete record: count does not match size");
  }
  out->resize(count);
  return source.Read(out->data(), count * sizeof(uint64_t));
}

}  // namespace alike::store
