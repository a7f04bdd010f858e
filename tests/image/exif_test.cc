#include "image/exif.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgproc.hpp>
#include <string>

#include "image/decoder.h"
#include "image/image_test_util.h"

namespace alike::image {
namespace {

using testing::Bytes;

// The stored pixels a camera would write for an upright picture `u` under EXIF orientation o:
// the inverse of the transformation the decoder must apply.
cv::Mat Stored(const cv::Mat& u, int o) {
  cv::Mat s;
  switch (o) {
    case 2:
      cv::flip(u, s, 1);
      return s;
    case 3:
      cv::rotate(u, s, cv::ROTATE_180);
      return s;
    case 4:
      cv::flip(u, s, 0);
      return s;
    case 5:
      cv::transpose(u, s);
      return s;
    case 6:
      cv::rotate(u, s, cv::ROTATE_90_COUNTERCLOCKWISE);
      return s;
    case 7:
      cv::flip(u, s, -1);
      cv::transpose(s, s);
      return s;
    case 8:
      cv::rotate(u, s, cv::ROTATE_90_CLOCKWISE);
      return s;
    default:
      return u.clone();
  }
}

TEST(ExifOrientation, AllEightOrientationsOfALosslessPng) {
  const cv::Mat upright = testing::TestPattern(48, 32);
  for (int o = 1; o <= 8; ++o) {
    const Bytes png = testing::PngWithExif(testing::Encode(".png", Stored(upright, o)),
                                           testing::ExifWithOrientation(o));
    Result<Image> img = DecodeMemory(png, {}, "o.png");
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(img->orientation, o);
    EXPECT_EQ(img->original_width, 48) << o;
    EXPECT_EQ(img->original_height, 32) << o;
    ASSERT_EQ(img->bgr.size(), upright.size()) << "orientation " << o;
    EXPECT_EQ(cv::norm(img->bgr, upright, cv::NORM_INF), 0) << "orientation " << o;
    Result<ImageInfo> info = ProbeMemory(png, "o.png");
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->width, 48);
    EXPECT_EQ(info->height, 32);
  }
}

TEST(ExifOrientation, JpegApp1IsAppliedExactlyOnce) {
  const cv::Mat upright = testing::TestPattern(160, 120);
  for (int o : {3, 6, 8}) {
    const Bytes jpeg = testing::JpegWithExif(
        testing::Encode(".jpg", Stored(upright, o), {cv::IMWRITE_JPEG_QUALITY, 95}),
        testing::ExifWithOrientation(o));
    Result<Image> img = DecodeMemory(jpeg, {}, "o.jpg");
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    ASSERT_EQ(img->bgr.size(), upright.size()) << o;
    EXPECT_LT(testing::MeanAbsDiff(img->bgr, upright), 3.0) << o;
  }
}

TEST(ExifOrientation, OutOfRangeValueIsIgnored) {
  const cv::Mat upright = testing::TestPattern(20, 10);
  const Bytes png =
      testing::PngWithExif(testing::Encode(".png", upright), testing::ExifWithOrientation(9));
  Result<Image> img = DecodeMemory(png, {}, "o.png");
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->orientation, 1);
  EXPECT_EQ(img->bgr.size(), upright.size());
}

TEST(ExifFieldsTest, GarbageYieldsDefaults) {
  const Bytes junk(100, 0xAB);
  const ExifFields f = ParseExif(junk);
  EXPECT_EQ(f.orientation, 0);
  EXPECT_TRUE(f.camera_make.empty());
  EXPECT_FALSE(f.latitude.has_value());
}

// Found by fuzz/exif_fuzzer.cc: GPS rationals adding up to a latitude past 90 degrees were
// returned as a position.
TEST(ExifFieldsTest, CoordinatesOutOfRangeAreAbsent) {
  const std::string path = ALIKE_SOURCE_DIR "/fuzz/corpus/exif/regression-gps-out-of-range";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path;
  const Bytes blob((std::istreambuf_iterator<char>(in)), {});
  const ExifFields f = ParseExif(blob);
  EXPECT_FALSE(f.latitude.has_value()) << *f.latitude;
  if (f.longitude) {
    EXPECT_LE(std::abs(*f.longitude), 180);
  }
}

// Four photos of one desk taken with the phone held four ways: decoded upright, the wall (bright)
// is at the top and the desk (dark) at the bottom, and pictures of the same shape look alike.
TEST(ExifOrientation, PhoneRotatedPhotosComeOutUpright) {
  const std::string dir =
      std::string(ALIKE_SHARED_DIR) + "/data/copies/pdq/pdq/data/reg-test-input/exif-rotn";
  if (!std::filesystem::exists(dir)) {
    GTEST_SKIP() << "shared test data absent (" << dir << "); see ../shared/README.md";
  }
  cv::Mat upright[9];
  for (int o : {1, 3, 6, 8}) {
    const std::string path = dir + "/exif-rotn-" + std::to_string(o) + ".jpg";
    Result<Image> img = DecodeFile(path, {.min_short_side = 256});
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(img->orientation, o);
    EXPECT_EQ(img->reduction, 8);
    EXPECT_EQ(img->exif.camera_make, "samsung");
    EXPECT_EQ(img->exif.camera_model, "SM-G930V");
    EXPECT_EQ(img->exif.date_time.substr(0, 10), "2017:11:07");
    ASSERT_TRUE(img->exif.latitude.has_value());
    EXPECT_NEAR(*img->exif.latitude, 38.98, 0.01);
    EXPECT_NEAR(*img->exif.longitude, -77.02, 0.01);
    const bool portrait = o == 6 || o == 8;
    EXPECT_EQ(img->original_width, portrait ? 3024 : 4032) << path;
    EXPECT_EQ(img->original_height, portrait ? 4032 : 3024) << path;
    upright[o] = img->bgr;
    cv::Mat grey;
    cv::cvtColor(img->bgr, grey, cv::COLOR_BGR2GRAY);
    const int third = grey.rows / 3;
    const double top = cv::mean(grey.rowRange(0, third))[0];
    const double bottom = cv::mean(grey.rowRange(grey.rows - third, grey.rows))[0];
    EXPECT_GT(top, bottom) << path << " looks upside down";
  }
  for (auto [a, b] : {std::pair{1, 3}, std::pair{6, 8}}) {
    cv::Mat flipped;
    cv::rotate(upright[b], flipped, cv::ROTATE_180);
    EXPECT_LT(testing::MeanAbsDiff(upright[a], upright[b]),
              testing::MeanAbsDiff(upright[a], flipped))
        << a << " vs " << b;
  }
}

}  // namespace
}  // namespace alike::image
