// Byte sinks and sources: what persistent structures (indexes, checkpoints) write to and read
// from, so that they know nothing about files, checksums or buffering.
//
// Thread-safety: a sink or source is used by one thread at a time.
#ifndef ALIKE_UTIL_BYTE_STREAM_H_
#define ALIKE_UTIL_BYTE_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "alike/status.h"

namespace alike {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(const void* data, size_t size) = 0;

  // Fixed-width little-endian host values (alike only runs on little-endian hosts).
  template <typename T>
  Status WritePod(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Write(&value, sizeof(T));
  }
  Status WriteString(const std::string& s) {
    ALIKE_RETURN_IF_ERROR(WritePod<uint64_t>(s.size()));
    return Write(s.data(), s.size());
  }
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads exactly `size` bytes or fails with kCorruption (truncated input) / kIOError.
  virtual Status Read(void* data, size_t size) = 0;

  template <typename T>
  Status ReadPod(T* value) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Read(value, sizeof(T));
  }
  // `max_size` bounds the allocation a corrupt length could otherwise cause.
  Status ReadString(std::string* s, uint64_t max_size = 1ull << 32) {
    uint64_t n = 0;
    ALIKE_RETURN_IF_ERROR(ReadPod(&n));
    if (n > max_size)
      return Status::Corruption("string length " + std::to_string(n) + " too large");
    s->resize(n);
    return Read(s->data(), n);
  }
};

// In-memory sink and source, for tests and for small records.
class StringSink : public ByteSink {
 public:
  Status Write(const void* data, size_t size) override {
    buffer_.append(static_cast<const char*>(data), size);
    return Status::OK();
  }
  const std::string& buffer() const { return buffer_; }
  std::string& buffer() { return buffer_; }

 private:
  std::string buffer_;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  Status Read(void* data, size_t size) override;
  size_t remaining() const { return data_.size() - pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace alike

#endif  // ALIKE_UTIL_BYTE_STREAM_H_
