#include "embed/dct_hash.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "embed/perceptual_hash.h"
#include "testing/pdq_data.h"

namespace alike::embed {
namespace {

using test::DecodeFull;
using test::PdqData;
using test::PdqFiles;

// Measured: the bridge's edits (blur, contrast, saturation, sharpening, shrinking, squashing to a
// square) at most 2 bits from the original; unrelated LabelMe photos at least 20 apart.
constexpr int kNearCopyBits = 6;
constexpr int kUnrelatedBits = 16;

int Distance(const DctHash& a, const DctHash& b) { return BitDistance(a.bits, b.bits); }

cv::Mat Recompressed(const cv::Mat& image, int quality) {
  std::vector<uint8_t> jpeg;
  EXPECT_TRUE(cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality}));
  return cv::imdecode(jpeg, cv::IMREAD_COLOR);
}

TEST(DctHashTest, NearCopiesAreCloseAndUnrelatedPhotosFar) {
  const std::vector<std::string> edits = PdqFiles("bridge-mods");
  const std::vector<std::string> photos = PdqFiles("reg-test-input/labelme-subset");
  if (edits.empty() || photos.empty()) GTEST_SKIP() << test::PdqAbsent();
  const std::string path = PdqData() + "/bridge-mods/aaa-orig.jpg";
  const cv::Mat full = DecodeFull(path);
  const DctHash original = ComputeDctHash(full);
  int farthest = 0;
  for (const std::string& edit : edits) {
    const int d = Distance(ComputeDctHash(DecodeFull(edit)), original);
    farthest = std::max(farthest, d);
    EXPECT_LE(d, kNearCopyBits) << edit;
  }
  EXPECT_LE(Distance(ComputeDctHash(Recompressed(full, 20)), original), kNearCopyBits);
  // Whatever size a library decodes the picture at.
  for (const int side : {256, 512}) {
    auto smaller = image::DecodeFile(path, {.min_short_side = side});
    ASSERT_TRUE(smaller.ok());
    EXPECT_LE(Distance(ComputeDctHash(smaller->bgr), original), kNearCopyBits) << side;
  }

  std::vector<std::vector<uint8_t>> hashes = {{original.bits.begin(), original.bits.end()}};
  for (const std::string& photo : photos) {
    const DctHash h = ComputeDctHash(DecodeFull(photo));
    if (h.strength >= kDctHashMinStrength) hashes.emplace_back(h.bits.begin(), h.bits.end());
  }
  ASSERT_GE(hashes.size(), 5u);
  const int nearest = test::NearestPairDistance(hashes);
  std::cout << "farthest edit " << farthest << " bits; nearest unrelated pair " << nearest
            << " bits\n";
  EXPECT_GE(nearest, kUnrelatedBits);
}

TEST(DctHashTest, FlatAndTinyPicturesHaveNoStrength) {
  for (const cv::Scalar& colour : {cv::Scalar(0, 0, 0), cv::Scalar(90, 140, 200)}) {
    cv::Mat flat(300, 400, CV_8UC3, colour);
    cv::Mat noise(flat.size(), CV_8UC3);
    cv::randu(noise, 0, 3);
    flat += noise;
    for (const cv::Mat& picture : {flat, Recompressed(flat, 30)}) {
      EXPECT_LT(ComputeDctHash(picture).strength, kDctHashMinStrength);
    }
  }
  // Pictures smaller than the 32 x 32 grid are enlarged: one pixel is flat, a few are not.
  EXPECT_LT(ComputeDctHash(cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3))).strength,
            kDctHashMinStrength);
  cv::Mat few(3, 2, CV_8UC3);
  cv::randu(few, 0, 256);
  EXPECT_GE(ComputeDctHash(few).strength, kDctHashMinStrength);
}

}  // namespace
}  // namespace alike::embed
