#include "embed/dct_hash.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "embed/dct.h"
#include "embed/perceptual_hash.h"

namespace alike::embed {
namespace {

constexpr int kSide = 32;
constexpr int kCoeffs = 8;

}  // namespace

DctHash ComputeDctHash(const cv::Mat& image) {
  DctHash out;
  if (image.empty()) return out;
  static const LowFrequencyDct dct(kSide, kCoeffs);
  cv::Mat small;
  // Area averaging when shrinking is the blur the hash needs against noise and JPEG blocks.
  cv::resize(LumaOf(image), small, cv::Size(kSide, kSide), 0, 0, cv::INTER_AREA);
  std::array<float, kCoeffs * kCoeffs> c;
  dct.Transform(small.ptr<float>(), c.data());
  for (const float v : c) out.strength = std::max(out.strength, std::abs(v));
  const std::vector<uint8_t> bits = MedianBits(c);
  std::copy(bits.begin(), bits.end(), out.bits.begin());
  return out;
}

}  // namespace alike::embed
