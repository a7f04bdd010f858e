#include "image/header.h"

#include <gtest/gtest.h>

#include <string>

#include "image/format.h"
#include "image/image_test_util.h"

namespace alike::image {
namespace {

using testing::Bytes;

Bytes Str(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST(ImageHeader, SniffsByContent) {
  EXPECT_EQ(SniffFormat(Bytes{0xFF, 0xD8, 0xFF, 0xE0}), Format::kJpeg);
  EXPECT_EQ(SniffFormat(testing::PngSignature()), Format::kPng);
  EXPECT_EQ(SniffFormat(Str("GIF89a")), Format::kGif);
  EXPECT_EQ(SniffFormat(Str(std::string("RIFF\1\0\0\0WEBPVP8 ", 16))), Format::kWebp);
  EXPECT_EQ(SniffFormat(Bytes{'I', 'I', 42, 0}), Format::kTiff);
  EXPECT_EQ(SniffFormat(Bytes{'M', 'M', 0, 42}), Format::kTiff);
  EXPECT_EQ(SniffFormat(Str("P6\n3 2\n255\n")), Format::kPnm);
  EXPECT_EQ(SniffFormat(Str(std::string("\0\0\0\x18"
                                        "ftypheic\0\0\0\0mif1heic",
                                        24))),
            Format::kHeic);
  EXPECT_EQ(SniffFormat(Str(std::string("\0\0\0\x18"
                                        "ftypmif1\0\0\0\0mif1avif",
                                        24))),
            Format::kAvif);
  EXPECT_EQ(SniffFormat(Str("hello world")), Format::kUnknown);
  EXPECT_EQ(SniffFormat(Bytes{}), Format::kUnknown);
  EXPECT_EQ(SniffFormat(Str(std::string("RIFF\1\0\0\0WAVEfmt ", 16))), Format::kUnknown);
}

TEST(ImageHeader, ReadsDimensionsOfEveryOpenCvFormat) {
  const cv::Mat m = testing::TestPattern(37, 23);
  cv::Mat grey;
  cv::cvtColor(m, grey, cv::COLOR_BGR2GRAY);
  for (const char* ext : {".jpg", ".png", ".webp", ".bmp", ".tiff", ".ppm", ".pgm"}) {
    const Bytes b = testing::Encode(ext, std::string(ext) == ".pgm" ? grey : m);
    const Format f = SniffFormat(b);
    ASSERT_NE(f, Format::kUnknown) << ext;
    Result<Header> h = ReadHeader(b, f);
    ASSERT_TRUE(h.ok()) << ext << ": " << h.status().ToString();
    EXPECT_EQ(h->width, 37) << ext;
    EXPECT_EQ(h->height, 23) << ext;
    EXPECT_TRUE(h->complete) << ext;
  }
  // Lossless WebP (VP8L) has its own header layout.
  const Bytes lossless = testing::Encode(".webp", m, {cv::IMWRITE_WEBP_QUALITY, 101});
  Result<Header> h = ReadHeader(lossless, Format::kWebp);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->width, 37);
  EXPECT_EQ(h->height, 23);
}

TEST(ImageHeader, JpegEndMarkerFoundBeforeATrailer) {
  Bytes jpeg = testing::Encode(".jpg", testing::TestPattern(16, 16));
  const std::string trailer = "SEFT trailer data that phones append";
  testing::Append(&jpeg, trailer.begin(), trailer.end());
  Result<Header> h = ReadHeader(jpeg, Format::kJpeg);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->complete);
}

}  // namespace
}  // namespace alike::image
