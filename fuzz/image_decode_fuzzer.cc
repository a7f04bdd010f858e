// The image decoder seam: format sniffing, the header probe and every codec's decode, on any
// bytes. A crash, a hang or an allocation past -malloc_limit_mb is a bug; so is a decode that
// succeeds with a picture other than what its own probe declared.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "image/decoder.h"
#include "image/format.h"

namespace {

// Small enough that a header declaring more is refused before any pixel buffer exists: then a
// large allocation under -malloc_limit_mb can only come from a check that let it through.
constexpr alike::image::DecodeOptions kLimits{.max_pixels = 4'000'000, .max_bytes = 1 << 20};

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  alike::image::FormatName(alike::image::SniffFormat(bytes));
  auto decoder = alike::image::NewDecoder();
  auto info = decoder->Probe(bytes, kLimits, "fuzz");
  // Alternate full-size and shrinking decodes (JPEG's DCT scaling, INTER_AREA) by the last byte.
  alike::image::DecodeOptions options = kLimits;
  if (size > 0 && (data[size - 1] & 1)) options.min_short_side = 16;
  auto image = decoder->Decode(bytes, options, "fuzz");
  if (!image.ok()) return 0;
  const cv::Mat& bgr = image->bgr;
  Check(bgr.type() == CV_8UC3 && !bgr.empty());
  Check(uint64_t(image->original_width) * uint64_t(image->original_height) <= kLimits.max_pixels);
  if (info.ok()) {
    Check(info->format == image->format);
    Check(info->width == image->original_width && info->height == image->original_height);
  }
  return 0;
}
