#include "cli/eval_identify.h"

#include <gtest/gtest.h>

#include <vector>

namespace alike::cli {
namespace {

TEST(EvalIdentifyTest, NamesPeopleByFolder) {
  EXPECT_EQ(LfwIdentity("/lfw/images/Ann_Smith/Ann_Smith_0002.jpg"), "Ann_Smith");
}

TEST(EvalIdentifyTest, HoldsOutOnePictureOfEachPersonWithSeveral) {
  const int identity[] = {0, 0, 0, 1, 2, 2};
  const size_t pictures[] = {0, 1, 2, 3, 4, 5};
  const IdentifySplit split = SplitForIdentification(pictures, identity);
  EXPECT_EQ(split.queries, (std::vector<size_t>{0, 4}));
  EXPECT_EQ(split.gallery, (std::vector<size_t>{1, 2, 3, 5}));  // person 1: a distractor
}

TEST(EvalIdentifyTest, CountsHitsRecallRankOneAndStrangers) {
  // One dimension: person 0 near 0, person 1 near 1, a look-alike of person 0 at 0.3.
  const std::vector<std::vector<float>> vectors = {{0.0f}, {0.1f}, {0.2f}, {1.0f}, {1.1f}, {0.3f}};
  const int identity[] = {0, 0, 0, 1, 1, 2};
  const IdentifySplit split{.queries = {0, 3}, .gallery = {1, 2, 4, 5}};
  const FaceSearchOptions options{.k = 0, .threshold = 0.1f, .margin = 0, .by_person = false};
  const IdentifyResult r = EvaluateIdentification(vectors, identity, split, {}, {}, options);
  // Query 0 finds 1 (0.01), 2 (0.04) and the look-alike 5 (0.09); query 3 finds 4 (0.01).
  EXPECT_EQ(r.queries, 2u);
  EXPECT_EQ(r.gallery, 4u);
  EXPECT_FLOAT_EQ(r.threshold, 0.1f);
  EXPECT_DOUBLE_EQ(r.hit_precision, 3.0 / 4);
  EXPECT_DOUBLE_EQ(r.gallery_recall, 1.0);
  EXPECT_DOUBLE_EQ(r.rank1, 1.0);
  EXPECT_DOUBLE_EQ(r.no_hit, 0.0);
  EXPECT_DOUBLE_EQ(r.strangers_per_query, 0.5);
  // A margin of 0.05 over the best hit (0.01) drops the look-alike.
  const IdentifyResult m = EvaluateIdentification(vectors, identity, split, {}, {},
                                                  {.k = 0, .threshold = 0.1f, .margin = 0.05f});
  EXPECT_DOUBLE_EQ(m.hit_precision, 1.0);
  EXPECT_DOUBLE_EQ(m.strangers_per_query, 0.0);
}

}  // namespace
}  // namespace alike::cli
