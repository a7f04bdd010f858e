// NewIndex: the one place that maps an IndexKind to a class, so the collection never names one.
#include <memory>

#include "index/flat_index.h"
#include "index/hnsw_index.h"
#include "index/multi_index_hash.h"
#include "index/sq8_index.h"
#include "index/vector_index.h"

namespace alike::index {

std::unique_ptr<VectorIndex> NewIndex(const CollectionOptions& options, const Space& space,
                                      const VectorTable& table) {
  switch (options.index) {
    case IndexKind::kFlat:
      return std::make_unique<FlatIndex>(space, table);
    case IndexKind::kHnsw:
      return std::make_unique<HnswIndex>(space, table, options.hnsw);
    case IndexKind::kSq8:
      // Binary codes are already one bit per dimension and Hamming distance on them is a few
      // popcounts; quantising bits to bytes would make the scan 8x larger and approximate. The
      // exact flat scan is strictly better there, so kSq8 means "fast scan" and gets it.
      if (space.metric() == Metric::kHamming) return std::make_unique<FlatIndex>(space, table);
      return std::make_unique<Sq8Index>(space, table);
    case IndexKind::kMultiHash:
      // Collections check that the codes suit it (kHamming, a multiple of 64 bits).
      return std::make_unique<MultiIndexHash>(space, table);
  }
  return std::make_unique<FlatIndex>(space, table);  // unreachable for valid enum values
}

}  // namespace alike::index
