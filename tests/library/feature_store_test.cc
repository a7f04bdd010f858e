// The copy feature store: what is put comes back exactly, across reopening and compaction; erased
// features leave the file at compaction; a torn, corrupt or foreign file is detected, reported and
// replaced, never misread; a failing write never loses what was acknowledged.
#include "library/feature_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "testing/fault_file_system.h"
#include "testing/temp_dir.h"
#include "util/file.h"

namespace alike::library {
namespace {

namespace fs = std::filesystem;

constexpr char kVersion[] = "orb 640 1500";

// Keypoints and ORB-like descriptors that no two seeds share.
PictureFeatures Features(uint32_t seed, int keypoints) {
  std::mt19937 rng(seed);
  PictureFeatures p{.original_width = 4000 + int(seed), .original_height = 3000};
  p.features.size = cv::Size(768, 512 + int(seed % 7));
  for (int i = 0; i < keypoints; ++i) {
    p.features.points.emplace_back(float(rng() % 76800) / 100, float(rng() % 51200) / 100);
  }
  p.features.descriptors.create(keypoints, 32, CV_8U);
  for (int i = 0; i < keypoints * 32; ++i) p.features.descriptors.data[i] = uint8_t(rng());
  return p;
}

void ExpectSame(const PictureFeatures& want, const std::optional<PictureFeatures>& got,
                const std::string& what) {
  ASSERT_TRUE(got.has_value()) << what;
  EXPECT_EQ(got->original_width, want.original_width) << what;
  EXPECT_EQ(got->original_height, want.original_height) << what;
  EXPECT_EQ(got->features.size, want.features.size) << what;
  EXPECT_EQ(got->features.points, want.features.points) << what;
  ASSERT_EQ(got->features.descriptors.rows, want.features.descriptors.rows) << what;
  if (want.features.descriptors.rows > 0) {
    EXPECT_EQ(got->features.descriptors.type(), CV_8U) << what;
    EXPECT_EQ(cv::norm(got->features.descriptors, want.features.descriptors, cv::NORM_HAMMING), 0)
        << what;
  }
}

std::optional<PictureFeatures> Get(const FeatureStore& store, uint64_t id) {
  auto got = store.Get(id);
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  return got.ok() ? *got : std::nullopt;
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Whether the file still holds a picture's descriptors (its first rows, byte for byte).
bool FileHolds(const std::string& path, const PictureFeatures& p) {
  const cv::Mat& d = p.features.descriptors;
  return FileBytes(path).find(std::string(reinterpret_cast<const char*>(d.data), 64)) !=
         std::string::npos;
}

class FeatureStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<FeatureStore> Open(const std::string& version = kVersion) {
    auto store = FeatureStore::Open(path_, version);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Puts pictures 1..n, picture i with 100 + i keypoints.
  void PutPictures(FeatureStore& store, int n) {
    std::vector<std::pair<uint64_t, PictureFeatures>> batch;
    for (int i = 1; i <= n; ++i) batch.emplace_back(i, Features(i, 100 + i));
    ASSERT_TRUE(store.Put(batch).ok());
  }

  test::TempDir dir_;
  const std::string path_ = dir_.Sub(kFeatureStoreFile);
};

TEST_F(FeatureStoreTest, PutFeaturesComeBackExactlyAfterReopening) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->repair_note().empty());
    PutPictures(*store, 3);
    // A flat picture has no keypoints: it is stored, so that it is not described again.
    std::vector<std::pair<uint64_t, PictureFeatures>> flat = {{9, Features(9, 0)}};
    ASSERT_TRUE(store->Put(flat).ok());
    for (uint64_t i = 1; i <= 3; ++i) ExpectSame(Features(i, 100 + i), Get(*store, i), "put");
    EXPECT_FALSE(Get(*store, 4).has_value());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->repair_note().empty()) << store->repair_note();
  EXPECT_EQ(store->pictures(), 4u);
  for (uint64_t i = 1; i <= 3; ++i) ExpectSame(Features(i, 100 + i), Get(*store, i), "reopened");
  ExpectSame(Features(9, 0), Get(*store, 9), "flat");
  EXPECT_TRUE(store->Contains(9));
  EXPECT_FALSE(store->Contains(4));
  EXPECT_EQ(store->file_bytes(), fs::file_size(path_));
}

