#include "alike/image_source.h"

#include <gtest/gtest.h>

#include <array>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "image/decoder.h"

namespace alike::image {
namespace {

// Two pixels side by side in RGB order: pure red, then pure blue.
constexpr std::array<uint8_t, 6> kRedThenBlueRgb = {255, 0, 0, 0, 0, 255};

Result<Image> DecodePixels(const PixelView& view, const DecodeOptions& options = {}) {
  return NewDecoder()->DecodeSource(ImageSource::Pixels(view, "frame 7"), options);
}

TEST(ImageSourceTest, RgbPixelsBecomeBgr) {
  auto image = DecodePixels({.data = kRedThenBlueRgb.data(), .width = 2, .height = 1});
  ASSERT_TRUE(image.ok()) << image.status().message();
  ASSERT_EQ(image->bgr.type(), CV_8UC3);
  EXPECT_EQ(image->bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 255));
  EXPECT_EQ(image->bgr.at<cv::Vec3b>(0, 1), cv::Vec3b(255, 0, 0));
  EXPECT_EQ(image->original_width, 2);
  EXPECT_EQ(image->format, "pixels");
}

TEST(ImageSourceTest, StridedBgrGrayAndTransparentRgbaPixels) {
  // Two rows of one BGR pixel each, 8 bytes apart (a crop of a wider frame).
  const std::array<uint8_t, 11> strided = {1, 2, 3, 0, 0, 0, 0, 0, 4, 5, 6};
  auto bgr = DecodePixels({.data = strided.data(),
                           .width = 1,
                           .height = 2,
                           .row_bytes = 8,
                           .layout = PixelView::Layout::kBgr});
  ASSERT_TRUE(bgr.ok()) << bgr.status().message();
  EXPECT_EQ(bgr->bgr.at<cv::Vec3b>(1, 0), cv::Vec3b(4, 5, 6));
  EXPECT_NE(bgr->bgr.data, strided.data());  // copied: the caller's memory is only borrowed

  const uint8_t grey = 77;
  auto gray =
      DecodePixels({.data = &grey, .width = 1, .height = 1, .layout = PixelView::Layout::kGray});
  ASSERT_TRUE(gray.ok());
  EXPECT_EQ(gray->bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(77, 77, 77));

  // Fully transparent red is white, as a decoded PNG's transparency is.
  const std::array<uint8_t, 8> rgba = {255, 0, 0, 0, 255, 0, 0, 255};
  auto composited = DecodePixels(
      {.data = rgba.data(), .width = 2, .height = 1, .layout = PixelView::Layout::kRgba});
  ASSERT_TRUE(composited.ok());
  EXPECT_EQ(composited->bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(composited->bgr.at<cv::Vec3b>(0, 1), cv::Vec3b(0, 0, 255));
}

TEST(ImageSourceTest, BadViewsAreRefusedWithTheirName) {
  const std::array<uint8_t, 3> one = {1, 2, 3};
  for (const PixelView& view :
       {PixelView{.data = nullptr, .width = 1, .height = 1},
        PixelView{.data = one.data(), .width = 0, .height = 1},
        PixelView{.data = one.data(), .width = 1, .height = -3},
        PixelView{.data = one.data(), .width = 2, .height = 1, .row_bytes = 5}}) {
    auto image = DecodePixels(view);
    ASSERT_FALSE(image.ok());
    EXPECT_EQ(image.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(image.status().message().rfind("frame 7: ", 0), 0u) << image.status().message();
  }
  // Refused by its numbers before a byte is read: the pointer is never dereferenced.
  auto huge = DecodePixels({.data = one.data(), .width = 100'000, .height = 100'000});
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("exceed"), std::string::npos);
}

TEST(ImageSourceTest, PixelsShrinkLikeDecodedFiles) {
  const std::vector<uint8_t> flat(400 * 300 * 3, 90);
  auto image =
      DecodePixels({.data = flat.data(), .width = 400, .height = 300}, {.min_short_side = 150});
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image->bgr.size(), cv::Size(200, 150));
  EXPECT_EQ(image->original_height, 300);
}

TEST(ImageSourceTest, FilesAndBytesDecodeAsTheDecoderDoes) {
  const cv::Mat pixels(6, 8, CV_8UC3, cv::Scalar(10, 200, 30));
  std::vector<uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", pixels, png));
  auto from_bytes = NewDecoder()->DecodeSource(ImageSource::Bytes(png, "upload.png"), {});
  ASSERT_TRUE(from_bytes.ok()) << from_bytes.status().message();
  EXPECT_EQ(from_bytes->format, "png");
  EXPECT_EQ(from_bytes->bgr.at<cv::Vec3b>(5, 7), cv::Vec3b(10, 200, 30));

  auto missing = NewDecoder()->DecodeSource(ImageSource::File("/nonexistent/x.jpg"), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/x.jpg"), std::string::npos);
  const std::array<uint8_t, 4> junk = {1, 2, 3, 4};
  auto corrupt = NewDecoder()->DecodeSource(ImageSource::Bytes(junk, "upload.bin"), {});
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().message().rfind("upload.bin", 0), 0u);
}

}  // namespace
}  // namespace alike::image
