#include "embed/depthwise_conv_layer.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <vector>

namespace alike::tflite {
namespace {

// Output rows of one channel from its zero-padded input plane (row stride `pw`): every tap is
// inside the buffer, so the loop over x has no bounds checks. A non-zero template argument fixes
// that kernel size or stride at compile time (3x3, stride 1 or 2: all the MobileNets use), so
// that the taps unroll and the loop vectorises across x; zero takes it from the arguments.
template <int KH, int KW, int SH, int SW>
void ConvolvePadded(const float* padded, int pw, const float* k, int kh_arg, int kw_arg, int sh_arg,
                    int sw_arg, float bias, float lo, float hi, float* dst, int oh, int ow) {
  const int kh = KH != 0 ? KH : kh_arg, kw = KW != 0 ? KW : kw_arg;
  const int sh = SH != 0 ? SH : sh_arg, sw = SW != 0 ? SW : sw_arg;
  for (int oy = 0; oy < oh; ++oy) {
    const float* top = padded + static_cast<size_t>(oy) * sh * pw;
    float* row = dst + static_cast<size_t>(oy) * ow;
    for (int ox = 0; ox < ow; ++ox) {
      float acc = bias;
      for (int ky = 0; ky < kh; ++ky) {
        for (int kx = 0; kx < kw; ++kx) acc += k[ky * kw + kx] * top[ky * pw + ox * sw + kx];
      }
      row[ox] = std::min(std::max(acc, lo), hi);
    }
  }
}

class DepthwiseConvLayer : public cv::dnn::Layer {
 public:
  explicit DepthwiseConvLayer(const cv::dnn::LayerParams& p) {
    setParamsFrom(p);
    kh_ = p.get<int>("kernel_h");
    kw_ = p.get<int>("kernel_w");
    sh_ = p.get<int>("stride_h", 1);
    sw_ = p.get<int>("stride_w", 1);
    pt_ = p.get<int>("pad_t", 0);
    pl_ = p.get<int>("pad_l", 0);
    pb_ = p.get<int>("pad_b", 0);
    pr_ = p.get<int>("pad_r", 0);
    lo_ = p.get<float>("min_value", -std::numeric_limits<float>::infinity());
    hi_ = p.get<float>("max_value", std::numeric_limits<float>::infinity());
    CV_Assert(kh_ > 0 && kw_ > 0 && sh_ > 0 && sw_ > 0 && pt_ >= 0 && pl_ >= 0 && pb_ >= 0 &&
              pr_ >= 0);
    CV_Assert(!blobs.empty() && blobs[0].type() == CV_32F && blobs[0].dims == 4 &&
              blobs[0].size[1] == 1 && blobs[0].size[2] == kh_ && blobs[0].size[3] == kw_);
    channels_ = blobs[0].size[0];
    CV_Assert(blobs.size() < 2 ||
              (blobs[1].type() == CV_32F && static_cast<int>(blobs[1].total()) == channels_));
  }

  static cv::Ptr<cv::dnn::Layer> Create(cv::dnn::LayerParams& p) {
    return cv::Ptr<cv::dnn::Layer>(new DepthwiseConvLayer(p));
  }

  bool getMemoryShapes(const std::vector<cv::dnn::MatShape>& inputs, const int,
                       std::vector<cv::dnn::MatShape>& outputs,
                       std::vector<cv::dnn::MatShape>&) const override {
    CV_Assert(inputs.size() == 1 && inputs[0].size() == 4 && inputs[0][1] == channels_);
    const int oh = (inputs[0][2] + pt_ + pb_ - kh_) / sh_ + 1;
    const int ow = (inputs[0][3] + pl_ + pr_ - kw_) / sw_ + 1;
    CV_Assert(oh > 0 && ow > 0);
    outputs.assign(1, cv::dnn::MatShape{inputs[0][0], channels_, oh, ow});
    return false;
  }

  void forward(cv::InputArrayOfArrays inputs_arr, cv::OutputArrayOfArrays outputs_arr,
               cv::OutputArrayOfArrays) override {
    std::vector<cv::Mat> inputs, outputs;
    inputs_arr.getMatVector(inputs);
    outputs_arr.getMatVector(outputs);
    const cv::Mat& in = inputs[0];
    cv::Mat& out = outputs[0];
    CV_Assert(in.type() == CV_32F && in.isContinuous() && out.isContinuous());
    const int planes = in.size[0] * channels_;
    const float* weights = blobs[0].ptr<float>();
    const float* bias = blobs.size() > 1 ? blobs[1].ptr<float>() : nullptr;
    const int h = in.size[2], w = in.size[3], oh = out.size[2], ow = out.size[3];
    const auto run = kh_ != 3 || kw_ != 3   ? ConvolvePadded<0, 0, 0, 0>
                     : sh_ == 1 && sw_ == 1 ? ConvolvePadded<3, 3, 1, 1>
                     : sh_ == 2 && sw_ == 2 ? ConvolvePadded<3, 3, 2, 2>
                                            : ConvolvePadded<0, 0, 0, 0>;
    // A stripe per few channels: small planes (7x7) cost less than a thread hand-off each.
    const double per_stripe = std::max(1.0, 16384.0 / (static_cast<double>(oh) * ow));
    cv::parallel_for_(
        cv::Range(0, planes),
        [&](const cv::Range& r) {
          // Each plane is copied into the middle of a zeroed buffer: the copy is cheap (the plane
          // is read once anyway) and leaves the convolution without border cases.
          const int ph = h + pt_ + pb_, pw = w + pl_ + pr_;
          std::vector<float> padded(static_cast<size_t>(ph) * pw, 0.0f);
          for (int p = r.start; p < r.end; ++p) {
            const float* src = in.ptr<float>() + static_cast<size_t>(p) * h * w;
            for (int y = 0; y < h; ++y) {
              std::copy(src + static_cast<size_t>(y) * w, src + static_cast<size_t>(y + 1) * w,
                        padded.begin() + static_cast<ptrdiff_t>(y + pt_) * pw + pl_);
            }
            const int c = p % channels_;
            const float* k = weights + static_cast<size_t>(c) * kh_ * kw_;
            const float b = bias != nullptr ? bias[c] : 0.0f;
            float* dst = out.ptr<float>() + static_cast<size_t>(p) * oh * ow;
            run(padded.data(), pw, k, kh_, kw_, sh_, sw_, b, lo_, hi_, dst, oh, ow);
          }
        },
        std::max(1.0, planes / per_stripe));
  }

 private:
  int kh_ = 0, kw_ = 0, sh_ = 1, sw_ = 1, pt_ = 0, pl_ = 0, pb_ = 0, pr_ = 0, channels_ = 0;
  float lo_ = 0, hi_ = 0;
};

}  // namespace

void RegisterDepthwiseConvLayer() {
  static std::once_flag once;
  std::call_once(once, [] {
    cv::dnn::LayerFactory::registerLayer(kDepthwiseConvLayerType, DepthwiseConvLayer::Create);
  });
}

}  // namespace alike::tflite
