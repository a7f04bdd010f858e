// Face search's rule for a library of any size: which faces near a query face are hits, and in
// what order.
//
// A face is compared with every face of the library, so a fixed threshold lets through a number
// of strangers that grows with the library (a per-pair false accept rate FAR gives FAR * N
// strangers per query among N faces). The threshold is therefore chosen from a target number of
// strangers per query: FAR(N) = strangers_per_query / N, turned into a distance by the face
// model's calibration table (embed/face_calibration.h), and never above kSamePersonDistance,
// the pair-verification threshold, where small libraries stay. Then hits farther than the best
// one plus a margin are dropped (a stranger rarely comes as close as the person's own photos).
// Then the query is expanded: when the nearest hits are confident (closer than the threshold for
// kConfidentStrangers strangers per query), the query face averaged with up to kExpansionFaces
// of them is searched again, at the threshold for options.expansion_strangers strangers per
// query, and the faces found join the hits. The person's other photos lie nearer that average
// than the query alone (it holds two looks of the face), a lone look-alike of the query does
// not, so recall rises while strangers stay few. Last, hits may be ranked by person (a person
// with several faces near the query before a lone look-alike). Each step can be changed or
// turned off in FaceSearchOptions.
//
// Thread-safety: pure functions.
#ifndef ALIKE_LIBRARY_FACE_RULE_H_
#define ALIKE_LIBRARY_FACE_RULE_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "alike/library.h"
#include "alike/status.h"
#include "embed/face_calibration.h"

namespace alike::library {

// The squared L2 distance within which faces are hits in a library of `library_faces` faces:
// options.threshold when set, else as above, `same_person` (the face model's pair threshold)
// taking kSamePersonDistance's place.
float FaceSearchThreshold(std::span<const embed::FarPoint> calibration, uint64_t library_faces,
                          const FaceSearchOptions& options,
                          float same_person = kSamePersonDistance);

// The threshold under which hits are confident enough to expand the query: the distance for
// kConfidentStrangers strangers per query at this size, never above `threshold` (the search's).
// 0 (no expansion) without a calibration.
float FaceConfidentThreshold(std::span<const embed::FarPoint> calibration, uint64_t library_faces,
                             float threshold);

// The threshold of the expanded query's search: options.expansion_strangers strangers per query
// at this size, never above `threshold`; 0 when expansion is off or there is no calibration.
float FaceExpansionThreshold(std::span<const embed::FarPoint> calibration, uint64_t library_faces,
                             const FaceSearchOptions& options, float threshold);

// How many faces to fetch per query face for `k` images (0: all): a photo can show a person twice
// (a mirror, a poster), and those extra faces must not crowd other images out of the k, nor other
// faces of a person out of its ranking.
size_t FaceCandidates(size_t k);

// Orders and trims the hits of one query face, all within the threshold: one hit per image (its
// nearest face), the margin (counted from the nearest hit that is not a copy of the query
// picture, under 0.01), the ranking by person, then the first options.k (0: all).
void RankFaceHits(std::vector<FaceHit>& hits, float threshold, const FaceSearchOptions& options);

// Where FindFaceHits looks: the faces within `max_distance` of a vector (distances to it, any
// order), and a face's vector by its id.
struct FaceLookup {
  std::function<Result<std::vector<FaceHit>>(std::span<const float> vector, float max_distance)>
      near;
  std::function<Result<std::vector<float>>(uint64_t face_id)> vector_of;
};

// The thresholds FindFaceHits applies (squared L2): `search` as FaceSearchThreshold gives,
// `confident` and `expansion` as above (0: no expansion).
struct FaceThresholds {
  float search = 0, confident = 0, expansion = 0;
};
FaceThresholds FaceSearchThresholds(std::span<const embed::FarPoint> calibration,
                                    uint64_t library_faces, const FaceSearchOptions& options,
                                    float same_person = kSamePersonDistance);

// The whole rule for one query face (unit length, as face vectors are): the hits within the
// search threshold, one per image, the margin, the expansion (its hits keep their distance to
// the query face), the ranking by person and the first options.k. `options.margin` is in the
// face model's units.
Result<std::vector<FaceHit>> FindFaceHits(std::span<const float> query,
                                          const FaceThresholds& thresholds,
                                          const FaceSearchOptions& options,
                                          const FaceLookup& lookup);

// The expanded query: the mean of `query` and `faces`, scaled to unit length.
std::vector<float> ExpandedQuery(std::span<const float> query,
                                 std::span<const std::vector<float>> faces);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_FACE_RULE_H_
