#include "embed/perceptual_hash.h"

#include <algorithm>
#include <bit>
#include <cassert>

namespace alike::embed {

cv::Mat LumaOf(const cv::Mat& image) {
  assert(image.depth() == CV_8U);
  cv::Mat luma(image.rows, image.cols, CV_32F);
  const int channels = image.channels();
  for (int y = 0; y < image.rows; ++y) {
    const uint8_t* p = image.ptr<uint8_t>(y);
    float* out = luma.ptr<float>(y);
    if (channels == 1) {
      for (int x = 0; x < image.cols; ++x) out[x] = p[x];
      continue;
    }
    for (int x = 0; x < image.cols; ++x, p += channels) {
      // Float coefficients and left-to-right float sums, as the reference: a double sum would
      // move values that sit on the median by one unit in the last place.
      out[x] = 0.299f * p[2] + 0.587f * p[1] + 0.114f * p[0];
    }
  }
  return luma;
}

std::vector<uint8_t> MedianBits(std::span<const float> values) {
  assert(values.size() % 8 == 0 && !values.empty());
  std::vector<float> sorted(values.begin(), values.end());
  const auto median = sorted.begin() + static_cast<ptrdiff_t>((sorted.size() - 1) / 2);
  std::nth_element(sorted.begin(), median, sorted.end());
  std::vector<uint8_t> bits(values.size() / 8, 0);
  for (size_t k = 0; k < values.size(); ++k) {
    if (values[k] > *median) SetBit(bits, k);
  }
  return bits;
}

void SetBit(std::span<uint8_t> bits, size_t k) {
  bits[bits.size() - 1 - k / 8] |= static_cast<uint8_t>(1u << (k % 8));
}

int BitDistance(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  assert(a.size() == b.size());
  int bits = 0;
  for (size_t i = 0; i < a.size(); ++i) bits += std::popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return bits;
}

}  // namespace alike::embed
