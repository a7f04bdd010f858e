// `alike eval copies`: the precision and recall arithmetic, and a small run through the real
// binary on shared photos.
#include "cli/eval_copies.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "testing/cli.h"
#include "testing/models.h"
#include "testing/temp_dir.h"

namespace alike::cli {
namespace {

namespace fs = std::filesystem;

TEST(CopyTallyTest, RecallCountsTopHitsPrecisionCountsEveryHit) {
  CopyTally t;
  EXPECT_FALSE(t.recall().has_value());
  EXPECT_FALSE(t.precision().has_value());
  const std::vector<uint64_t> right = {7}, right_then_wrong = {7, 9}, wrong_then_right = {9, 7},
                              none = {};
  t.Add(7, right);             // found, 1 of 1 hits right
  t.Add(7, right_then_wrong);  // found, 1 of 2
  t.Add(7, wrong_then_right);  // the top hit is wrong, 1 of 2
  t.Add(7, none);              // missed
  EXPECT_EQ(t.queries, 4u);
  EXPECT_EQ(t.found, 2u);
  EXPECT_EQ(t.wrong_top, 1u);
  EXPECT_EQ(t.missed(), 1u);
  EXPECT_DOUBLE_EQ(*t.recall(), 0.5);
  EXPECT_DOUBLE_EQ(*t.precision(), 3.0 / 5.0);

  // A photo that is in no library: every hit it gets is false.
  CopyTally outside;
  outside.Add(std::nullopt, right_then_wrong);
  outside.Add(std::nullopt, none);
  EXPECT_EQ(outside.found, 0u);
  EXPECT_EQ(outside.hits, 2u);
  EXPECT_DOUBLE_EQ(*outside.precision(), 0.0);
  t.Merge(outside);
  EXPECT_EQ(t.queries, 6u);
  EXPECT_DOUBLE_EQ(*t.precision(), 3.0 / 7.0);
}

TEST(CopyTallyTest, TargetsNeedRecallAtPrecision) {
  CopyTally t;
  const std::vector<uint64_t> right = {1}, none = {};
  for (int i = 0; i < 98; ++i) t.Add(1, right);
  t.Add(1, none);
  t.Add(1, none);
  EXPECT_TRUE(t.Meets(EditTarget::kMild));  // recall 0.98, precision 1
  t.Add(1, none);                           // recall 98/101 = 0.970
  EXPECT_FALSE(t.Meets(EditTarget::kMild));
  EXPECT_TRUE(t.Meets(EditTarget::kHard));
  const std::vector<uint64_t> stranger = {2};
  t.Add(std::nullopt, stranger);  // precision 98/99 < 0.99
  EXPECT_FALSE(t.Meets(EditTarget::kHard));
  EXPECT_TRUE(t.Meets(EditTarget::kNone));
}

const std::string kShared = ALIKE_SHARED_DIR;

TEST(EvalCopiesCliTest, ReportsEveryFamilyAndFindsResizedAndRecompressedCopies) {
  const std::string photos = kShared + "/data/copies/imagededup/tests/data/base_images";
  const std::string flowers = kShared + "/data/categories/flowers/flowers/daisy";
  for (const std::string& dir : {photos, flowers}) {
    if (!fs::exists(dir)) GTEST_SKIP() << "shared data absent: " << dir;
  }
  const std::string cnn = test::InstalledModel(test::kMobileNetV2);
  if (!fs::exists(cnn)) GTEST_SKIP() << test::NotInstalled(cnn);

  test::TempDir dir;
  const auto r =
      test::RunAlike(dir, "--json eval copies --photos " + photos + " --distractors " + flowers +
                              " --distractor-count 20 --families resize,jpeg,flip --per-family 5 " +
                              "--held-out 2 --seed 3 --no-shared -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = test::JsonLines(r.out).at(0);
  const nlohmann::json& g = j.at("generated");
  EXPECT_EQ(g["seed"], 3);
  EXPECT_EQ(g["held_out"], 2);
  EXPECT_EQ(g["distractors"], 20);
  EXPECT_GT(g["index"]["images_per_second"].get<double>(), 0);
  EXPECT_EQ(g["search"]["queries"], 3 * 5 + 2);
  EXPECT_EQ(g["errors"].size(), 0u) << g["errors"].dump();
  ASSERT_EQ(g["families"].size(), 3u);
  for (const nlohmann::json& f : g["families"]) {
    SCOPED_TRACE(f.dump());
    EXPECT_EQ(f["queries"], 5);
    EXPECT_EQ(f["target"], "mild");
    EXPECT_EQ(f["found"].get<int>() + f["wrong_top"].get<int>() + f["missed"].get<int>(), 5);
    // Resizing, recompression and mirroring are what perceptual hashes and local features are
    // made for: every copy should be found, and nothing else reported.
    EXPECT_GE(f["recall"].get<double>(), 0.99);
    EXPECT_GE(f["precision"].get<double>(), 0.99);
  }
  ASSERT_EQ(g["pooled"].size(), 4u);  // mild, all copies, held-out photos, all queries
  EXPECT_EQ(g["pooled"][0]["name"], "mild");
  EXPECT_EQ(g["pooled"][2]["queries"], 2);
  EXPECT_GT(j["seconds"].get<double>(), 0);
  EXPECT_FALSE(j.contains("shared"));

  // The table names every family and the targets' verdicts.
  const auto table = test::RunAlike(
      dir, "eval copies --photos " + photos + " --families rotate90 --per-family 2 --held-out 1 " +
               "--distractors " + flowers + " --distractor-count 5 --no-shared -j 2");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("rotate90"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("hard families"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("images/s"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("total time"), std::string::npos) << table.out;

  const auto bad = test::RunAlike(dir, "eval copies --photos " + photos + " --families sepia");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown edit family"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace alike::cli
