// A vector space of an image library: the collection "image.<embedder>" holding the vectors one
// embedder made, each image's vectors numbered densely from 0 (see VectorId).
//
// Thread-safety: Space is a plain handle; the collection it points to is thread-safe.
#ifndef ALIKE_LIBRARY_SPACE_H_
#define ALIKE_LIBRARY_SPACE_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alike/status.h"
#include "alike/vector_db.h"
#include "embed/embedder.h"

namespace alike::library {

struct Space {
  std::string embedder;
  const embed::Embedder* model = nullptr;  // null when only deleting
  std::shared_ptr<Collection> collection;
};

std::string SpaceCollectionName(const std::string& embedder);  // "image.cnn"

// The collection a space of this embedder is stored in: HNSW for float vectors; exact search for
// binary hashes, whose small integer Hamming distances tie too often for a graph walk to rank
// them: the multi-index hash (pdq, dct64), which scans like the flat index until it holds 65,536
// hashes and then finds those within a copy's few dozen bits without a scan; the flat scan for a
// hash of a size it does not take. A space created before keeps its kind (flat for hashes).
CollectionOptions SpaceOptions(const embed::Embedder& model);

// Similarity from a collection distance, 1 = identical: 1 - distance for cosine and inner
// product, 1 - differing bits / bits for hamming, 1 / (1 + distance) for l2.
float SimilarityScore(Metric metric, float distance, uint32_t dimension);
// The distance beyond which every hit scores below `min_score`, for the metrics whose score is
// linear in the distance (nullopt for l2).
std::optional<float> MaxDistanceForScore(Metric metric, float min_score, uint32_t dimension);

// Deletes the vectors of `image_id` numbered `first` and above. Vector numbers are dense, so
// deletion proceeds in small runs until a run finds nothing.
Status DeleteVectorsFrom(Collection& collection, uint64_t image_id, uint32_t first);

// The vectors of an image in one space. Numbers are dense, but an erased face leaves a gap;
// gaps shorter than the deletion run (8) are stepped over, here and by the deletions.
std::vector<Record> VectorsOf(const Collection& collection, uint64_t image_id);

// Deletes every vector of these images from every space.
Status DeleteImageVectors(std::span<const Space> spaces, std::span<const uint64_t> image_ids);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_SPACE_H_
