#include "library/face_rule.h"

#include <gtest/gtest.h>

#include <vector>

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

}  // namespace
}  // namespace alike::library
