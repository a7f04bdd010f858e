#include "library/face_rule.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "library/faces.h"

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

// Query expansion: hits closer than the threshold for this many strangers per query are
// confident, and the nearest kExpansionFaces of them are averaged with the query (measured on
// LFW, README "Face search in a big library").
constexpr double kConfidentStrangers = 0.1;
constexpr size_t kExpansionFaces = 2;

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

// One hit per image, nearest first, then the margin.
void TrimFaceHits(std::vector<FaceHit>& hits, const FaceSearchOptions& options) {
  OnePerImage(hits);
  auto best = std::find_if(hits.begin(), hits.end(),
                           [](const FaceHit& h) { return h.distance >= kCopyDistance; });
  if (options.margin > 0 && best != hits.end()) {
    const float limit = best->distance + options.margin;
    std::erase_if(hits, [&](const FaceHit& h) { return h.distance > limit; });
  }
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

// The person ranking and the first options.k.
void OrderFaceHits(std::vector<FaceHit>& hits, float threshold, const FaceSearchOptions& options) {
  if (options.by_person) RankByPerson(hits, threshold);
  if (options.k != 0 && hits.size() > options.k) hits.resize(options.k);
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
  TrimFaceHits(hits, options);
  OrderFaceHits(hits, threshold, options);
}

float FaceConfidentThreshold(std::span<const embed::FarPoint> calibration, uint64_t library_faces,
                             float threshold) {
  if (calibration.empty()) return 0;
  const double far = kConfidentStrangers / double(std::max<uint64_t>(library_faces, 1));
  return std::min(threshold, embed::DistanceAtFar(calibration, far));
}

float FaceExpansionThreshold(std::span<const embed::FarPoint> calibration, uint64_t library_faces,
                             const FaceSearchOptions& options, float threshold) {
  if (calibration.empty() || options.expansion_strangers <= 0) return 0;
  const double far = options.expansion_strangers / double(std::max<uint64_t>(library_faces, 1));
  return std::min(threshold, embed::DistanceAtFar(calibration, far));
}

FaceThresholds FaceSearchThresholds(std::span<const embed::FarPoint> calibration,
                                    uint64_t library_faces, const FaceSearchOptions& options,
                                    float same_person) {
  FaceThresholds t;
  t.search = FaceSearchThreshold(calibration, library_faces, options, same_person);
  t.confident = FaceConfidentThreshold(calibration, library_faces, t.search);
  t.expansion = FaceExpansionThreshold(calibration, library_faces, options, t.search);
  return t;
}

std::vector<float> ExpandedQuery(std::span<const float> query,
                                 std::span<const std::vector<float>> faces) {
  std::vector<float> mean(query.begin(), query.end());
  for (const std::vector<float>& face : faces) {
    for (size_t i = 0; i < mean.size() && i < face.size(); ++i) mean[i] += face[i];
  }
  double norm = 0;
  for (float x : mean) norm += double(x) * x;
  if (norm > 0) {
    const float scale = float(1 / std::sqrt(norm));
    for (float& x : mean) x *= scale;
  }
  return mean;
}

Result<std::vector<FaceHit>> FindFaceHits(std::span<const float> query,
                                          const FaceThresholds& thresholds,
                                          const FaceSearchOptions& options,
                                          const FaceLookup& lookup) {
  auto found = lookup.near(query, thresholds.search);
  if (!found.ok()) return found.status();
  std::vector<FaceHit> hits = std::move(*found);
  TrimFaceHits(hits, options);
  // The confident hits, nearest first; copies of the query picture add nothing to it.
  std::vector<std::vector<float>> confident;
  for (const FaceHit& h : hits) {
    if (thresholds.expansion <= 0 || confident.size() == kExpansionFaces) break;
    if (h.distance > thresholds.confident) break;
    if (h.distance < kCopyDistance) continue;
    auto vector = lookup.vector_of(h.face_id);
    if (!vector.ok() && vector.status().code() == Status::Code::kNotFound) continue;  // erased
    if (!vector.ok()) return vector.status();
    confident.push_back(std::move(*vector));
  }
  if (!confident.empty()) {
    auto more = lookup.near(ExpandedQuery(query, confident), thresholds.expansion);
    if (!more.ok()) return more.status();
    for (FaceHit& h : *more) {
      const bool known = std::any_of(hits.begin(), hits.end(),
                                     [&](const FaceHit& k) { return k.image_id == h.image_id; });
      if (known) continue;
      auto vector = lookup.vector_of(h.face_id);
      if (!vector.ok() && vector.status().code() == Status::Code::kNotFound) continue;  // erased
      if (!vector.ok()) return vector.status();
      h.distance = SquaredL2(query, *vector);
      hits.push_back(std::move(h));
    }
    OnePerImage(hits);
  }
  OrderFaceHits(hits, thresholds.search, options);
  return hits;
}

}  // namespace alike::library
