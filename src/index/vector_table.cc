#include "index/vector_table.h"

#include <algorithm>
#include <new>

namespace alike::index {

VectorTable::Buffer VectorTable::AllocateCode() const {
  const size_t bytes = std::max<size_t>((code_size_ + 63) / 64 * 64, 64);  // a multiple of 64
  auto* fresh = static_cast<uint8_t*>(std::aligned_alloc(64, bytes));
  if (fresh == nullptr) throw std::bad_alloc();
  std::memset(fresh, 0, bytes);
  return Buffer(fresh);
}

void VectorTable::Reserve(size_t slots) {
  if (slots <= capacity_) return;
  // Grow geometrically so that a stream of single inserts costs amortised O(1) growths. The step
  // is 1/8 because MemoryBytes() counts reserved slots (untouched pages are not resident, but
  // the table cannot tell which those are); the region moves pages rather than copying bytes,
  // so small steps cost little.
  const size_t in_memory = capacity_ - mapped_slots_;
  const size_t new_capacity = std::max({slots, capacity_ + in_memory / 8, mapped_slots_ + 64});
  memory_.Grow((new_capacity - mapped_slots_) * code_size_);
  capacity_ = new_capacity;
}

void VectorTable::Set(uint32_t slot, const void* code) {
  if (slot >= mapped_slots_) {
    std::memcpy(mutable_code(slot), code, code_size_);
    return;
  }
  Buffer& copy = overlay_[slot];
  if (!copy) copy = AllocateCode();
  std::memcpy(copy.get(), code, code_size_);
}

const uint8_t* VectorTable::MappedCode(uint32_t slot) const {
  if (!overlay_.empty()) {
    auto it = overlay_.find(slot);
    if (it != overlay_.end()) return it->second.get();
  }
  return map_->data() + size_t{slot} * code_size_;
}

void VectorTable::MapSlots(std::unique_ptr<MappedFile> map, size_t slots) {
  memory_ = GrowableRegion();
  overlay_.clear();
  map_ = std::move(map);
  mapped_slots_ = slots;
  capacity_ = slots;
}

size_t VectorTable::MemoryBytes() const {
  // An unordered_map node holds the key, the pointer and a next pointer; 64 bytes of code each.
  const size_t overlay_entry = 3 * sizeof(void*) + std::max<size_t>(code_size_, 64);
  return (capacity_ - mapped_slots_) * code_size_ + overlay_.size() * overlay_entry;
}

}  // namespace alike::index
