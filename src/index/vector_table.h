// Slot-addressed storage of fixed-size vector codes, 64-byte aligned for SIMD loads (when the
// code size is a multiple of 64; the region itself is page aligned).
// The collection owns the table and decides which slots are live; indexes read codes from it by
// slot, so vectors are stored once however many indexes use them.
//
// Codes live in memory, except that a collection may hand the table a read-only map of the
// codes of slots [0, mapped_slots()) as a checkpoint file holds them (MapSlots). Those slots
// are then read from the map, and only codes written since live in memory: new slots beyond the
// map in the memory part, reused slots below it (after a purge freed them) in an overlay. The
// next checkpoint holds them all again and is mapped in turn, which empties both. The sq8 kind
// uses this to keep only its 8-bit codes in memory (see store/stored_collection.h).
//
// Thread-safety: concurrent reads are safe. Reserve(), MapSlots() and a Set() of a slot below
// mapped_slots() must not run concurrently with anything; other writes to distinct slots may run
// concurrently with each other (parallel batch inserts).
#ifndef ALIKE_INDEX_VECTOR_TABLE_H_
#define ALIKE_INDEX_VECTOR_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "util/growable_region.h"
#include "util/mapped_file.h"

namespace alike::index {

class VectorTable {
 public:
  explicit VectorTable(size_t code_size) : code_size_(code_size) {}
  VectorTable(const VectorTable&) = delete;
  VectorTable& operator=(const VectorTable&) = delete;

  size_t code_size() const { return code_size_; }
  size_t capacity() const { return capacity_; }  // number of slots addressable

  // Grows (never shrinks) to at least `slots` slots, keeping existing codes. New slots are zero.
  void Reserve(size_t slots);

  const uint8_t* code(uint32_t slot) const {
    // Unmapped tables (flat, hnsw) always take the first branch: one predictable compare.
    if (slot >= mapped_slots_) return memory_.data() + (size_t{slot} - mapped_slots_) * code_size_;
    return MappedCode(slot);
  }
  // Only for slots at or beyond mapped_slots(): the map is read-only.
  uint8_t* mutable_code(uint32_t slot) {
    return memory_.data() + (size_t{slot} - mapped_slots_) * code_size_;
  }
  void Set(uint32_t slot, const void* code);

  // From now on serves slots [0, slots) from `map`, which holds their codes back to back (the
  // table owns it). Replaces any earlier map and forgets every code held in memory: the caller
  // maps all it has written (a checkpoint holds every slot handed out), and reserved slots
  // beyond would only be memory kept for nothing. capacity() becomes `slots`. A map whose data
  // is not aligned to the code's element size would make reads misaligned: callers align it.
  void MapSlots(std::unique_ptr<MappedFile> map, size_t slots);
  size_t mapped_slots() const { return mapped_slots_; }

  // Memory the table allocated: codes of slots beyond the map, and the overlay. Mapped pages are
  // not counted: they are the file's page cache, paged in by reads and dropped by the OS under
  // pressure, never the process's own memory (see MappedBytes).
  size_t MemoryBytes() const;
  // Bytes of the file mapped, an upper bound of what mapped reads can keep resident.
  size_t MappedBytes() const { return map_ ? map_->size() : 0; }

 private:
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  using Buffer = std::unique_ptr<uint8_t, FreeDeleter>;
  // An aligned, zeroed buffer for one overlay code.
  Buffer AllocateCode() const;
  const uint8_t* MappedCode(uint32_t slot) const;

  size_t code_size_;
  size_t capacity_ = 0;      // mapped_slots_ + the slots memory_ holds
  size_t mapped_slots_ = 0;  // slots read from map_
  std::unique_ptr<MappedFile> map_;
  GrowableRegion memory_;  // slots [mapped_slots_, capacity_)
  // Codes written to slots below mapped_slots_ since the map was made.
  std::unordered_map<uint32_t, Buffer> overlay_;
};

}  // namespace alike::index

#endif  // ALIKE_INDEX_VECTOR_TABLE_H_
