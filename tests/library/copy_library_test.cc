// Copy search and duplicate groups through the library, on real photos and edited copies of them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "alike/library.h"
#include "library/feature_store.h"
#include "search/copy_verifier.h"
#include "testing/models.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;
using library::FeatureStore;

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

  // Two smaller re-encoded copies of `original` (halved, three quarters) join the library.
  void IndexSmallerCopiesOf(const std::string& original) {
    const cv::Mat photo = cv::imread(original);
    ASSERT_FALSE(photo.empty()) << original;
    fs::create_directory(dir_.Sub("more"));
    for (const double scale : {0.5, 0.75}) {
      cv::Mat smaller;
      cv::resize(photo, smaller, {}, scale, scale, cv::INTER_AREA);
      ASSERT_TRUE(cv::imwrite(dir_.Sub("more/copy-") + std::to_string(int(scale * 100)) + ".jpg",
                              smaller, {cv::IMWRITE_JPEG_QUALITY, 60}));
    }
    Index(dir_.Sub("more"));
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
    EXPECT_TRUE(top.verified) << name;
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

// A photo pasted at under half its size into a busy picture (graffiti, at eval copies' 1024
// pixels): the whole query's keypoints are mostly the host's, so the second look, matching the
// half window that holds the paste, finds it; the host alone still finds nothing.
TEST_F(CopyLibraryTest, APhotoPastedAtHalfSizeIntoAnotherIsFoundByTheSecondLook) {
  cv::Mat host;
  cv::resize(cv::imread(std::string(ALIKE_SHARED_DIR) + "/data/faces/deepface/couple.jpg"), host,
             cv::Size(1024, 713), 0, 0, cv::INTER_CUBIC);
  size_t found = 0, tried = 0;
  for (const std::string& original : originals_) {
    if (original.find("ukbench") == std::string::npos || tried == 4) continue;
    const cv::Mat photo = cv::imread(original);
    const double scale =
        0.45 * std::min(double(host.cols) / photo.cols, double(host.rows) / photo.rows);
    cv::Mat pasted, query = host.clone();
    cv::resize(photo, pasted, cv::Size(), scale, scale, cv::INTER_AREA);
    // Off the windows' grid: a third of the way across, near the bottom.
    const cv::Point at(host.cols / 3, host.rows - pasted.rows - host.rows / 20);
    pasted.copyTo(query(cv::Rect(at, pasted.size())));
    const std::vector<CopyHit> hits = SearchEdit("pasted", query);
    ++tried;
    if (!hits.empty() && hits.front().paths.at(0) == Stored(original)) ++found;
    for (const CopyHit& h : hits) {
      EXPECT_EQ(h.paths.at(0), Stored(original)) << original << ": a false hit";
    }
  }
  EXPECT_EQ(found, tried);
  EXPECT_TRUE(SearchEdit("host", host).empty());
}

// Thumbnails under 100 pixels a side: ORB finds next to nothing in them as they are (none of these
// four verified), so they are enlarged before they are described; then half of them verify (the
// others are found by their PDQ hash alone).
TEST_F(CopyLibraryTest, ThumbnailsAreVerifiedAgainstTheirOriginals) {
  size_t verified = 0, tried = 0;
  for (const std::string& original : originals_) {
    if (original.find("ukbench") == std::string::npos || tried == 4) continue;
    const cv::Mat photo = cv::imread(original);
    cv::Mat thumbnail;
    const double scale = 80.0 / std::max(photo.cols, photo.rows);
    cv::resize(photo, thumbnail, cv::Size(), scale, scale, cv::INTER_AREA);
    const std::vector<CopyHit> hits = SearchEdit("thumbnail", thumbnail);
    ++tried;
    if (!hits.empty() && hits.front().paths.at(0) == Stored(original) && hits.front().inliers > 0) {
      ++verified;
    }
    for (const CopyHit& h : hits) {
      EXPECT_EQ(h.paths.at(0), Stored(original)) << original << ": a false hit";
    }
  }
  EXPECT_GE(verified, tried / 2);
}

TEST_F(CopyLibraryTest, DuplicateGroupsKeepTheLargestAndTheIndexedImageFindsItsCopies) {
  // Two smaller re-encoded copies of one original join the library.
  const std::string original = originals_[1];
  IndexSmallerCopiesOf(original);
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

// Verification stops once the caller's k candidates are copies beyond doubt, and not before: a
// photo with two more copies in the library gets, for k = 1, 2 and 3, the k most confident of
// the hits an exhaustive search (k = 20) gives, each verified and scored alike. Takes about 4-8 s
// (Release), most of it the fixture's indexing.
TEST_F(CopyLibraryTest, StoppingEarlyStillReturnsEveryCopyTheCallerAskedFor) {
  IndexSmallerCopiesOf(originals_[1]);
  auto all = lib_->SearchCopies(ImageSource::File(originals_[1]), {.k = 20});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  std::map<uint64_t, float> confidence;
  for (const CopyHit& h : *all) {
    EXPECT_TRUE(h.verified);
    confidence[h.image_id] = h.confidence;
  }
  for (const size_t k : {1, 2, 3}) {
    auto hits = lib_->SearchCopies(ImageSource::File(originals_[1]), {.k = k});
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(hits->size(), k);
    for (size_t i = 0; i < k; ++i) {
      const CopyHit& h = (*hits)[i];
      EXPECT_TRUE(h.verified);
      ASSERT_TRUE(confidence.count(h.image_id)) << k << ": " << h.paths.at(0);
      EXPECT_EQ(h.confidence, confidence[h.image_id]);
      EXPECT_EQ(h.confidence, (*all)[i].confidence) << "k = " << k << ", hit " << i;
    }
  }
}

// The edits of one photo that CachedFeaturesDecideAsTheFilesDo searches: each finds it, some
// weakly, and each draws unrelated candidates that verification must turn down the same way.
std::vector<std::pair<std::string, cv::Mat>> EditsOf(const cv::Mat& photo) {
  cv::Mat smaller, mirrored, turned, bordered;
  cv::resize(photo, smaller, {}, 0.4, 0.4, cv::INTER_AREA);
  cv::flip(photo, mirrored, 1);
  cv::warpAffine(photo, turned,
                 cv::getRotationMatrix2D({photo.cols / 2.0f, photo.rows / 2.0f}, 12, 0.9),
                 photo.size());
  cv::copyMakeBorder(photo, bordered, 40, 40, 60, 0, cv::BORDER_CONSTANT, cv::Scalar(20, 200, 90));
  return {{"smaller", smaller},
          {"mirrored", mirrored},
          {"turned", turned},
          {"bordered", bordered},
          {"crop", photo(cv::Rect(0, 0, photo.cols * 2 / 3, photo.rows / 2)).clone()}};
}

// Verification from the features cached at index time decides exactly as from the files: every
// hit, down to the weak ones, with the same confidence, inliers, coverage, mirroring and region.
// And it does not read the files: with the photos gone it still verifies.
TEST_F(CopyLibraryTest, CachedFeaturesDecideAsTheFilesDo) {
  auto info = lib_->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_GT(info->copy_feature_bytes, info->images * 10000) << "no copy features were cached";
  std::vector<std::string> queries;
  for (const size_t i : {size_t{3}, originals_.size() - 1}) {
    const cv::Mat photo = cv::imread(originals_[i]);
    ASSERT_FALSE(photo.empty());
    for (const auto& [name, edited] : EditsOf(photo)) {
      queries.push_back(dir_.Sub(std::to_string(i) + "-" + name + ".jpg"));
      ASSERT_TRUE(cv::imwrite(queries.back(), edited, {cv::IMWRITE_JPEG_QUALITY, 75}));
    }
  }
  auto search_all = [&] {
    std::vector<std::vector<CopyHit>> out;
    for (const std::string& q : queries) {
      auto hits = lib_->SearchCopies(ImageSource::File(q), {.k = 20, .min_confidence = 0});
      EXPECT_TRUE(hits.ok()) << q << ": " << hits.status().ToString();
      out.push_back(hits.ok() ? *hits : std::vector<CopyHit>{});
    }
    return out;
  };
  const auto cached = search_all();
  // Without the store (a library indexed before it existed), candidates are read from their files.
  lib_.reset();
  fs::rename(dir_.Sub("lib/copy_features.log"), dir_.Sub("features.saved"));
  auto reopened = Library::Open(dir_.Sub("lib"), {});
  ASSERT_TRUE(reopened.ok());
  lib_ = std::move(*reopened);
  const auto from_files = search_all();
  size_t verified = 0, copies = 0;
  for (size_t q = 0; q < queries.size(); ++q) {
    SCOPED_TRACE(queries[q]);
    ASSERT_EQ(cached[q].size(), from_files[q].size());
    for (size_t i = 0; i < cached[q].size(); ++i) {
      const CopyHit &a = cached[q][i], &b = from_files[q][i];
      EXPECT_EQ(a.image_id, b.image_id) << i;
      EXPECT_EQ(a.confidence, b.confidence) << i;
      EXPECT_EQ(a.inliers, b.inliers) << i;
      EXPECT_EQ(a.coverage, b.coverage) << i;
      EXPECT_EQ(a.mirrored, b.mirrored) << i;
      EXPECT_EQ(a.corners, b.corners) << i;
      verified += a.inliers > 0;
      copies += a.confidence >= 0.5;
    }
  }
  EXPECT_GE(copies, queries.size() * 4 / 5);
  EXPECT_GT(verified, copies);  // weak evidence was compared too
  std::printf("%zu queries, %zu verified hits, %zu copies: the same from cache and files\n",
              queries.size(), verified, copies);

  // With the cache back and the photos gone, verification still finds the copies.
  lib_.reset();
  fs::rename(dir_.Sub("features.saved"), dir_.Sub("lib/copy_features.log"));
  fs::rename(dir_.Sub("photos"), dir_.Sub("photos.gone"));
  reopened = Library::Open(dir_.Sub("lib"), {});
  ASSERT_TRUE(reopened.ok());
  lib_ = std::move(*reopened);
  const auto without_files = search_all();
  for (size_t q = 0; q < queries.size(); ++q) {
    ASSERT_EQ(without_files[q].size(), cached[q].size()) << queries[q];
    for (size_t i = 0; i < cached[q].size(); ++i) {
      EXPECT_EQ(without_files[q][i].inliers, cached[q][i].inliers) << queries[q] << " " << i;
      EXPECT_TRUE(without_files[q][i].verified) << queries[q] << " " << i;
    }
  }
}

// A library indexed before copy features existed gets them from its next index run, which embeds
// nothing again, as does one whose store was torn; snapshots copy the store; removing a picture
// takes its features off the disk when the removal returns.
TEST_F(CopyLibraryTest, IndexAddsMissingFeaturesAndRemovalErasesThem) {
  const std::string store = dir_.Sub("lib/copy_features.log");
  const uint64_t full = fs::file_size(store);
  lib_.reset();
  fs::remove(store);
  auto reopened = Library::Open(dir_.Sub("lib"), {});
  ASSERT_TRUE(reopened.ok());
  lib_ = std::move(*reopened);
  auto before = lib_->Info();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->copy_feature_bytes, 0u);
  std::vector<std::string> roots = {dir_.Sub("photos")};
  auto report = lib_->Index(roots, {}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->indexed, 0u);  // no vectors made again
  EXPECT_EQ(report->failed, 0u);
  auto after = lib_->Info();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->copy_feature_bytes, full);
  EXPECT_EQ(after->copy_feature_bytes, fs::file_size(store));
  // Nothing more to do the next time.
  report = lib_->Index(roots, {}, nullptr);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(fs::file_size(store), full);

  // A torn store is reported, and what it lost is described again.
  lib_.reset();
  fs::resize_file(store, full - 1000);
  reopened = Library::Open(dir_.Sub("lib"), {});
  ASSERT_TRUE(reopened.ok());
  lib_ = std::move(*reopened);
  std::vector<std::string> notes;
  report = lib_->Index(roots, {}, [&](const IndexEvent* e, const IndexProgress&) {
    if (e && e->kind == IndexEvent::Kind::kNote) notes.push_back(e->message);
  });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->indexed, 0u);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("torn or corrupt bytes"), std::string::npos) << notes[0];
  EXPECT_EQ(fs::file_size(store), full);

  // Snapshots hold the store.
  ASSERT_TRUE(lib_->Snapshot(dir_.Sub("snapshot")).ok());
  EXPECT_EQ(fs::file_size(dir_.Sub("snapshot/copy_features.log")), full);

  // The removed photo's descriptors are in the file, then gone from it.
  const std::string victim = Stored(originals_[1]);
  auto id = lib_->FindPath(victim);
  ASSERT_TRUE(id.ok() && *id);
  std::string descriptors;
  {
    auto features = FeatureStore::Open(store, search::CopyVerifier().Version());
    ASSERT_TRUE(features.ok());
    auto got = (*features)->Get(**id);
    ASSERT_TRUE(got.ok() && *got && (*got)->features.descriptors.rows > 2);
    descriptors.assign(reinterpret_cast<const char*>((*got)->features.descriptors.data), 96);
  }
  auto holds = [&] {
    std::ifstream in(store, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {}).find(descriptors) !=
           std::string::npos;
  };
  EXPECT_TRUE(holds());
  const std::vector<std::string> doomed = {victim};
  auto removed = lib_->Remove(doomed);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1u);
  EXPECT_FALSE(holds());
  EXPECT_LT(fs::file_size(store), full);
}

}  // namespace
}  // namespace alike