TEST_F(FeatureStoreTest, ErasedFeaturesLeaveTheFileAtCompaction) {
  auto store = Open();
  ASSERT_TRUE(store);
  PutPictures(*store, 4);
  std::vector<std::pair<uint64_t, PictureFeatures>> replaced = {{1, Features(11, 50)}};
  ASSERT_TRUE(store->Put(replaced).ok());
  const uint64_t erased[] = {2, 7};  // 7 was never there
  ASSERT_TRUE(store->Erase(erased).ok());
  EXPECT_FALSE(store->Contains(2));
  EXPECT_GT(store->dead_bytes(), 0u);
  // Forgotten at once, but on disk until compaction.
  EXPECT_TRUE(FileHolds(path_, Features(2, 102)));
  EXPECT_TRUE(FileHolds(path_, Features(1, 101)));
  const uint64_t before = fs::file_size(path_);
  ASSERT_TRUE(store->Compact().ok());
  EXPECT_EQ(store->dead_bytes(), 0u);
  EXPECT_LT(fs::file_size(path_), before);
  EXPECT_FALSE(FileHolds(path_, Features(2, 102)));
  EXPECT_FALSE(FileHolds(path_, Features(1, 101)));
  EXPECT_FALSE(fs::exists(path_ + ".compact"));
  ExpectSame(Features(11, 50), Get(*store, 1), "replaced, compacted");
  ExpectSame(Features(3, 103), Get(*store, 3), "kept, compacted");
  // Writes go on after the compaction, and all of it reopens.
  std::vector<std::pair<uint64_t, PictureFeatures>> more = {{5, Features(5, 105)}};
  ASSERT_TRUE(store->Put(more).ok());
  store.reset();
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->repair_note().empty()) << store->repair_note();
  EXPECT_EQ(store->pictures(), 4u);
  EXPECT_EQ(store->dead_bytes(), 0u);
  ExpectSame(Features(11, 50), Get(*store, 1), "reopened");
  EXPECT_FALSE(store->Contains(2));
  ExpectSame(Features(4, 104), Get(*store, 4), "reopened");
  ExpectSame(Features(5, 105), Get(*store, 5), "reopened");
}

TEST_F(FeatureStoreTest, TornTailIsCutAndReported) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    PutPictures(*store, 3);
  }
  fs::resize_file(path_, fs::file_size(path_) - 10);
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_NE(store->repair_note().find("torn or corrupt"), std::string::npos)
      << store->repair_note();
  ExpectSame(Features(1, 101), Get(*store, 1), "before the tear");
  ExpectSame(Features(2, 102), Get(*store, 2), "before the tear");
  EXPECT_FALSE(store->Contains(3));
  // Described again, it is stored again.
  std::vector<std::pair<uint64_t, PictureFeatures>> again = {{3, Features(3, 103)}};
  ASSERT_TRUE(store->Put(again).ok());
  store.reset();
  store = Open();
  ExpectSame(Features(3, 103), Get(*store, 3), "put again");
}

TEST_F(FeatureStoreTest, CorruptRecordIsNeverMisread) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    PutPictures(*store, 3);
  }
  // One bit of picture 2's descriptors flips.
  std::string bytes = FileBytes(path_);
  const PictureFeatures two = Features(2, 102);
  const size_t at =
      bytes.find(std::string(reinterpret_cast<const char*>(two.features.descriptors.data), 64));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 5] ^= 0x10;
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->repair_note().empty());
  ExpectSame(Features(1, 101), Get(*store, 1), "before the damage");
  EXPECT_FALSE(store->Contains(2));
  EXPECT_FALSE(store->Contains(3));  // after it: cut with it, to be described again
}

