#include "library/face_rule.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "library/faces.h"

namespace alike::library {
namespace {

// A made-up calibration: 0.20 at FAR 1e-2 (above pair verification's 0.17) to 0.08 at 1e-6.
constexpr embed::FarPoint kTable[] = {
    {1e-2, 0.20f}, {1e-3, 0.14f}, {1e-4, 0.12f}, {1e-5, 0.10f}, {1e-6, 0.08f}};

FaceHit Hit(uint64_t image, float distance, std::optional<uint64_t> person = std::nullopt) {
  return {.image_id = image, .face_id = image << 12, .distance = distance, .person = person};
}

std::vector<uint64_t> Images(const std::vector<FaceHit>& hits) {
  std::vector<uint64_t> out;
  for (const FaceHit& h : hits) out.push_back(h.image_id);
  return out;
}

TEST(FaceRuleTest, ThresholdTightensAsTheLibraryGrows) {
  const FaceSearchOptions options{.strangers_per_query = 0.1};
  // FAR(N) = 0.1 / N: 1e-3 at 100 faces, 1e-4 at 1,000, 1e-6 at 100,000.
  EXPECT_FLOAT_EQ(FaceSearchThreshold(kTable, 100, options), 0.14f);
  EXPECT_FLOAT_EQ(FaceSearchThreshold(kTable, 1000, options), 0.12f);
  EXPECT_FLOAT_EQ(FaceSearchThreshold(kTable, 100000, options), 0.08f);
  float previous = 1;
  for (uint64_t n : {1ull, 10ull, 300ull, 3000ull, 30000ull, 1000000ull, 100000000ull}) {
    const float t = FaceSearchThreshold(kTable, n, options);
    EXPECT_LE(t, kSamePersonDistance) << n;  // small libraries stay at pair verification's
    EXPECT_LE(t, previous) << n;
    EXPECT_GE(t, 0) << n;
    previous = t;
  }
  EXPECT_LT(FaceSearchThreshold(kTable, 1000000, options), 0.08f);  // extrapolated
  // More strangers allowed: a looser threshold at the same size.
  EXPECT_GT(FaceSearchThreshold(kTable, 1000, {.strangers_per_query = 1}),
            FaceSearchThreshold(kTable, 1000, options));
  // A fixed threshold is kept whatever the size.
  EXPECT_FLOAT_EQ(FaceSearchThreshold(kTable, 1000000, {.threshold = 0.15f}), 0.15f);
  // Without a calibration: pair verification's threshold.
  EXPECT_FLOAT_EQ(FaceSearchThreshold({}, 1000000, options), kSamePersonDistance);
}

TEST(FaceRuleTest, MarginDropsHitsFarBehindTheBest) {
  std::vector<FaceHit> hits = {Hit(3, 0.11f), Hit(1, 0.05f), Hit(2, 0.10f), Hit(4, 0.12f)};
  std::vector<FaceHit> kept = hits;
  RankFaceHits(kept, 0.13f, {.k = 0, .margin = 0.06f, .by_person = false});
  EXPECT_EQ(Images(kept), (std::vector<uint64_t>{1, 2, 3}));
  kept = hits;
  RankFaceHits(kept, 0.13f, {.k = 0, .margin = 0, .by_person = false});  // off
  EXPECT_EQ(Images(kept), (std::vector<uint64_t>{1, 2, 3, 4}));
  // The query picture's own copy (a library picture as the query) does not set the margin.
  kept = hits;
  kept.push_back(Hit(7, 0.001f));
  RankFaceHits(kept, 0.13f, {.k = 0, .margin = 0.06f, .by_person = false});
  EXPECT_EQ(Images(kept), (std::vector<uint64_t>{7, 1, 2, 3}));
  kept = hits;
  RankFaceHits(kept, 0.13f, {.k = 2, .margin = 0, .by_person = false});
  EXPECT_EQ(Images(kept), (std::vector<uint64_t>{1, 2}));
}

TEST(FaceRuleTest, OneHitPerImageItsNearestFace) {
  std::vector<FaceHit> hits = {Hit(1, 0.09f), Hit(2, 0.07f), Hit(1, 0.04f)};
  RankFaceHits(hits, 0.13f, {.k = 0, .margin = 0, .by_person = false});
  ASSERT_EQ(Images(hits), (std::vector<uint64_t>{1, 2}));
  EXPECT_FLOAT_EQ(hits[0].distance, 0.04f);
}

TEST(FaceRuleTest, APersonWithSeveralNearFacesOutranksALoneLookAlike) {
  // A look-alike (person 9, one face) nearest; person 5 holds three faces a little farther.
  const std::vector<FaceHit> hits = {Hit(1, 0.08f, 9), Hit(2, 0.09f, 5), Hit(3, 0.10f, 5),
                                     Hit(4, 0.11f, 5), Hit(6, 0.12f)};
  std::vector<FaceHit> ranked = hits;
  RankFaceHits(ranked, 0.13f, {.k = 0, .margin = 0, .by_person = true});
  EXPECT_EQ(Images(ranked), (std::vector<uint64_t>{2, 3, 4, 1, 6}));
  ranked = hits;
  RankFaceHits(ranked, 0.13f, {.k = 0, .margin = 0, .by_person = false});
  EXPECT_EQ(Images(ranked), (std::vector<uint64_t>{1, 2, 3, 4, 6}));
}

// A unit vector at `angle` radians in the plane of the first two axes (of four): the squared L2
// distance between two of them is 2 - 2 cos(difference).
std::vector<float> Face(double angle) {
  return {float(std::cos(angle)), float(std::sin(angle)), 0, 0};
}

// The faces of a made-up library, searched by brute force as FindFaceHits asks.
struct Gallery {
  std::map<uint64_t, std::vector<float>> faces;  // image id -> its one face
  FaceLookup Lookup() const {
    return {.near = [this](std::span<const float> vector,
                           float max_distance) -> Result<std::vector<FaceHit>> {
              std::vector<FaceHit> near;
              for (const auto& [image, face] : faces) {
                const float d = SquaredL2(vector, face);
                if (d <= max_distance) near.push_back(Hit(image, d));
              }
              return near;
            },
            .vector_of = [this](uint64_t face_id) -> Result<std::vector<float>> {
              auto it = faces.find(face_id >> 12);
              if (it == faces.end()) return Status::NotFound("no such face");
              return it->second;
            }};
  }
};

// Squared L2 between unit vectors `angle` apart.
float Chord(double angle) { return float(2 - 2 * std::cos(angle)); }

// Angles (radians) of the thresholds below: search 0.30, confident 0.25, expansion 0.29.
const FaceThresholds kThresholds{
    .search = Chord(0.30), .confident = Chord(0.25), .expansion = Chord(0.29)};
const FaceSearchOptions kAllHits{.k = 0, .margin = 0, .by_person = false};

TEST(FaceRuleTest, ExpansionPullsInThePersonsFaceNotALoneLookAlike) {
  // The query at angle 0; the person's confident photo (1) at +0.20 and another photo of the
  // person (2) at +0.38, beyond the search threshold; a lone look-alike (3) as far on the other
  // side. The expanded query (angle 0.10) is 0.28 from photo 2, within the expansion threshold,
  // and 0.48 from the look-alike.
  const Gallery gallery{.faces = {{1, Face(0.20)}, {2, Face(0.38)}, {3, Face(-0.38)}}};
  auto hits = FindFaceHits(Face(0), kThresholds, kAllHits, gallery.Lookup());
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(Images(*hits), (std::vector<uint64_t>{1, 2}));
  EXPECT_NEAR((*hits)[1].distance, Chord(0.38), 1e-5);  // the distance to the query face
  // Without expansion only the confident photo is a hit.
  hits = FindFaceHits(Face(0), {.search = kThresholds.search}, kAllHits, gallery.Lookup());
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(Images(*hits), (std::vector<uint64_t>{1}));
  // Asked for one image: the nearest.
  hits = FindFaceHits(Face(0), kThresholds, {.k = 1, .margin = 0, .by_person = false},
                      gallery.Lookup());
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(Images(*hits), (std::vector<uint64_t>{1}));
}

TEST(FaceRuleTest, OnlyConfidentHitsExpandTheQuery) {
  // The nearest hit (1, angle 0.27) is within the search threshold but not confident: photo 2
  // (0.40), 0.265 from the query averaged with it, stays out.
  const Gallery gallery{.faces = {{1, Face(0.27)}, {2, Face(0.40)}}};
  auto hits = FindFaceHits(Face(0), kThresholds, kAllHits, gallery.Lookup());
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(Images(*hits), (std::vector<uint64_t>{1}));
}

TEST(FaceRuleTest, ExpandedQueryIsTheUnitMean) {
  const std::vector<std::vector<float>> faces = {Face(0.4)};
  const std::vector<float> q = ExpandedQuery(Face(0), faces);
  const std::vector<float> want = Face(0.2);
  ASSERT_EQ(q.size(), want.size());
  for (size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(q[i], want[i], 1e-6) << i;
}

TEST(FaceRuleTest, ExpansionThresholdFollowsTheCalibration) {
  // 0.1 strangers per query among 1,000 faces: FAR 1e-4, 0.12 on the table; never above the
  // search threshold; off at 0 or without a calibration.
  EXPECT_FLOAT_EQ(FaceExpansionThreshold(kTable, 1000, {.expansion_strangers = 0.1}, 0.13f), 0.12f);
  EXPECT_FLOAT_EQ(FaceExpansionThreshold(kTable, 1000, {.expansion_strangers = 10}, 0.13f), 0.13f);
  EXPECT_EQ(FaceExpansionThreshold(kTable, 1000, {.expansion_strangers = 0}, 0.13f), 0);
  EXPECT_EQ(FaceExpansionThreshold({}, 1000, {.expansion_strangers = 0.1}, 0.13f), 0);
  const FaceThresholds t = FaceSearchThresholds(kTable, 1000, {});
  EXPECT_LE(t.expansion, t.search);
  EXPECT_LE(t.confident, t.search);
  EXPECT_GT(t.expansion, 0);
}

TEST(FaceRuleTest, ExpansionStrangersMustBeZeroOrAbove) {
  EXPECT_TRUE(CheckFaceSearchOptions({}).ok());
  EXPECT_TRUE(CheckFaceSearchOptions({.expansion_strangers = 0}).ok());
  const Status negative = CheckFaceSearchOptions({.expansion_strangers = -1});
  EXPECT_EQ(negative.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(negative.ToString().find("expansion"), std::string::npos) << negative.ToString();
  EXPECT_FALSE(CheckFaceSearchOptions({.expansion_strangers = std::nan("")}).ok());
}

}  // namespace
}  // namespace alike::library
