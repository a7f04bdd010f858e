#include "library/face_rule.h"

#include <algorithm>
#include <map>
#include <optional>

namespace alike::library {
namespace {

// A person's nearest hits that count towards its rank.
constexpr size_t kPersonHits = 3;

// Hits closer than this are copies of the query picture itself (the same photo re-encoded,
// resized or mirrored), found when a library picture is the query: the margin counts from the
// nearest other hit, or a query's own copy would cut its person's other photos away.
constexpr float kCopyDistance = 0.01f;

// Candidates fetched when every hit is asked for (k = 0).
constexpr size_t kAllHits = 10000;

// Keeps each image's nearest hit, nearest first.
void OnePerImage(std::vector<FaceHit>& hits) {
  std::stable_sort(hits.begin(), hits.end(),
                   [](const FaceHit& a, const FaceHit& b) { return a.distance < b.distance; });
  std::vector<uint64_t> seen;
  std::erase_if(hits, [&](const FaceHit& h) {
    if (std::find(seen.begin(), seen.end(), h.image_id) != seen.end()) return true;
    seen.push_back(h.image_id);
    return false;
  });
}

// Orders nearest-first hits by their person's mean distance over its kPersonHits nearest hits,
// each missing one counted at the threshold; a hit without a person is a person of its own.
void RankByPerson(std::vector<FaceHit>& hits, float threshold) {
  std::map<uint64_t, std::vector<float>> person_distances;
  for (const FaceHit& h : hits) {
    if (h.person) person_distances[*h.person].push_back(h.distance);
  }
  auto score = [&](const FaceHit& h) {
    float sum = h.distance;
    size_t counted = 1;
    if (h.person) {
      const std::vector<float>& d = person_distances[*h.person];  // nearest first
      sum = 0;
      counted = std::min(d.size(), kPersonHits);
      for (size_t i = 0; i < counted; ++i) sum += d[i];
    }
    return (sum + float(kPersonHits - counted) * threshold) / float(kPersonHits);
  };
  std::vector<std::pair<float, size_t>> order;
  for (size_t i = 0; i < hits.size(); ++i) order.emplace_back(score(hits[i]), i);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<FaceHit> ranked;
  for (const auto& [s, i] : order) ranked.push_back(std::move(hits[i]));
  hits = std::move(ranked);
}

}  // namespace

size_t FaceCandidates(size_t k) { return k == 0 ? kAllHits : 2 * k + 8; }

float FaceSearchThreshold(std::span<const embed::FarPoint> calibration, uint64_t library_faces,
                          const FaceSearchOptions& options, float same_person) {
  if (options.threshold > 0) return options.threshold;
  if (calibration.empty()) return same_person;
  const double far = options.strangers_per_query / double(std::max<uint64_t>(library_faces, 1));
  return std::min(same_person, embed::DistanceAtFar(calibration, far));
}

void RankFaceHits(std::vector<FaceHit>& hits, float threshold, const FaceSearchOptions& options) {
  OnePerImage(hits);
  auto best = std::find_if(hits.begin(), hits.end(),
                           [](const FaceHit& h) { return h.distance >= kCopyDistance; });
  if (options.margin > 0 && best != hits.end()) {
    const float limit = best->distance + options.margin;
    std::erase_if(hits, [&](const FaceHit& h) { return h.distance > limit; });
  }
  if (options.by_person) RankByPerson(hits, threshold);
  if (options.k != 0 && hits.size() > options.k) hits.resize(options.k);
}

}  // namespace alike::library
