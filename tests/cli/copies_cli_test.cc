// `alike search --copies` and `alike dups` end to end, through the real binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "testing/cli.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

const std::string kPhotos =
    std::string(ALIKE_SHARED_DIR) + "/data/copies/imagededup/tests/data/base_images";

TEST(CopiesCliTest, SearchCopiesAndDuplicateGroups) {
  if (!fs::exists(kPhotos)) GTEST_SKIP() << "shared photos absent: " << kPhotos;
  test::TempDir dir;
  fs::create_directory(dir.Sub("photos"));
  for (const auto& f : fs::directory_iterator(kPhotos)) {
    fs::copy_file(f.path(), dir.Sub("photos/") + f.path().filename().string());
  }
  // One original also stored as a half-size, recompressed copy.
  const std::string original = dir.Sub("photos/ukbench09012.jpg");
  cv::Mat half;
  cv::resize(cv::imread(original), half, {}, 0.5, 0.5, cv::INTER_AREA);
  ASSERT_TRUE(cv::imwrite(dir.Sub("photos/repost.jpg"), half, {cv::IMWRITE_JPEG_QUALITY, 50}));

  auto r = test::RunAlike(dir, "init --embedders pdq,dct64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = test::RunAlike(dir, "index -q " + dir.Sub("photos"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A copy space caches every picture's copy features (tens of kilobytes each).
  r = test::RunAlike(dir, "--json info");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(test::JsonLines(r.out).at(0)["copy_feature_bytes"].get<uint64_t>(), 11u * 10000);
  EXPECT_NE(test::RunAlike(dir, "info").out.find("copy features"), std::string::npos);

  // A mirrored, bordered query outside the library finds both the original and the repost.
  cv::Mat query;
  cv::flip(cv::imread(original), query, 1);
  cv::copyMakeBorder(query, query, 40, 40, 0, 0, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  ASSERT_TRUE(cv::imwrite(dir.Sub("query.png"), query));
  r = test::RunAlike(dir, "--json search " + dir.Sub("query.png") + " --copies");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json hits = test::JsonLines(r.out).at(0);
  ASSERT_EQ(hits.size(), 2u) << hits.dump();
  std::set<std::string> found;
  for (const nlohmann::json& h : hits) {
    found.insert(fs::path(h["path"].get<std::string>()).filename().string());
    EXPECT_TRUE(h["mirrored"].get<bool>()) << h.dump();
    EXPECT_GE(h["confidence"].get<double>(), 0.5);
  }
  EXPECT_EQ(found, (std::set<std::string>{"ukbench09012.jpg", "repost.jpg"}));

  r = test::RunAlike(dir, "search " + dir.Sub("query.png") + " --copies");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("mirrored"), std::string::npos) << r.out;

  // dups: one group, the full-size original kept.
  r = test::RunAlike(dir, "--json dups");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json groups = test::JsonLines(r.out).at(0);
  ASSERT_EQ(groups.size(), 1u) << groups.dump();
  ASSERT_EQ(groups[0]["images"].size(), 2u);
  EXPECT_EQ(groups[0]["images"][0]["id"], groups[0]["keeper"]);
  EXPECT_EQ(fs::path(groups[0]["images"][0]["path"].get<std::string>()).filename(),
            "ukbench09012.jpg");
  r = test::RunAlike(dir, "dups");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("keep"), std::string::npos) << r.out;
}

TEST(CopiesCliTest, ClearErrorsWithoutTheSpacesCopiesNeed) {
  if (!fs::exists(kPhotos)) GTEST_SKIP() << "shared photos absent: " << kPhotos;
  test::TempDir dir;
  ASSERT_EQ(test::RunAlike(dir, "init --embedders color").exit_code, 0);
  ASSERT_EQ(test::RunAlike(dir, "index -q " + kPhotos).exit_code, 0);
  auto r = test::RunAlike(dir, "search " + kPhotos + "/ukbench00120.jpg --copies");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--embedders"), std::string::npos) << r.err;
  r = test::RunAlike(dir, "dups");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("pdq"), std::string::npos) << r.err;
  r = test::RunAlike(dir, "search " + kPhotos + "/ukbench00120.jpg --copies --min-confidence 2");
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace alike
