#include "util/growable_region.h"

#include <sys/mman.h>
#include <unistd.h>

#include <new>
#include <utility>

namespace alike {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

size_t RoundUp(size_t n, size_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// A fresh read-write anonymous mapping of `bytes` (a page multiple), 2 MiB-aligned when it is at
// least that large: the kernel backs only aligned 2 MiB ranges with huge pages.
uint8_t* MapZeroed(size_t bytes) {
  const size_t align = bytes >= kHugePage ? kHugePage : 1;
  const size_t reserve = bytes + (align > 1 ? align : 0);
  void* base = ::mmap(nullptr, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  auto* begin = static_cast<uint8_t*>(base);
  auto* aligned = reinterpret_cast<uint8_t*>(RoundUp(reinterpret_cast<uintptr_t>(begin), align));
  // Give back the slack on both sides of the aligned range.
  if (aligned > begin) ::munmap(begin, static_cast<size_t>(aligned - begin));
  const size_t tail = static_cast<size_t>(begin + reserve - (aligned + bytes));
  if (tail > 0) ::munmap(aligned + bytes, tail);
  return aligned;
}

}  // namespace

GrowableRegion::~GrowableRegion() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

GrowableRegion::GrowableRegion(GrowableRegion&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

GrowableRegion& GrowableRegion::operator=(GrowableRegion&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void GrowableRegion::Grow(size_t bytes) {
  if (bytes <= size_) return;
  const size_t new_size = RoundUp(bytes, static_cast<size_t>(::sysconf(_SC_PAGESIZE)));
  uint8_t* target = MapZeroed(new_size);
  if (data_ != nullptr) {
    // Moves the old pages to the front of the new (aligned) mapping, replacing its zero pages;
    // the rest of it stays fresh and zero.
    void* moved = ::mremap(data_, size_, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    if (moved == MAP_FAILED) {
      ::munmap(target, new_size);
      throw std::bad_alloc();
    }
  }
  data_ = target;
  size_ = new_size;
  // After the move: the moved range keeps the advice of the mapping it came from, which a small
  // one never had.
  if (new_size >= kHugePage) ::madvise(data_, size_, MADV_HUGEPAGE);
}

}  // namespace alike
