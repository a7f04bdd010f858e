// MappedFile: a read-only memory map of a byte range of a file.
//
// Why: a compressed (sq8) collection keeps only its 8-bit codes in memory and reads the float
// vectors it re-ranks from the checkpoint file. A map lets the OS page in just what is touched,
// share those pages with its page cache, and drop them under memory pressure without any write
// back (they are clean), so the floats cost the process no anonymous memory at all.
//
// The file must not be truncated or rewritten in place while it is mapped (touching a page past
// a shortened end raises SIGBUS); alike's checkpoints are never modified once renamed into
// place, only replaced by a rename, which leaves a mapped old file intact until it is unmapped.
//
// Thread-safety: immutable after Map(); data() may be read from many threads.
#ifndef ALIKE_UTIL_MAPPED_FILE_H_
#define ALIKE_UTIL_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "alike/status.h"

namespace alike {

class MappedFile {
 public:
  // Maps bytes [offset, offset + length) of `path`, which must lie within the file. The pages
  // are advised random access: re-ranking touches scattered vectors, and read-ahead would only
  // page in neighbours nobody asked for.
  static Result<std::unique_ptr<MappedFile>> Map(const std::string& path, uint64_t offset,
                                                 uint64_t length);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // The byte at `offset`; as aligned within the page as `offset` is.
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  MappedFile(void* base, size_t base_size, const uint8_t* data, size_t size)
      : base_(base), base_size_(base_size), data_(data), size_(size) {}

  void* base_;  // what mmap returned: page aligned, at or before data_
  size_t base_size_;
  const uint8_t* data_;
  size_t size_;
};

}  // namespace alike

#endif  // ALIKE_UTIL_MAPPED_FILE_H_
