// HnswIndex: a Hierarchical Navigable Small World graph (Malkov & Yashunin, 2016) over the slots
// of a VectorTable.
//
// Every node has a random level drawn with P(level >= l) = M^-l. On each layer up to its level it
// links to at most M neighbours (2M on layer 0, where most of the search happens), chosen by the
// paper's heuristic: a candidate is kept only if it is closer to the node than to any neighbour
// kept before it, which spreads links over directions instead of piling them into one cluster.
// A search descends greedily from the single top-level entry point and then runs a beam search
// of width ef on layer 0.
//
// Layout. Layer-0 lists live in one flat array with a fixed stride of 2M+1 words (count, ids), so
// that a search touches one contiguous run per node and a checkpoint loads in a single read.
// Upper layers hold a few percent of the links and live in a small per-node array.
//
// Filters. A filter, like a tombstone, only decides what enters the results: the walk goes on
// through rejected nodes until it has ef accepted ones (as in Lucene and Qdrant), so recall holds
// down to a few percent selectivity given a larger ef.
//
// Deletes. Remove() sets a tombstone: the node still routes searches (the graph stays connected)
// but is never returned. Purge() repairs every live node that links to removed ones: it keeps the
// live links and fills the freed places, by the same heuristic, from the live neighbours of the
// removed ones; the new links get their reverse links as an insert's do. Then the removed slots
// are free for reuse. Purge() repairs nodes on all cores (std::thread::hardware_concurrency()).
//
// Thread-safety: as VectorIndex. Concurrent Add()s lock one node's lists at a time (a spinlock
// per node) and the entry point with a mutex; they need Reserve() to have covered their slots.
// Searches take no lock but a visited-set from a pool.
#ifndef ALIKE_INDEX_HNSW_INDEX_H_
#define ALIKE_INDEX_HNSW_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "index/vector_index.h"
#include "util/growable_region.h"

namespace alike::index {

class HnswIndex : public VectorIndex {
 public:
  // `space` and `table` must outlive the index. m is raised to at least 2 and ef_construction to
  // at least m.
  HnswIndex(const Space& space, const VectorTable& table, const HnswParams& params);
  ~HnswIndex() override;
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  void Add(uint32_t slot) override;
  void Remove(uint32_t slot) override;
  size_t Purge() override;
  size_t removed_count() const override { return removed_count_; }

  std::vector<Neighbor> Search(const void* query, const IndexSearchParams& params) const override;

  void Reserve(size_t slots) override;

  // The format records m, which fixes the layout: Load() refuses data saved with another m. The
  // ef values in force stay those given to the constructor (the collection's options).
  Status Save(ByteSink& sink) const override;
  Status Load(ByteSource& source) override;

  size_t MemoryBytes() const override;

  // Nodes in the graph, removed ones included.
  size_t size() const { return size_.load(std::memory_order_relaxed); }
  // Level of the entry point; -1 when the graph is empty.
  int max_level() const { return max_level_; }
  const HnswParams& params() const { return params_; }

 private:
  struct SearchContext;
  class ContextLease;
  class CodeView;
  struct BuildTarget;
  enum class Walk { kBuild, kQuery, kQueryFiltered };

  // A lock of one byte: there is one per node, and its critical sections are short.
  class SpinLock {
   public:
    void lock();
    void unlock() { flag_.clear(std::memory_order_release); }

   private:
    std::atomic_flag flag_;
  };

  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr int kMaxLevel = 30;

  float Distance(const void* a, const void* b) const { return distance_(a, b, distance_dim_); }
  int RandomLevel(uint32_t slot) const;
  size_t Capacity(int layer) const { return layer == 0 ? m0_ : m_; }

  // A link list: the count followed by the ids. The node must have `layer` <= its level.
  const uint32_t* Links(uint32_t slot, int layer) const {
    return layer == 0 ? links0() + size_t{slot} * (m0_ + 1)
                      : upper_[slot].get() + static_cast<size_t>(layer - 1) * (m_ + 1);
  }
  // Asks for the cache lines of slot's layer-0 list.
  void PrefetchList(uint32_t slot) const;
  uint32_t* MutableLinks(uint32_t slot, int layer) {
    return const_cast<uint32_t*>(std::as_const(*this).Links(slot, layer));
  }
  bool Accepts(uint32_t slot, const SlotFilter* filter) const {
    return !removed_[slot] && (filter == nullptr || filter->Allows(slot));
  }

  // Moves `nearest` downhill on `layer` until no neighbour is closer.
  template <Walk kWalk>
  Neighbor GreedyClosest(const void* query, Neighbor nearest, int layer, const CodeView& codes,
                         SearchContext& ctx) const;
  // Beam search on `layer` from the entry points in ctx.results; leaves the (at most ef) nearest
  // accepted nodes in ctx.results.
  template <Walk kWalk>
  void SearchLayer(const void* query, int layer, size_t ef, const SlotFilter* filter,
                   BuildTarget* target, const CodeView& codes, SearchContext& ctx) const;
  // Keeps, in place, the first `max` of `candidates` (sorted nearest first to `base`) that pass
  // the neighbour-selection heuristic. The first `keep` candidates are kept without a test (and
  // the others are tested against them too).
  void SelectNeighbors(const uint8_t* base, std::vector<Neighbor>& candidates, size_t max,
                       const CodeView& codes, size_t keep = 0) const;
  // Adds the link from -> to on `layer`, re-selecting from's links when the list is full.
  void Connect(uint32_t from, uint32_t to, int layer, const CodeView& codes,
               std::vector<Neighbor>& scratch);
  struct Link {
    uint32_t from;
    uint32_t to;
    int layer;
  };
  // Replaces slot's links on `layer` that lead to removed nodes (see Purge()), appending the
  // links it adds to `added`.
  void Relink(uint32_t slot, int layer, const CodeView& codes, SearchContext& ctx,
              std::vector<Link>& added);

  const VectorTable& table_;
  const DistanceFn distance_;
  const size_t distance_dim_;
  HnswParams params_;
  size_t m_;           // link capacity on upper layers
  size_t m0_;          // link capacity on layer 0
  double level_mult_;  // 1 / ln(m)

  size_t capacity_ = 0;  // slots the arrays below cover
  uint32_t* links0() const { return reinterpret_cast<uint32_t*>(links0_.data()); }

  GrowableRegion links0_;                           // capacity_ * (m0_ + 1) words
  std::vector<std::unique_ptr<uint32_t[]>> upper_;  // level * (m_ + 1) words per node
  std::vector<int8_t> levels_;                      // -1: slot not in the graph
  std::vector<uint8_t> removed_;                    // tombstones
  std::unique_ptr<SpinLock[]> locks_;               // guard each node's lists during Add()

  std::mutex entry_mutex_;  // guards the next two during Add()
  uint32_t entry_point_ = kNone;
  int max_level_ = -1;

  std::atomic<size_t> size_{0};
  std::atomic<size_t> upper_words_{0};
  size_t removed_count_ = 0;

  mutable std::mutex pool_mutex_;
  mutable std::vector<std::unique_ptr<SearchContext>> pool_;
};

}  // namespace alike::index

#endif  // ALIKE_INDEX_HNSW_INDEX_H_
