// Copy search and duplicate groups through the library, on real photos and edited copies of them.
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "alike/library.h"
#include "testing/models.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

std::string Copies(const std::string& rel) {
  return std::string(ALIKE_SHARED_DIR) + "/data/copies/" + rel;
}

// Photos of distinct scenes: the library's originals.
std::vector<std::string> Originals() {
  std::vector<std::string> out;
  for (const char* dir :
       {"pdq/pdq/data/reg-test-input/labelme-subset", "imagededup/tests/data/base_images"}) {
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(Copies(dir), ec)) {
      // q0003 is nearly flat (PDQ quality 3): it has no hash to find it by.
      if (f.path().filename() != "q0003.jpg") out.push_back(f.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class CopyLibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    originals_ = Originals();
    if (originals_.size() < 10) GTEST_SKIP() << "shared copy photos absent under " << Copies("");
    const std::string cnn = test::InstalledModel(test::kMobileNetV2);
    if (!fs::exists(cnn)) GTEST_SKIP() << test::NotInstalled(cnn);
    fs::create_directory(dir_.Sub("photos"));
    for (const std::string& f : originals_) {
      fs::copy_file(f, dir_.Sub("photos/") + fs::path(f).filename().string());
    }
    auto lib = Library::Open(dir_.Sub("lib"),
                             {.create_if_missing = true, .embedders = {"cnn", "pdq", "dct64"}});
    ASSERT_TRUE(lib.ok()) << lib.status().ToString();
    lib_ = std::move(*lib);
    Index(dir_.Sub("photos"));
  }

  void Index(const std::string& path) {
    std::vector<std::string> roots = {path};
    auto report = lib_->Index(roots, {}, nullptr);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_EQ(report->failed, 0u);
  }

  // Writes an edited picture as a JPEG outside the library and searches copies of it.
  std::vector<CopyHit> SearchEdit(const std::string& name, const cv::Mat& picture) {
    const std::string path = dir_.Sub(name + ".jpg");
    EXPECT_TRUE(cv::imwrite(path, picture, {cv::IMWRITE_JPEG_QUALITY, 70}));
    auto hits = lib_->SearchCopies(ImageSource::File(path), {});
    EXPECT_TRUE(hits.ok()) << name << ": " << hits.status().ToString();
    return hits.ok() ? *hits : std::vector<CopyHit>{};
  }

  std::string Stored(const std::string& original) const {
    return fs::weakly_canonical(dir_.Sub("photos/") + fs::path(original).filename().string());
  }

  test::TempDir dir_;
  std::vector<std::string> originals_;
  std::unique_ptr<Library> lib_;
};

// A photo a caller decoded itself (RGB, as numpy users hold it) finds its indexed file first, by
// copy search and by likeness.
TEST_F(CopyLibraryTest, DecodedPixelsFindTheirPhotoFirst) {
  const std::string original = originals_[1];
  cv::Mat rgb;
  cv::cvtColor(cv::imread(original), rgb, cv::COLOR_BGR2RGB);
  ASSERT_FALSE(rgb.empty());
  const ImageSource pixels = ImageSource::Pixels(
      {.data = rgb.data, .width = rgb.cols, .height = rgb.rows, .row_bytes = rgb.step[0]});

  auto copies = lib_->SearchCopies(pixels, {});
  ASSERT_TRUE(copies.ok()) << copies.status().ToString();
  ASSERT_FALSE(copies->empty());
  EXPECT_EQ(copies->front().paths.at(0), Stored(original));
  EXPECT_GT(copies->front().confidence, 0.9f);
  EXPECT_FALSE(copies->front().mirrored);

  auto similar = lib_->Search(pixels, {.by = "cnn", .k = 3});
  ASSERT_TRUE(similar.ok()) << similar.status().ToString();
  ASSERT_FALSE(similar->empty());
  EXPECT_EQ(similar->front().paths.at(0), Stored(original));
  EXPECT_GT(similar->front().score, 0.95f);
}

TEST_F(CopyLibraryTest, EditedCopiesFindTheirOriginalWithTheRegion) {
  const std::string original = originals_[0];
  const cv::Mat photo = cv::imread(original);
  ASSERT_FALSE(photo.empty());
  cv::Mat smaller, quarter, mirrored, bordered, turned;
  cv::resize(photo, smaller, {}, 0.5, 0.5, cv::INTER_AREA);
  cv::rotate(photo, quarter, cv::ROTATE_90_COUNTERCLOCKWISE);
  cv::flip(photo, mirrored, 1);
  cv::copyMakeBorder(photo, bordered, 80, 20, 0, 0, cv::BORDER_CONSTANT, cv::Scalar::all(245));
  const cv::Point2f centre(photo.cols / 2.0f, photo.rows / 2.0f);
  cv::warpAffine(photo, turned, cv::getRotationMatrix2D(centre, 8, 1.0), photo.size());
  const cv::Mat crop =
      photo(cv::Rect(photo.cols / 4, photo.rows / 4, photo.cols / 2, photo.rows / 2)).clone();
  const std::pair<const char*, cv::Mat> edits[] = {
      {"half size", smaller}, {"quarter turn", quarter}, {"mirror", mirrored},
      {"border", bordered},   {"8 degrees", turned},     {"50% crop", crop}};
  for (const auto& [name, edited] : edits) {
    const std::vector<CopyHit> hits = SearchEdit(name, edited);
    ASSERT_FALSE(hits.empty()) << name;
    const CopyHit& top = hits[0];
    EXPECT_EQ(top.paths.at(0), Stored(original)) << name;
    EXPECT_GE(top.confidence, 0.5) << name;
    std::printf("%-12s confidence %.3f, pdq %d bits, %d inliers%s\n", name, top.confidence,
                top.hash_distance, top.inliers, top.mirrored ? ", mirrored" : "");
    if (std::string(name) == "border") {
      // The query (the bordered picture) is larger than the hit: its outline lies around it.
      ASSERT_TRUE(top.corners.has_value()) << name;
      EXPECT_NEAR((*top.corners)[0][1], -80, 12);
    }
    if (std::string(name) == "50% crop") {
      ASSERT_TRUE(top.corners.has_value()) << name;
      EXPECT_NEAR((*top.corners)[0][0], photo.cols / 4.0, 12);
      EXPECT_NEAR((*top.corners)[0][1], photo.rows / 4.0, 12);
    }
    if (std::string(name) == "mirror") {
      EXPECT_TRUE(top.mirrored);
    }
  }
}

// Candidates are verified on several threads; the answer must not depend on how many, and must
// keep the weak evidence below min_confidence in the same order.
TEST_F(CopyLibraryTest, VerifyingOnSeveralThreadsGivesTheSameHits) {
  const cv::Mat photo = cv::imread(originals_[2]);
  ASSERT_FALSE(photo.empty());
  cv::Mat turned;
  cv::warpAffine(photo, turned,
                 cv::getRotationMatrix2D({photo.cols / 2.0f, photo.rows / 2.0f}, 5, 0.8),
                 photo.size());
  const std::string path = dir_.Sub("turned.jpg");
  ASSERT_TRUE(cv::imwrite(path, turned, {cv::IMWRITE_JPEG_QUALITY, 60}));
  auto search = [&](unsigned jobs) {
    auto hits =
        lib_->SearchCopies(ImageSource::File(path), {.k = 20, .min_confidence = 0, .jobs = jobs});
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    return hits.ok() ? *hits : std::vector<CopyHit>{};
  };
  const std::vector<CopyHit> one = search(1);
  ASSERT_GE(one.size(), 2u);  // the copy and at least one unrelated candidate
  EXPECT_GE(one[0].confidence, 0.5);
  for (unsigned jobs : {2u, 5u}) {
    const std::vector<CopyHit> many = search(jobs);
    ASSERT_EQ(many.size(), one.size()) << jobs << " threads";
    for (size_t i = 0; i < one.size(); ++i) {
      EXPECT_EQ(many[i].image_id, one[i].image_id) << i;
      EXPECT_EQ(many[i].confidence, one[i].confidence) << i;
      EXPECT_EQ(many[i].inliers, one[i].inliers) << i;
      EXPECT_EQ(many[i].mirrored, one[i].mirrored) << i;
      EXPECT_EQ(many[i].corners, one[i].corners) << i;
    }
  }
}

TEST_F(CopyLibraryTest, UnrelatedAndFlatPicturesHaveNoCopies) {
  const std::string unrelated = Copies("opencv-pairs/aero1.jpg");
  auto hits = lib_->SearchCopies(ImageSource::File(unrelated), {});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_TRUE(hits->empty()) << hits->at(0).paths.at(0) << " at " << hits->at(0).confidence;
  const std::vector<CopyHit> flat =
      SearchEdit("flat", cv::Mat(300, 400, CV_8UC3, cv::Scalar(90, 140, 200)));
  EXPECT_TRUE(flat.empty());
}

TEST_F(CopyLibraryTest, DuplicateGroupsKeepTheLargestAndTheIndexedImageFindsItsCopies) {
  // Two smaller re-encoded copies of one original join the library.
  const std::string original = originals_[1];
  const cv::Mat photo = cv::imread(original);
  fs::create_directory(dir_.Sub("more"));
  for (const double scale : {0.5, 0.75}) {
    cv::Mat smaller;
    cv::resize(photo, smaller, {}, scale, scale, cv::INTER_AREA);
    ASSERT_TRUE(cv::imwrite(dir_.Sub("more/copy-") + std::to_string(int(scale * 100)) + ".jpg",
                            smaller, {cv::IMWRITE_JPEG_QUALITY, 60}));
  }
  Index(dir_.Sub("more"));
  auto groups = lib_->Duplicates({});
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_EQ(groups->size(), 1u);
  const DuplicateGroup& g = (*groups)[0];
  EXPECT_EQ(g.images.size(), 3u);
  auto keeper = lib_->GetImage(g.keeper);
  ASSERT_TRUE(keeper.ok());
  EXPECT_EQ(keeper->paths.at(0), Stored(original));  // the full-size one
  EXPECT_EQ(g.images[0], g.keeper);

  auto hits = lib_->SearchCopies(ImageQuery::Indexed(g.keeper), {});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 2u);
  for (const CopyHit& h : *hits) {
    EXPECT_NE(h.image_id, g.keeper);
    EXPECT_NE(h.paths.at(0).find("copy-"), std::string::npos);
  }
}

}  // namespace
}  // namespace alike
