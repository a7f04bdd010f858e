// Preprocessing: how a decoded BGR picture becomes a network input blob. Every model declares
// its own PreprocessSpec (size, resize policy, channel order, normalisation) instead of the
// embedders hard-coding MobileNet's; see model_spec.h for the JSON form.
//
// Geometry is chosen to commute exactly with a horizontal flip (symmetric crops and pads, work
// in float so no 8-bit rounding differs between the two sides): flip-averaging embedders rely
// on embed(flip(x)) == embed(x).
//
// Thread-safety: pure functions of their arguments; safe to call concurrently.
#ifndef ALIKE_EMBED_PREPROCESS_H_
#define ALIKE_EMBED_PREPROCESS_H_

#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

namespace alike::embed {

struct PreprocessSpec {
  enum class Resize {
    kShortSideCenterCrop,  // scale so the picture covers width x height, crop the centre
    kLetterbox,            // scale so it fits inside, pad the rest with `pad` (before mean/scale)
    kStretch,              // scale each axis independently, aspect ignored
  };
  int width = 224;
  int height = 224;
  Resize resize = Resize::kShortSideCenterCrop;
  bool rgb = true;  // channel order of the blob; the input Mat is always BGR
  // Per channel of the *blob* (i.e. after the RGB swap when rgb): value = (x - mean) * scale,
  // x in 0..255. Defaults: the MobileNets' x / 127.5 - 1.
  cv::Scalar mean{127.5, 127.5, 127.5};
  cv::Scalar scale{1 / 127.5, 1 / 127.5, 1 / 127.5};
  double pad = 0;  // letterbox fill, in 0..255 units

  bool operator==(const PreprocessSpec&) const = default;
};

const char* ResizeName(PreprocessSpec::Resize resize);  // "center_crop", "letterbox", "stretch"
// Accepts the names above ("crop" and "short_side_center_crop" too).
Result<PreprocessSpec::Resize> ParseResize(std::string_view name);

// The spec's geometry applied to `bgr` (CV_8UC3): CV_32FC3, height x width, still BGR 0..255.
// Empty input gives an empty Mat.
cv::Mat ResizeForModel(const cv::Mat& bgr, const PreprocessSpec& spec);

// NCHW float blob [1, 3, height, width]. Empty for an empty or non-CV_8UC3 input.
cv::Mat MakeBlob(const cv::Mat& bgr, const PreprocessSpec& spec);
// [N, 3, height, width]; empty if any image is empty or not CV_8UC3.
cv::Mat MakeBlob(const std::vector<cv::Mat>& bgr, const PreprocessSpec& spec);

// Mirrors every image of an NCHW blob left-right (for flip-averaging), into a new blob.
cv::Mat FlipBlobHorizontally(const cv::Mat& blob);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_PREPROCESS_H_
