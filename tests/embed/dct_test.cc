#include "embed/dct.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <random>

namespace alike::embed {
namespace {

// Against OpenCV's full orthonormal DCT-II: the low block, without the DC row and column.
TEST(LowFrequencyDctTest, EqualsTheLowBlockOfTheFullDct) {
  for (const auto& [n, k] : {std::pair{64, 16}, std::pair{32, 8}}) {
    std::mt19937 rng(n);
    std::uniform_real_distribution<float> value(0, 255);
    cv::Mat block(n, n, CV_32F);
    for (int y = 0; y < n; ++y) {
      for (int x = 0; x < n; ++x) block.at<float>(y, x) = value(rng);
    }
    cv::Mat full;
    cv::dct(block, full);
    const LowFrequencyDct dct(n, k);
    std::vector<float> low(size_t(k) * k);
    dct.Transform(block.ptr<float>(), low.data());
    for (int i = 0; i < k; ++i) {
      for (int j = 0; j < k; ++j) {
        EXPECT_NEAR(low[i * k + j], full.at<float>(i + 1, j + 1), 0.02)
            << n << ": " << i << "," << j;
      }
    }
  }
}

// A constant block has no energy outside DC.
TEST(LowFrequencyDctTest, ConstantBlockHasNoCoefficients) {
  const LowFrequencyDct dct(32, 8);
  std::vector<float> flat(32 * 32, 117.0f), low(64);
  dct.Transform(flat.data(), low.data());
  for (const float c : low) EXPECT_NEAR(c, 0, 1e-3);
}

}  // namespace
}  // namespace alike::embed
