#include "embed/preprocess.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace alike::embed {
namespace {

// Rounds `inner` so that (outer - inner) is even: the margins on both sides are then equal
// and the crop or pad is exactly mirror-symmetric.
int SymmetricSpan(int outer, double inner_exact) {
  int inner = std::clamp(static_cast<int>(std::lround(inner_exact)), 1, outer);
  if ((outer - inner) % 2 != 0) inner += inner < outer ? 1 : -1;
  return std::max(inner, 1);
}

cv::Mat ScaleTo(const cv::Mat& src, int width, int height) {
  if (src.cols == width && src.rows == height) return src;
  // INTER_AREA averages when shrinking (no aliasing); it degenerates to nearest when growing.
  const bool shrinking = width <= src.cols && height <= src.rows;
  cv::Mat out;
  cv::resize(src, out, cv::Size(width, height), 0, 0,
             shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

// Writes one HWC float image into blob slot `n` as CHW, normalised and channel-ordered.
void FillSlot(const cv::Mat& img, const PreprocessSpec& spec, cv::Mat& blob, int n) {
  const int plane = spec.width * spec.height;
  float* base = blob.ptr<float>(n);
  std::vector<cv::Mat> planes;
  for (int c = 0; c < 3; ++c)
    planes.emplace_back(spec.height, spec.width, CV_32F, base + c * plane);
  cv::Mat ordered;
  if (spec.rgb) {
    cv::cvtColor(img, ordered, cv::COLOR_BGR2RGB);
  } else {
    ordered = img;
  }
  cv::split(ordered, planes);  // planes already have the right size and type: no reallocation
  for (int c = 0; c < 3; ++c) {
    planes[c].convertTo(planes[c], CV_32F, spec.scale[c], -spec.mean[c] * spec.scale[c]);
  }
}

}  // namespace

const char* ResizeName(PreprocessSpec::Resize resize) {
  switch (resize) {
    case PreprocessSpec::Resize::kShortSideCenterCrop:
      return "center_crop";
    case PreprocessSpec::Resize::kLetterbox:
      return "letterbox";
    case PreprocessSpec::Resize::kStretch:
      return "stretch";
  }
  return "?";
}

Result<PreprocessSpec::Resize> ParseResize(std::string_view name) {
  if (name == "center_crop" || name == "crop" || name == "short_side_center_crop") {
    return PreprocessSpec::Resize::kShortSideCenterCrop;
  }
  if (name == "letterbox") return PreprocessSpec::Resize::kLetterbox;
  if (name == "stretch") return PreprocessSpec::Resize::kStretch;
  return Status::InvalidArgument("unknown resize \"" + std::string(name) +
                                 "\" (expected center_crop, letterbox or stretch)");
}

cv::Mat ResizeForModel(const cv::Mat& bgr, const PreprocessSpec& spec) {
  if (bgr.empty() || spec.width <= 0 || spec.height <= 0) return {};
  // Float first: resampling in 8 bits rounds differently on mirrored pixels.
  cv::Mat img;
  bgr.convertTo(img, CV_32F);
  const double tw = spec.width, th = spec.height;
  switch (spec.resize) {
    case PreprocessSpec::Resize::kStretch:
      return ScaleTo(img, spec.width, spec.height);
    case PreprocessSpec::Resize::kShortSideCenterCrop: {
      // Crop the largest centred window with the target aspect, then scale it.
      const double s = std::min(img.cols / tw, img.rows / th);
      const int cw = SymmetricSpan(img.cols, tw * s), ch = SymmetricSpan(img.rows, th * s);
      const cv::Rect roi((img.cols - cw) / 2, (img.rows - ch) / 2, cw, ch);
      return ScaleTo(img(roi), spec.width, spec.height);
    }
    case PreprocessSpec::Resize::kLetterbox: {
      const double s = std::min(tw / img.cols, th / img.rows);
      const int nw = SymmetricSpan(spec.width, img.cols * s);
      const int nh = SymmetricSpan(spec.height, img.rows * s);
      cv::Mat out(spec.height, spec.width, CV_32FC3, cv::Scalar::all(spec.pad));
      ScaleTo(img, nw, nh)
          .copyTo(out(cv::Rect((spec.width - nw) / 2, (spec.height - nh) / 2, nw, nh)));
      return out;
    }
  }
  return {};
}

cv::Mat MakeBlob(const std::vector<cv::Mat>& bgr, const PreprocessSpec& spec) {
  if (bgr.empty() || spec.width <= 0 || spec.height <= 0) return {};
  for (const cv::Mat& m : bgr) {
    if (m.empty() || m.type() != CV_8UC3) return {};
  }
  const int shape[] = {static_cast<int>(bgr.size()), 3, spec.height, spec.width};
  cv::Mat blob(4, shape, CV_32F);
  for (size_t i = 0; i < bgr.size(); ++i) {
    FillSlot(ResizeForModel(bgr[i], spec), spec, blob, static_cast<int>(i));
  }
  return blob;
}

cv::Mat MakeBlob(const cv::Mat& bgr, const PreprocessSpec& spec) {
  return MakeBlob(std::vector<cv::Mat>{bgr}, spec);
}

cv::Mat FlipBlobHorizontally(const cv::Mat& blob) {
  if (blob.dims != 4 || blob.type() != CV_32F) return {};
  cv::Mat out(blob.dims, blob.size.p, CV_32F);
  const int planes = blob.size[0] * blob.size[1], h = blob.size[2], w = blob.size[3];
  for (int p = 0; p < planes; ++p) {
    const cv::Mat src(h, w, CV_32F, const_cast<float*>(blob.ptr<float>()) + size_t(p) * h * w);
    cv::Mat dst(h, w, CV_32F, out.ptr<float>() + size_t(p) * h * w);
    cv::flip(src, dst, 1);
  }
  return out;
}

}  // namespace alike::embed
