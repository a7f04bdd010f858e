#include "image/header.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "image/format.h"
#include "image/image_test_util.h"

namespace alike::image {
namespace {

using testing::Bytes;

Bytes Str(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Bytes that end exactly where an unreadable page begins, so that reading one byte past them
// crashes in any build (AddressSanitizer's redzones catch it only in the sanitizer pass).
class BytesBeforeGuardPage {
 public:
  explicit BytesBeforeGuardPage(const Bytes& bytes) : page_(sysconf(_SC_PAGESIZE)) {
    void* region =
        mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return;
    region_ = static_cast<uint8_t*>(region);
    mprotect(region_ + page_, page_, PROT_NONE);
    data_ = region_ + page_ - bytes.size();
    std::memcpy(data_, bytes.data(), bytes.size());
    size_ = bytes.size();
  }
  ~BytesBeforeGuardPage() {
    if (region_ != nullptr) munmap(region_, 2 * page_);
  }
  BytesBeforeGuardPage(const BytesBeforeGuardPage&) = delete;
  BytesBeforeGuardPage& operator=(const BytesBeforeGuardPage&) = delete;
  bool ok() const { return region_ != nullptr; }
  std::span<const uint8_t> span() const { return {data_, size_}; }

 private:
  const size_t page_;
  uint8_t* region_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

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

// Found by fuzz/image_decode_fuzzer.cc: the shortest extended (VP8X) WebP header has its 24-bit
// canvas height in its last three bytes, and the parser read it as 32 bits, one byte past the end.
TEST(ImageHeader, ShortestExtendedWebpIsReadWithinItsBytes) {
  Bytes webp = Str("RIFF");
  const Bytes riff_size = {22, 0, 0, 0};
  webp.insert(webp.end(), riff_size.begin(), riff_size.end());
  const Bytes form = Str("WEBPVP8X");
  webp.insert(webp.end(), form.begin(), form.end());
  const Bytes chunk_size = {10, 0, 0, 0};
  webp.insert(webp.end(), chunk_size.begin(), chunk_size.end());
  const Bytes fields = {0, 0, 0, 0, /*width - 1*/ 99, 0, 0, /*height - 1*/ 49, 0, 0};
  webp.insert(webp.end(), fields.begin(), fields.end());
  ASSERT_EQ(webp.size(), 30u);
  const BytesBeforeGuardPage guarded(webp);
  ASSERT_TRUE(guarded.ok());
  Result<Header> h = ReadHeader(guarded.span(), Format::kWebp);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->width, 100);
  EXPECT_EQ(h->height, 50);
}

}  // namespace
}  // namespace alike::image
