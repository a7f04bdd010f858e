// Face search's rule for a library of any size: which faces near a query face are hits, and in
// what order.
//
// A face is compared with every face of the library, so a fixed threshold lets through a number
// of strangers that grows with the library (a per-pair false accept rate FAR gives FAR * N
// strangers per query among N faces). The threshold is therefore chosen from a target number of
// strangers per query: FAR(N) = strangers_per_query / N, turned into a distance by the face
// model's calibration table (embed/face_calibration.h), and never above kSamePersonDistance,
// the pair-verification threshold, where small libraries stay. Then hits farther than the best
// one plus a margin are dropped (a stranger rarely comes as close as the person's own photos),
// and hits are ranked by person (a person with several faces near the query before a lone
// look-alike). Each of the three can be changed or turned off in FaceSearchOptions.
//
// Thread-safety: pure functions.
#ifndef ALIKE_LIBRARY_FACE_RULE_H_
#define ALIKE_LIBRARY_FACE_RULE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "alike/library.h"
#include "embed/face_calibration.h"

namespace alike::library {

// The squared L2 distance within which faces are hits in a library of `library_faces` faces:
// options.threshold when set, else as above, `same_person` (the face model's pair threshold)
// taking kSamePersonDistance's place.
float FaceSearchThreshold(std::span<const embed::FarPoint> calibration, uint64_t library_faces,
                          const FaceSearchOptions& options,
                          float same_person = kSamePersonDistance);

// How many faces to fetch per query face for `k` images (0: all): a photo can show a person twice
// (a mirror, a poster), and those extra faces must not crowd other images out of the k, nor other
// faces of a person out of its ranking.
size_t FaceCandidates(size_t k);

// Orders and trims the hits of one query face, all within the threshold: one hit per image (its
// nearest face), the margin (counted from the nearest hit that is not a copy of the query
// picture, under 0.01), the ranking by person, then the first options.k (0: all).
void RankFaceHits(std::vector<FaceHit>& hits, float threshold, const FaceSearchOptions& options);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_FACE_RULE_H_
