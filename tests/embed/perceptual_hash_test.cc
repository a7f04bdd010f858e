#include "embed/perceptual_hash.h"

#include <gtest/gtest.h>

#include <numeric>
#include <opencv2/imgproc.hpp>

#include "util/text.h"

namespace alike::embed {
namespace {

TEST(PerceptualHashTest, BitKWeighsTwoToTheK) {
  std::vector<uint8_t> bits(4, 0);
  SetBit(bits, 0);
  SetBit(bits, 9);
  SetBit(bits, 31);
  EXPECT_EQ(HexString(bits), "80000201");
}

TEST(PerceptualHashTest, MedianBitsSetTheUpperHalf) {
  std::vector<float> values(64);
  std::iota(values.begin(), values.end(), 0.0f);
  std::reverse(values.begin(), values.end());  // values[k] = 63 - k: bits 0..31 are the large ones
  const std::vector<uint8_t> bits = MedianBits(values);
  EXPECT_EQ(HexString(bits), "00000000ffffffff");
}

TEST(PerceptualHashTest, BitDistanceCountsDifferingBits) {
  const std::vector<uint8_t> a = {0xff, 0x00, 0x0f}, b = {0xfe, 0x80, 0x0f};
  EXPECT_EQ(BitDistance(a, b), 2);
  EXPECT_EQ(BitDistance(a, a), 0);
}

TEST(PerceptualHashTest, LumaUsesTheReferenceCoefficientsAndIgnoresAlpha) {
  cv::Mat bgr(1, 3, CV_8UC3);
  bgr.at<cv::Vec3b>(0, 0) = {255, 0, 0};  // blue
  bgr.at<cv::Vec3b>(0, 1) = {0, 255, 0};  // green
  bgr.at<cv::Vec3b>(0, 2) = {0, 0, 255};  // red
  const cv::Mat luma = LumaOf(bgr);
  EXPECT_NEAR(luma.at<float>(0, 0), 0.114 * 255, 1e-3);
  EXPECT_NEAR(luma.at<float>(0, 1), 0.587 * 255, 1e-3);
  EXPECT_NEAR(luma.at<float>(0, 2), 0.299 * 255, 1e-3);
  cv::Mat bgra;
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  EXPECT_EQ(cv::norm(LumaOf(bgra), luma, cv::NORM_INF), 0);
  cv::Mat grey(1, 1, CV_8UC1, cv::Scalar(77));
  EXPECT_EQ(LumaOf(grey).at<float>(0, 0), 77.0f);
}

}  // namespace
}  // namespace alike::embed