TEST_F(FeatureStoreTest, FeaturesOfAnotherVersionOrNoFeatureLogAreReplaced) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    PutPictures(*store, 2);
  }
  {
    auto store = Open("orb 640 1000");
    ASSERT_TRUE(store);
    EXPECT_NE(store->repair_note().find("another version (alike-features 1 orb 640 1500)"),
              std::string::npos)
        << store->repair_note();
    EXPECT_EQ(store->pictures(), 0u);
    PutPictures(*store, 1);
  }
  {
    auto store = Open("orb 640 1000");
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->repair_note().empty()) << store->repair_note();
    EXPECT_EQ(store->pictures(), 1u);
  }
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << "not a feature log at all";
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_NE(store->repair_note().find("not an alike write-ahead log"), std::string::npos)
      << store->repair_note();
  EXPECT_EQ(store->pictures(), 0u);
  PutPictures(*store, 2);
  ExpectSame(Features(2, 102), Get(*store, 2), "after the reset");
}

TEST_F(FeatureStoreTest, MismatchedDescriptorsAreRefused) {
  auto store = Open();
  ASSERT_TRUE(store);
  PictureFeatures sift = Features(1, 10);
  sift.features.descriptors = cv::Mat(10, 128, CV_32F, cv::Scalar(0.5));
  std::vector<std::pair<uint64_t, PictureFeatures>> batch = {{1, sift}};
  const Status s = store->Put(batch);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_FALSE(store->Contains(1));
}

// Every write of a workload (puts, erases, a compaction) fails in turn, once (EIO) or from then on
// (a full disk). Whatever was acknowledged reopens exactly; nothing erased and acknowledged
// comes back. (A failed call's effect is unknown: its picture is checked neither way.)
TEST_F(FeatureStoreTest, FailingWritesLoseNothingAcknowledged) {
  using Mode = test::FaultFileSystem::Mode;
  for (const Mode mode : {Mode::kOnce, Mode::kForever}) {
    bool fired = true;
    for (uint64_t fail_at = 1; fired; ++fail_at) {
      SCOPED_TRACE("fault at call " + std::to_string(fail_at));
      std::error_code ec;
      fs::remove_all(path_, ec);
      fs::remove_all(path_ + ".compact", ec);
      test::FaultFileSystem faults(fail_at, mode);
      std::map<uint64_t, PictureFeatures> acknowledged;
      std::set<uint64_t> erased;
      {
        auto store = FeatureStore::Open(path_, kVersion, faults);
        if (store.ok()) {
          for (uint64_t i = 1; i <= 6; ++i) {
            std::vector<std::pair<uint64_t, PictureFeatures>> batch = {{i, Features(i, 40)}};
            if ((*store)->Put(batch).ok()) acknowledged[i] = batch[0].second;
            if (i % 3 == 0) {
              const uint64_t doomed[] = {i - 1};
              // A failed erase may have reached the disk all the same: then neither is known.
              const bool was_there = acknowledged.erase(i - 1) > 0;
              if ((*store)->Erase(doomed).ok() && was_there) erased.insert(i - 1);
            }
          }
          (void)(*store)->Compact();  // acknowledged either way: nothing is lost by its failure
          // Writes after a compaction, failed or not, go to the file that is there.
          std::vector<std::pair<uint64_t, PictureFeatures>> last = {{7, Features(7, 40)}};
          if ((*store)->Put(last).ok()) acknowledged[7] = last[0].second;
        }
      }
      fired = faults.fired();
      auto store = Open();
      ASSERT_TRUE(store);
      for (const auto& [id, features] : acknowledged) {
        ExpectSame(features, Get(*store, id), "acknowledged " + std::to_string(id));
      }
      for (const uint64_t id : erased) EXPECT_FALSE(store->Contains(id)) << id;
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace alike::library
