#include "index/vector_table.h"

#include <algorithm>
#include <new>

namespace alike::index {

void VectorTable::Reserve(size_t slots) {
  if (slots <= capacity_) return;
  // Grow geometrically so that a stream of single inserts costs amortised O(1) copies, but by
  // 1/8 rather than 1/2: the table is most of a collection's memory, and a 1.5x step left up to
  // 50% of it unused (1.43x the ideal size measured at 100k x 512). Each code is copied about
  // eight times over the table's growth instead of twice, which memcpy does at memory speed.
  size_t new_capacity = std::max({slots, capacity_ + capacity_ / 8, size_t{64}});
  size_t bytes = new_capacity * code_size_;
  bytes = (bytes + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
  auto* fresh = static_cast<uint8_t*>(std::aligned_alloc(64, std::max<size_t>(bytes, 64)));
  if (fresh == nullptr) throw std::bad_alloc();
  if (capacity_ > 0) std::memcpy(fresh, data_.get(), capacity_ * code_size_);
  std::memset(fresh + capacity_ * code_size_, 0, bytes - capacity_ * code_size_);
  data_.reset(fresh);
  capacity_ = new_capacity;
}

}  // namespace alike::index
