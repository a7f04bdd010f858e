// GrowableRegion: zeroed anonymous memory that grows without copying its contents.
//
// Why: a collection's vectors and layer-0 links are one array each, addressed by slot, so a
// search computes an address instead of following a pointer per node. Growing such an array by
// allocate-and-copy holds the old and the new array at once: a 1M x 512 float table peaked at
// twice its size while being built. Here growth moves the pages into a larger mapping
// (mremap): the kernel moves page tables, not bytes, and never holds two copies.
//
// Regions of 2 MiB or more are mapped 2 MiB-aligned and advised for transparent huge pages
// (MADV_HUGEPAGE; a no-op where the kernel has them off). A search touches vectors at random
// across gigabytes, and with 4 KiB pages nearly every vector read also misses the TLB.
//
// Pages never touched cost no memory: reserved capacity beyond the last write is virtual only.
//
// Thread-safety: data() may be read and its bytes written from many threads; Grow() must not
// run concurrently with anything (it may move data()).
#ifndef ALIKE_UTIL_GROWABLE_REGION_H_
#define ALIKE_UTIL_GROWABLE_REGION_H_

#include <cstddef>
#include <cstdint>

namespace alike {

class GrowableRegion {
 public:
  GrowableRegion() = default;
  ~GrowableRegion();
  GrowableRegion(GrowableRegion&& other) noexcept;
  GrowableRegion& operator=(GrowableRegion&& other) noexcept;
  GrowableRegion(const GrowableRegion&) = delete;
  GrowableRegion& operator=(const GrowableRegion&) = delete;

  // Makes at least `bytes` bytes addressable, keeping the existing ones; new bytes are zero.
  // A smaller size than the current one is a no-op. Throws std::bad_alloc when the kernel
  // refuses the mapping, as operator new would.
  void Grow(size_t bytes);

  uint8_t* data() const { return data_; }  // page aligned; null while empty
  size_t size() const { return size_; }    // bytes addressable, a multiple of the page size

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace alike

#endif  // ALIKE_UTIL_GROWABLE_REGION_H_
