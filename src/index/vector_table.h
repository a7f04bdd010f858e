// Slot-addressed storage of fixed-size vector codes, 64-byte aligned for SIMD loads.
// The collection owns the table and decides which slots are live; indexes read codes from it by
// slot, so vectors are stored once however many indexes use them.
//
// Thread-safety: concurrent reads are safe. Resize() must not run concurrently with anything;
// writes to distinct slots may run concurrently with each other (parallel batch inserts).
#ifndef ALIKE_INDEX_VECTOR_TABLE_H_
#define ALIKE_INDEX_VECTOR_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace alike::index {

class VectorTable {
 public:
  explicit VectorTable(size_t code_size) : code_size_(code_size) {}
  VectorTable(const VectorTable&) = delete;
  VectorTable& operator=(const VectorTable&) = delete;

  size_t code_size() const { return code_size_; }
  size_t capacity() const { return capacity_; }  // number of slots allocated

  // Grows (never shrinks) to at least `slots` slots, keeping existing codes. New slots are zero.
  void Reserve(size_t slots);

  const uint8_t* code(uint32_t slot) const { return data_.get() + size_t{slot} * code_size_; }
  uint8_t* mutable_code(uint32_t slot) { return data_.get() + size_t{slot} * code_size_; }
  void Set(uint32_t slot, const void* code) { std::memcpy(mutable_code(slot), code, code_size_); }

  size_t MemoryBytes() const { return capacity_ * code_size_; }

 private:
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  size_t code_size_;
  size_t capacity_ = 0;
  std::unique_ptr<uint8_t, FreeDeleter> data_;
};

}  // namespace alike::index

#endif  // ALIKE_INDEX_VECTOR_TABLE_H_
