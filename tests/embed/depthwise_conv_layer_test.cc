// The depthwise convolution layer against a direct evaluation of its definition, over strides,
// symmetric and asymmetric padding, kernel sizes, batches, clamps and a missing bias.
#include "embed/depthwise_conv_layer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/dnn.hpp>
#include <vector>

namespace alike::tflite {
namespace {

struct Case {
  int n, c, h, w, kh, kw, stride, pt, pl, pb, pr;
  float lo, hi;
  bool bias;
};

cv::Mat Naive(const cv::Mat& in, const cv::Mat& weights, const cv::Mat& bias, const Case& k) {
  const int oh = (k.h + k.pt + k.pb - k.kh) / k.stride + 1;
  const int ow = (k.w + k.pl + k.pr - k.kw) / k.stride + 1;
  cv::Mat out(std::vector<int>{k.n, k.c, oh, ow}, CV_32F);
  for (int n = 0; n < k.n; ++n) {
    for (int c = 0; c < k.c; ++c) {
      for (int y = 0; y < oh; ++y) {
        for (int x = 0; x < ow; ++x) {
          double acc = bias.empty() ? 0.0 : bias.ptr<float>()[c];
          for (int ky = 0; ky < k.kh; ++ky) {
            for (int kx = 0; kx < k.kw; ++kx) {
              const int iy = y * k.stride - k.pt + ky, ix = x * k.stride - k.pl + kx;
              if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
              acc += double(weights.ptr<float>(c, 0)[ky * k.kw + kx]) *
                     in.ptr<float>(n, c)[iy * k.w + ix];
            }
          }
          out.ptr<float>(n, c)[y * ow + x] = std::clamp(static_cast<float>(acc), k.lo, k.hi);
        }
      }
    }
  }
  return out;
}

TEST(DepthwiseConvLayerTest, MatchesDefinition) {
  RegisterDepthwiseConvLayer();
  RegisterDepthwiseConvLayer();  // idempotent
  const float inf = std::numeric_limits<float>::infinity();
  const Case cases[] = {
      {1, 5, 7, 9, 3, 3, 1, 1, 1, 1, 1, -inf, inf, true},      // SAME, stride 1
      {2, 4, 8, 8, 3, 3, 2, 0, 0, 1, 1, 0.0f, 6.0f, true},     // TFLite SAME on even input, ReLU6
      {1, 3, 9, 7, 3, 3, 2, 1, 1, 1, 1, -inf, inf, false},     // SAME on odd input, no bias
      {1, 6, 10, 11, 5, 5, 2, 1, 2, 2, 1, -1.0f, 1.0f, true},  // 5x5, uneven pads, clamp
      {1, 2, 6, 6, 3, 1, 1, 0, 0, 0, 0, 0.0f, inf, true},      // non-square kernel, VALID, ReLU
      {1, 37, 14, 14, 3, 3, 1, 1, 1, 1, 1, 0.0f, 6.0f, true},  // enough planes for stripes
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(::testing::Message() << "c=" << k.c << " " << k.h << "x" << k.w << " k" << k.kh
                                      << "x" << k.kw << " s" << k.stride);
    cv::Mat in(std::vector<int>{k.n, k.c, k.h, k.w}, CV_32F);
    cv::Mat weights(std::vector<int>{k.c, 1, k.kh, k.kw}, CV_32F);
    cv::Mat bias = k.bias ? cv::Mat(1, k.c, CV_32F) : cv::Mat();
    cv::randu(in, -2, 2);
    cv::randu(weights, -1, 1);
    if (k.bias) cv::randu(bias, -1, 1);
    cv::dnn::LayerParams p;
    p.set("kernel_h", k.kh);
    p.set("kernel_w", k.kw);
    p.set("stride_h", k.stride);
    p.set("stride_w", k.stride);
    p.set("pad_t", k.pt);
    p.set("pad_l", k.pl);
    p.set("pad_b", k.pb);
    p.set("pad_r", k.pr);
    if (std::isfinite(k.lo)) p.set("min_value", k.lo);
    if (std::isfinite(k.hi)) p.set("max_value", k.hi);
    p.blobs.push_back(weights);
    if (k.bias) p.blobs.push_back(bias);
    cv::dnn::Net net;
    net.addLayerToPrev("dw", kDepthwiseConvLayerType, p);
    net.setInput(in);
    const cv::Mat got = net.forward("dw");
    const cv::Mat want = Naive(in, weights, bias, k);
    ASSERT_EQ(got.dims, 4);
    for (int d = 0; d < 4; ++d) ASSERT_EQ(got.size[d], want.size[d]) << "dimension " << d;
    EXPECT_LE(cv::norm(got.reshape(1, 1), want.reshape(1, 1), cv::NORM_INF), 1e-5);
  }
}

TEST(DepthwiseConvLayerTest, RefusesBadParameters) {
  RegisterDepthwiseConvLayer();
  cv::dnn::LayerParams p;
  p.set("kernel_h", 3);
  p.set("kernel_w", 3);
  p.blobs.push_back(cv::Mat(std::vector<int>{4, 2, 3, 3}, CV_32F, cv::Scalar(0)));  // multiplier 2
  cv::dnn::Net net;
  net.addLayerToPrev("dw", kDepthwiseConvLayerType, p);
  net.setInput(cv::Mat(std::vector<int>{1, 2, 5, 5}, CV_32F, cv::Scalar(0)));
  // OpenCV creates layers at the first forward pass, and reports their errors by throwing.
  EXPECT_THROW(net.forward("dw"), cv::Exception);
}

}  // namespace
}  // namespace alike::tflite
