#include "search/copy_verifier.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/core/persistence.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace alike::search {
namespace {

namespace fs = std::filesystem;

std::string Pairs(const std::string& file) {
  return std::string(ALIKE_SHARED_DIR) + "/data/copies/opencv-pairs/" + file;
}

class CopyVerifierTest : public ::testing::TestWithParam<CopyVerifier::Features> {
 protected:
  void SetUp() override {
    if (!fs::exists(Pairs("graf1.png")))
      GTEST_SKIP() << "shared OpenCV pairs absent: " << Pairs("");
  }

  static cv::Mat Read(const std::string& file) {
    cv::Mat m = cv::imread(Pairs(file), cv::IMREAD_COLOR);
    EXPECT_FALSE(m.empty()) << file;
    return m;
  }

  CopyMatch Match(const cv::Mat& query, const cv::Mat& candidate) const {
    auto q = verifier_.Describe(query);
    auto c = verifier_.Describe(candidate);
    EXPECT_TRUE(q.ok() && c.ok());
    return q.ok() && c.ok() ? verifier_.Verify(*q, *c) : CopyMatch{};
  }

  CopyVerifier verifier_{{.features = GetParam()}};
};

// graf3 is graf1 seen from 40 degrees further round; the pair ships with its true homography.
// Where the estimate puts points of graf1 must agree with where the truth puts them. Whether the
// pair counts as a copy is the coverage's call: it is another photo of the wall, not a copy of
// the picture (ORB: no; SIFT, whose features survive the turn better, yes).
TEST_P(CopyVerifierTest, RecoversGrafHomography) {
  const cv::Mat graf1 = Read("graf1.png"), graf3 = Read("graf3.png");
  cv::FileStorage fs(Pairs("H1to3p.xml"), cv::FileStorage::READ);
  cv::Mat truth;
  fs["H13"] >> truth;
  ASSERT_EQ(truth.size(), cv::Size(3, 3));
  const CopyMatch m = Match(graf1, graf3);
  ASSERT_GE(m.inliers, 12) << m.matches << " matches";
  std::vector<cv::Point2f> grid, by_truth, by_estimate;
  for (int y = 100; y < graf1.rows - 100; y += 100) {
    for (int x = 100; x < graf1.cols - 100; x += 100) grid.emplace_back(x, y);
  }
  cv::perspectiveTransform(grid, by_truth, truth);
  cv::perspectiveTransform(grid, by_estimate, cv::Mat(m.homography));
  double worst = 0;
  for (size_t i = 0; i < grid.size(); ++i) {
    worst = std::max(worst, cv::norm(by_truth[i] - by_estimate[i]));
  }
  std::printf(
      "graf1 -> graf3: %d matches, %d inliers, coverage %.3f, confidence %.3f, worst error %.1f "
      "px\n",
      m.matches, m.inliers, m.coverage, m.confidence, worst);
  EXPECT_LT(worst, 6.0);
}

// box.png is a small box photographed inside a cluttered scene: the region says where it is (a
// photo of the object, not a copy of the picture, so the copy decision is again the coverage's).
TEST_P(CopyVerifierTest, FindsTheBoxInTheSceneAndItsRegion) {
  const cv::Mat box = Read("box.png"), scene = Read("box_in_scene.png");
  const CopyMatch m = Match(box, scene);
  ASSERT_GE(m.inliers, 12) << m.matches << " matches";
  std::printf(
      "box -> box_in_scene: %d inliers, coverage %.3f, confidence %.3f, region %dx%d at (%d, %d)\n",
      m.inliers, m.coverage, m.confidence, m.region.width, m.region.height, m.region.x, m.region.y);
  // The box fills roughly the left-middle part of the 512x384 scene, a fraction of its area.
  EXPECT_GT(m.region.area(), scene.size().area() / 20);
  EXPECT_LT(m.region.area(), scene.size().area() / 2);
  const cv::Point centre = (m.region.tl() + m.region.br()) / 2;
  EXPECT_LT(centre.x, scene.cols * 2 / 3);
}

// Edits global hashes do not survive: a 50% crop, a 12-degree turn, a 90-degree turn, a border.
TEST_P(CopyVerifierTest, SurvivesCropsRotationsAndBorders) {
  const cv::Mat photo = Read("leuvenA.jpg");
  cv::Mat crop = photo(cv::Rect(photo.cols / 4, photo.rows / 4, photo.cols / 2, photo.rows / 2));
  cv::Mat turned, quarter, bordered;
  const cv::Point2f centre(photo.cols / 2.0f, photo.rows / 2.0f);
  cv::warpAffine(photo, turned, cv::getRotationMatrix2D(centre, 12, 1.0), photo.size());
  cv::rotate(photo, quarter, cv::ROTATE_90_CLOCKWISE);
  cv::copyMakeBorder(photo, bordered, 120, 40, 30, 30, cv::BORDER_CONSTANT, cv::Scalar(30, 30, 30));
  const std::pair<const char*, cv::Mat> edits[] = {{"50% crop", crop.clone()},
                                                   {"12 degrees", turned},
                                                   {"90 degrees", quarter},
                                                   {"border", bordered}};
  for (const auto& [name, edited] : edits) {
    const CopyMatch m = Match(photo, edited);
    EXPECT_TRUE(m.is_copy) << name << ": " << m.inliers << " inliers";
    EXPECT_GT(m.confidence, 0.9) << name;
  }
  // The border: the region is the photo inside it.
  const CopyMatch m = Match(photo, bordered);
  EXPECT_NEAR(m.region.x, 30, 4);
  EXPECT_NEAR(m.region.y, 120, 4);
  EXPECT_NEAR(m.region.width, photo.cols, 8);
}

// Two photos of one face agree on a few dozen features under one homography (eyes, nose, mouth
// lie nearly in a plane) but share almost nothing else; an edited copy of either shares most of
// its features. The coverage tells them apart where the inlier count alone did not.
TEST_P(CopyVerifierTest, AnotherPhotoOfTheSameFaceIsNotACopy) {
  const auto face = [](const char* file) {
    return cv::imread(std::string(ALIKE_SHARED_DIR) + "/data/faces/deepface/" + file);
  };
  const cv::Mat one = face("img5.jpg"), other = face("img10.jpg");
  if (one.empty() || other.empty()) GTEST_SKIP() << "shared deepface photos absent";
  const CopyMatch different = Match(one, other);
  EXPECT_FALSE(different.is_copy) << different.inliers << " inliers, coverage "
                                  << different.coverage;
  // A hard copy: a 40% crop, turned 8 degrees, recompressed at JPEG quality 30.
  cv::Mat crop = one(cv::Rect(one.cols / 5, one.rows / 5, one.cols * 3 / 5, one.rows * 2 / 3));
  cv::Mat turned;
  const cv::Point2f centre(crop.cols / 2.0f, crop.rows / 2.0f);
  cv::warpAffine(crop, turned, cv::getRotationMatrix2D(centre, 8, 1.0), crop.size());
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", turned, jpeg, {cv::IMWRITE_JPEG_QUALITY, 30});
  const CopyMatch copy = Match(cv::imdecode(jpeg, cv::IMREAD_COLOR), one);
  EXPECT_TRUE(copy.is_copy) << copy.inliers << " inliers, coverage " << copy.coverage;
  EXPECT_GT(copy.coverage, 4 * different.coverage);
}

// Different scenes, a flat picture, a tiny one, and a mirror image (SIFT is not mirror-invariant:
// callers describe the flipped query for flips) are not copies.
TEST_P(CopyVerifierTest, UnrelatedFlatAndTinyPicturesAreNotCopies) {
  const cv::Mat leuven = Read("leuvenA.jpg");
  for (const auto& [a, b] : {std::pair{"aero1.jpg", "leuvenA.jpg"},
                             {"graf1.png", "box_in_scene.png"},
                             {"basketball1.png", "rubberwhale1.png"}}) {
    const CopyMatch m = Match(Read(a), Read(b));
    EXPECT_FALSE(m.is_copy) << a << " vs " << b << ": " << m.inliers << " inliers";
    EXPECT_EQ(m.confidence, 0) << a << " vs " << b;
  }
  const cv::Mat flat(400, 600, CV_8UC3, cv::Scalar(40, 90, 200));
  EXPECT_FALSE(Match(flat, flat).is_copy);
  const cv::Mat tiny = leuven(cv::Rect(0, 0, 6, 5)).clone();
  EXPECT_FALSE(Match(tiny, leuven).is_copy);
  cv::Mat mirrored;
  cv::flip(leuven, mirrored, 1);
  EXPECT_FALSE(Match(leuven, mirrored).is_copy);
  EXPECT_FALSE(verifier_.Describe(cv::Mat()).ok());
}

INSTANTIATE_TEST_SUITE_P(Detectors, CopyVerifierTest,
                         ::testing::Values(CopyVerifier::Features::kOrb,
                                           CopyVerifier::Features::kSift),
                         [](const auto& info) {
                           return info.param == CopyVerifier::Features::kOrb ? "Orb" : "Sift";
                         });

}  // namespace
}  // namespace alike::search
