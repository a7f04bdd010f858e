#include "library/space.h"

#include <algorithm>
#include <vector>

#include "library/image_facts.h"

namespace alike::library {
namespace {

// Most images have one vector per space: a run of 8 ids costs one log record and nearly always
// covers them all.
constexpr uint32_t kDeleteRun = 8;

}  // namespace

std::string SpaceCollectionName(const std::string& embedder) { return "image." + embedder; }

CollectionOptions SpaceOptions(const embed::Embedder& model) {
  IndexKind index = IndexKind::kHnsw;
  if (model.metric() == Metric::kHamming) {
    index = model.dimension() % 64 == 0 ? IndexKind::kMultiHash : IndexKind::kFlat;
  }
  return {.dimension = model.dimension(), .metric = model.metric(), .index = index};
}

float SimilarityScore(Metric metric, float distance, uint32_t dimension) {
  switch (metric) {
    case Metric::kCosine:
    case Metric::kInnerProduct:
      return 1 - distance;
    case Metric::kHamming:
      return 1 - distance / static_cast<float>(dimension);
    case Metric::kL2:
      break;
  }
  return 1 / (1 + distance);
}

std::optional<float> MaxDistanceForScore(Metric metric, float min_score, uint32_t dimension) {
  switch (metric) {
    case Metric::kCosine:
    case Metric::kInnerProduct:
      return 1 - min_score;
    case Metric::kHamming:
      return (1 - min_score) * static_cast<float>(dimension);
    case Metric::kL2:
      break;
  }
  return std::nullopt;
}

Status DeleteVectorsFrom(Collection& collection, uint64_t image_id, uint32_t first) {
  for (uint32_t start = first; start < kMaxVectorsPerImage; start += kDeleteRun) {
    std::vector<uint64_t> ids;
    for (uint32_t i = start; i < std::min(start + kDeleteRun, kMaxVectorsPerImage); ++i) {
      ids.push_back(VectorId(image_id, i));
    }
    auto deleted = collection.Delete(ids);
    if (!deleted.ok()) return deleted.status();
    if (*deleted == 0) break;
  }
  return Status::OK();
}

std::vector<Record> VectorsOf(const Collection& collection, uint64_t image_id) {
  std::vector<Record> out;
  uint32_t misses = 0;
  for (uint32_t i = 0; i < kMaxVectorsPerImage && misses < kDeleteRun; ++i) {
    auto r = collection.Get(VectorId(image_id, i));
    if (r.ok()) {
      out.push_back(std::move(*r));
      misses = 0;
    } else {
      ++misses;
    }
  }
  return out;
}

Status DeleteImageVectors(std::span<const Space> spaces, std::span<const uint64_t> image_ids) {
  if (image_ids.empty()) return Status::OK();
  for (const Space& space : spaces) {
    // The first run of every image in one batch (one log record), then the rare images with
    // more vectors than that one by one.
    std::vector<uint64_t> ids;
    for (uint64_t image : image_ids) {
      for (uint32_t i = 0; i < kDeleteRun; ++i) ids.push_back(VectorId(image, i));
    }
    auto deleted = space.collection->Delete(ids);
    if (!deleted.ok()) return deleted.status();
    // Not only when vector kDeleteRun exists: erased faces leave gaps (see VectorsOf). Deleting
    // absent ids writes nothing, so this costs lookups only.
    for (uint64_t image : image_ids) {
      ALIKE_RETURN_IF_ERROR(DeleteVectorsFrom(*space.collection, image, kDeleteRun));
    }
  }
  return Status::OK();
}

}  // namespace alike::library
