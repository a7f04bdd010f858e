// FlatIndex: exact search by scanning every live slot. It is the ground truth the approximate
// indexes are measured against and the right choice for small collections, where a scan beats
// building and walking a graph.
//
// Live slots are a bitmap rather than a dense slot list: a scan then reads the table in slot
// order, which the hardware prefetcher follows and which makes ties break by slot without extra
// work, and concurrent Add()s need only an atomic OR on one word. The price, skipping dead bits,
// is one word test per 64 slots, and the collection purges and reuses dead slots anyway.
//
// LiveSlots and TopK are also the building blocks of Sq8Index, hence their place here.
//
// Thread-safety: as VectorIndex. Concurrent Add()s are safe once Reserve() has covered their
// slots; an Add beyond the reserved range grows the bitmap and must then run alone.
#ifndef ALIKE_INDEX_FLAT_INDEX_H_
#define ALIKE_INDEX_FLAT_INDEX_H_

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "index/vector_index.h"

namespace alike::index {

// A set of slots as a bitmap, iterated in ascending slot order.
class LiveSlots {
 public:
  // Makes room for slots below `slots`, so that Insert() of those needs no growth.
  void Reserve(size_t slots) {
    size_t words = (slots + 63) / 64;
    if (words > words_.size()) words_.resize(words, 0);
  }
  // Slots below this can be inserted without growing.
  size_t capacity() const { return words_.size() * 64; }

  // Adds `slot`; returns false if it was present. Safe to run concurrently with other Insert()s
  // when slot < capacity(); otherwise the bitmap grows, which must not race with anything.
  bool Insert(uint32_t slot) {
    if (slot >= capacity()) Reserve(size_t{slot} + 1);
    const uint64_t bit = uint64_t{1} << (slot & 63);
    // Distinct slots may share a word, so the OR must be atomic.
    return (std::atomic_ref<uint64_t>(words_[slot >> 6]).fetch_or(bit, std::memory_order_relaxed) &
            bit) == 0;
  }
  // Removes `slot`; returns false if it was absent. Not concurrent with anything.
  bool Erase(uint32_t slot) {
    if (!Contains(slot)) return false;
    words_[slot >> 6] &= ~(uint64_t{1} << (slot & 63));
    return true;
  }
  bool Contains(uint32_t slot) const {
    return slot < capacity() && ((words_[slot >> 6] >> (slot & 63)) & 1) != 0;
  }
  void Clear() { words_.clear(); }

  // Number of slots in the set. O(capacity / 64).
  size_t size() const;
  // One past the highest slot in the set (0 when empty).
  size_t end_slot() const;

  // Calls fn(slot) for every slot in ascending order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      for (uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        fn(static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits))));
      }
    }
  }

  // Serialised as a count and the ascending slot list, so the format does not depend on how many
  // dead slots the bitmap spans.
  Status Save(ByteSink& sink) const;
  // Replaces the set with what Save() wrote. Every slot must be below `slot_limit`; anything
  // malformed is Status::Corruption and leaves the set unchanged.
  Status Load(ByteSource& source, size_t slot_limit);

  size_t MemoryBytes() const { return words_.capacity() * sizeof(uint64_t); }

 private:
  std::vector<uint64_t> words_;
};

// The k smallest (distance, slot) pairs seen, in a bounded max-heap whose top is the entry the
// next better candidate evicts. Ties are ordered by slot, like Neighbor::operator<.
class TopK {
 public:
  // Reserves for k only up to a point: a caller asking for "everything" with a huge k should not
  // allocate for it up front.
  explicit TopK(size_t k) : k_(k) { heap_.reserve(std::min<size_t>(k, 4096)); }

  // Candidates farther than this cannot enter; cheaper to test than Push() in a hot loop.
  float threshold() const { return threshold_; }

  void Push(float distance, uint32_t slot) {
    if (heap_.size() < k_) {
      heap_.push_back({distance, slot});
      std::push_heap(heap_.begin(), heap_.end());
      if (heap_.size() == k_) threshold_ = heap_.front().distance;
    } else if (k_ > 0 && Neighbor{distance, slot} < heap_.front()) {
      std::pop_heap(heap_.begin(), heap_.end());
      heap_.back() = {distance, slot};
      std::push_heap(heap_.begin(), heap_.end());
      threshold_ = heap_.front().distance;
    }
  }
  size_t size() const { return heap_.size(); }

  // The entries nearest first; the TopK is empty afterwards.
  std::vector<Neighbor> TakeSorted() {
    std::sort_heap(heap_.begin(), heap_.end());
    threshold_ = std::numeric_limits<float>::infinity();
    return std::exchange(heap_, {});
  }

 private:
  size_t k_;
  float threshold_ = std::numeric_limits<float>::infinity();
  std::vector<Neighbor> heap_;
};

// The exact scan of `live` for the k nearest that pass params.filter, ties by slot, with kernels
// specialised for the code (popcounts inlined for 64- and 256-bit binary codes). What FlatIndex
// does, and what the multi-index hash falls back to for a query far from everything.
std::vector<Neighbor> ScanLiveSlots(const Space& space, const VectorTable& table,
                                    const LiveSlots& live, const void* query,
                                    const IndexSearchParams& params);

class FlatIndex : public VectorIndex {
 public:
  // `space` and `table` must outlive the index.
  FlatIndex(const Space& space, const VectorTable& table) : space_(space), table_(table) {}

  void Add(uint32_t slot) override { live_.Insert(slot); }
  void Remove(uint32_t slot) override {
    if (live_.Erase(slot)) ++removed_count_;
  }
  // Removals take effect at once here, so purging only resets the count.
  size_t Purge() override { return std::exchange(removed_count_, 0); }
  size_t removed_count() const override { return removed_count_; }

  std::vector<Neighbor> Search(const void* query, const IndexSearchParams& params) const override;

  void Reserve(size_t slots) override { live_.Reserve(slots); }

  // Only live slots are written: removed-but-unpurged slots are gone after a round trip, so
  // removed_count() is 0 after Load().
  Status Save(ByteSink& sink) const override;
  Status Load(ByteSource& source) override;

  size_t MemoryBytes() const override { return sizeof(*this) + live_.MemoryBytes(); }

  size_t size() const { return live_.size(); }

 private:
  const Space& space_;
  const VectorTable& table_;
  LiveSlots live_;
  size_t removed_count_ = 0;
};

}  // namespace alike::index

#endif  // ALIKE_INDEX_FLAT_INDEX_H_
