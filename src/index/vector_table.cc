#include "index/vector_table.h"

#include <algorithm>
#include <new>

namespace alike::index {

void VectorTable::Reserve(size_t slots) {
  if (slots <= capacity_) return;
  // Grow geometrically so that a stream of single inserts costs amortised O(1) copies.
  size_t new_capacity = std::max({slots, capacity_ + capacity_ / 2, size_t{64}});
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
