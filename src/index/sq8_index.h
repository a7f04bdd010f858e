// Sq8Index: a scan over 8-bit scalar-quantised copies of the vectors, followed by an exact
// re-rank of the best candidates with the full-precision codes of the table.
//
// Why: a flat scan is bound by memory bandwidth once the table outgrows the caches; one byte per
// dimension instead of four moves 4x less data per scanned vector, and the table's floats are
// touched only for the few re-ranked candidates. Unlike a graph it keeps the exactness of a scan
// for filters (every passing slot is considered) and needs no build time.
//
// Quantisation: dimension i maps [min_i, min_i + 255 * scale_i] onto codes 0..255; a value is
// decoded as min_i + scale_i * code. The ranges are the per-dimension min/max of a sample of up
// to kTrainSample live vectors (spread evenly over the slots). Values outside the range are
// clamped, which only blurs their approximate distance; the exact re-rank repairs the order.
//
// Search: every live code passing the filter gets an approximate distance to the float query
// (a dot product of per-query int16 weights with the codes; sq8_index.cc derives it), the best
// max(4k, 40) are re-ranked with the table's exact distance, and the best k of those returned.
// Memory: one byte per dimension (rounded up to 16) per slot, plus 4 bytes per slot for L2. The
// floats are the table's: a collection of this kind maps its checkpointed ones from disk (see
// VectorTable::MapSlots), so the scan runs on memory alone and only the re-rank (max(4k, 40)
// vectors per query) reads floats, paging in those not yet resident.
//
// Retraining, kept simple: the ranges are retrained, and every live vector re-encoded, when the
// Add()s since the last training reach 3x the number of live vectors then (without removals, the
// index has grown 4x), and on Purge() (deletions may have narrowed the data; Purge is rare and a
// retrain costs about one exact scan). The first Add trains on one vector, the next retrains
// follow at 4, 16, 64, ... vectors, so re-encoding costs O(dimension) per Add amortised, and
// the ranges never lag more than 4x growth behind the data.
//
// For float metrics only (L2, inner product, cosine); the factory never builds it for kHamming.
//
// Thread-safety: as VectorIndex. Concurrent Add()s are safe even beyond the reserved slots: Add
// encodes under a shared lock and takes it exclusively only to grow or retrain.
#ifndef ALIKE_INDEX_SQ8_INDEX_H_
#define ALIKE_INDEX_SQ8_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "index/flat_index.h"
#include "index/vector_index.h"

namespace alike::index {

class Sq8Index : public VectorIndex {
 public:
  // Training sample size: enough for stable min/max per dimension, bounded so that training
  // stays cheap next to re-encoding.
  static constexpr size_t kTrainSample = 10000;
  // Candidates re-ranked exactly: max(kRerankFactor * k, kMinRerank).
  static constexpr size_t kRerankFactor = 4;
  static constexpr size_t kMinRerank = 40;

  // `space` and `table` must outlive the index. `space` must be a float metric.
  Sq8Index(const Space& space, const VectorTable& table);

  void Add(uint32_t slot) override;
  void Remove(uint32_t slot) override;
  size_t Purge() override;
  size_t removed_count() const override { return removed_count_; }

  std::vector<Neighbor> Search(const void* query, const IndexSearchParams& params) const override;

  void Reserve(size_t slots) override;

  // Only live slots are written, as for FlatIndex: removed_count() is 0 after Load().
  Status Save(ByteSink& sink) const override;
  Status Load(ByteSource& source) override;

  size_t MemoryBytes() const override;

  size_t size() const { return live_.size(); }
  // Bytes per quantised vector: the dimension rounded up to 16, so the kernels need no tail.
  size_t code_stride() const { return stride_; }

 private:
  // Grows the code store to hold slots below `slots`. Exclusive lock held (or no concurrency).
  void GrowLocked(size_t slots);
  // Quantises the table's vector at `slot` with the current ranges.
  void Encode(uint32_t slot);
  // |scale * code|^2, the stored-side term of the approximate L2 distance.
  float DecodedNorm(const uint8_t* code) const;
  // Recomputes the ranges from the live vectors and re-encodes them all. Exclusive lock held.
  void TrainLocked();

  const Space& space_;
  const VectorTable& table_;
  const size_t dim_;
  const size_t stride_;
  const bool keep_norms_;  // L2 only

  // Guards the ranges and the size of codes_/live_ against Add()s running in parallel.
  std::shared_mutex mu_;
  std::vector<float> min_;        // stride_ entries, 0 in the padding
  std::vector<float> scale_;      // stride_ entries, 0 in the padding (and for constant dims)
  std::vector<float> inv_scale_;  // 1 / scale_, or 0 where scale_ is 0
  std::vector<uint8_t> codes_;    // capacity_ * stride_ bytes, slot-addressed
  std::vector<float> norms_;      // L2: DecodedNorm of each slot's code; else empty
  size_t capacity_ = 0;           // slots codes_ can hold
  LiveSlots live_;
  size_t removed_count_ = 0;
  std::atomic<size_t> adds_since_training_{0};
  std::atomic<size_t> retrain_after_adds_{1};
};

}  // namespace alike::index

#endif  // ALIKE_INDEX_SQ8_INDEX_H_
