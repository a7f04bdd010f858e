// VectorIndex: the one interface every index kind implements (flat, HNSW, SQ8), in the manner of
// Faiss's Index. An index maps slots of a VectorTable to a structure that finds near slots; it
// never owns vectors, ids or payloads. The collection above it translates slots to ids.
//
// Thread-safety: Search is const and may run from many threads at once. Add may run concurrently
// with other Add calls for distinct slots (parallel batch insert) but not with Search, Remove,
// Purge, Save or Load; the collection's lock arranges that.
#ifndef ALIKE_INDEX_VECTOR_INDEX_H_
#define ALIKE_INDEX_VECTOR_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "alike/status.h"
#include "alike/vector_db.h"
#include "index/space.h"
#include "index/vector_table.h"
#include "util/byte_stream.h"

namespace alike::index {

struct Neighbor {
  float distance;
  uint32_t slot;
  bool operator<(const Neighbor& o) const {
    return distance < o.distance || (distance == o.distance && slot < o.slot);
  }
};

// A predicate over slots, applied inside the search: only slots that pass are returned, but the
// search may still walk through slots that fail (so a graph stays connected under a filter).
class SlotFilter {
 public:
  virtual ~SlotFilter() = default;
  virtual bool Allows(uint32_t slot) const = 0;
};

struct IndexSearchParams {
  size_t k = 10;
  uint32_t ef = 0;                     // HNSW: candidate list size (raised to k); 0 = default
  const SlotFilter* filter = nullptr;  // null = every live slot
  // Slots farther than this may be left out (an index that can prune by it does: the multi-index
  // hash); the collection drops any that come back anyway.
  float max_distance = std::numeric_limits<float>::infinity();
};

class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  // Indexes the code now stored at `slot` of the table. The slot must not be in the index.
  virtual void Add(uint32_t slot) = 0;
  // Makes `slot` invisible to searches at once. Its space is reclaimed by Purge().
  virtual void Remove(uint32_t slot) = 0;
  // Forgets every removed slot, repairing the structure around them (HNSW relinks their
  // neighbours), so that those slots may be Add()ed again. Returns how many slots were purged.
  virtual size_t Purge() = 0;
  // Number of slots removed but not yet purged.
  virtual size_t removed_count() const = 0;

  // The k nearest live slots to `query` (a code of the table's space) that pass the filter,
  // nearest first. Fewer than k only when fewer slots pass.
  virtual std::vector<Neighbor> Search(const void* query,
                                       const IndexSearchParams& params) const = 0;

  // Called before a batch of Add()s for slots up to `slots` - 1, so that parallel Adds need not
  // grow shared structures.
  virtual void Reserve(size_t slots) = 0;

  virtual Status Save(ByteSink& sink) const = 0;
  // Replaces the index content with what Save() wrote. The table must already hold the codes.
  virtual Status Load(ByteSource& source) = 0;

  virtual size_t MemoryBytes() const = 0;
};

// Creates an empty index of the given kind over `table` (which must outlive it).
std::unique_ptr<VectorIndex> NewIndex(const CollectionOptions& options, const Space& space,
                                      const VectorTable& table);

}  // namespace alike::index

#endif  // ALIKE_INDEX_VECTOR_INDEX_H_
