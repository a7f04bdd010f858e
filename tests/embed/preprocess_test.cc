#include "embed/preprocess.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>
#include <vector>

#include "embed/embedder.h"

namespace alike::embed {
namespace {

cv::Mat RandomImage(int w, int h, int seed) {
  cv::Mat img(h, w, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  return img;
}

TEST(EmbedL2NormalizeTest, UnitLengthAndZeroLeftAlone) {
  std::vector<float> v = {3, 4};
  L2Normalize(v);
  EXPECT_FLOAT_EQ(v[0], 0.6f);
  EXPECT_FLOAT_EQ(v[1], 0.8f);
  std::vector<float> zero = {0, 0, 0};
  L2Normalize(zero);
  EXPECT_EQ(zero, (std::vector<float>{0, 0, 0}));
}

TEST(PreprocessTest, BlobShapeAndNormalisation) {
  PreprocessSpec spec;
  const cv::Mat img(300, 400, CV_8UC3, cv::Scalar(0, 127.5, 255));  // B, G, R
  const cv::Mat blob = MakeBlob(img, spec);
  ASSERT_EQ(blob.dims, 4);
  EXPECT_EQ(blob.size[0], 1);
  EXPECT_EQ(blob.size[1], 3);
  EXPECT_EQ(blob.size[2], 224);
  EXPECT_EQ(blob.size[3], 224);
  const float* p = blob.ptr<float>();
  const size_t plane = 224 * 224;
  EXPECT_NEAR(p[0], 1.0f, 1e-5);                // R first: 255 -> 1
  EXPECT_NEAR(p[plane + 7], 0.0f, 1e-2);        // G (8-bit 127 or 128)
  EXPECT_NEAR(p[2 * plane + 99], -1.0f, 1e-5);  // B: 0 -> -1

  spec.rgb = false;
  spec.mean = cv::Scalar(10, 20, 30);
  spec.scale = cv::Scalar(1, 2, 3);
  const cv::Mat bgr = MakeBlob(img, spec);
  EXPECT_NEAR(bgr.ptr<float>()[0], (0 - 10) * 1, 1e-4);
  EXPECT_NEAR(bgr.ptr<float>()[2 * plane], (255 - 30) * 3, 1e-3);
}

TEST(PreprocessTest, BatchMatchesSingles) {
  PreprocessSpec spec;
  spec.width = 64;
  spec.height = 48;
  const std::vector<cv::Mat> imgs = {RandomImage(100, 80, 1), RandomImage(33, 91, 2)};
  const cv::Mat batch = MakeBlob(imgs, spec);
  ASSERT_EQ(batch.size[0], 2);
  for (int i = 0; i < 2; ++i) {
    const cv::Mat one = MakeBlob(imgs[i], spec);
    const cv::Mat slot(1, static_cast<int>(one.total()), CV_32F,
                       const_cast<float*>(batch.ptr<float>(i)));
    EXPECT_EQ(cv::norm(slot, one.reshape(1, 1), cv::NORM_INF), 0.0);
  }
  EXPECT_TRUE(MakeBlob(cv::Mat(), spec).empty());
  EXPECT_TRUE(MakeBlob(cv::Mat(10, 10, CV_8UC1), spec).empty());
}

// Every resize policy commutes with a horizontal flip: flip-averaging depends on it.
TEST(PreprocessTest, ResizeCommutesWithMirror) {
  for (const auto resize : {PreprocessSpec::Resize::kShortSideCenterCrop,
                            PreprocessSpec::Resize::kLetterbox, PreprocessSpec::Resize::kStretch}) {
    PreprocessSpec spec;
    spec.resize = resize;
    for (const cv::Size size : {cv::Size(301, 256), cv::Size(256, 341), cv::Size(100, 77)}) {
      const cv::Mat img = RandomImage(size.width, size.height, size.area());
      cv::Mat flipped;
      cv::flip(img, flipped, 1);
      const cv::Mat a = FlipBlobHorizontally(MakeBlob(img, spec));
      const cv::Mat b = MakeBlob(flipped, spec);
      EXPECT_LE(cv::norm(a.reshape(1, 1), b.reshape(1, 1), cv::NORM_INF), 1e-4)
          << ResizeName(resize) << " " << size;
    }
  }
}

TEST(PreprocessTest, ParseResize) {
  EXPECT_EQ(*ParseResize("letterbox"), PreprocessSpec::Resize::kLetterbox);
  EXPECT_EQ(*ParseResize("center_crop"), PreprocessSpec::Resize::kShortSideCenterCrop);
  EXPECT_FALSE(ParseResize("squash").ok());
}

}  // namespace
}  // namespace alike::embed
