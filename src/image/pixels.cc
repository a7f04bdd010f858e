#include "image/pixels.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace alike::image {
namespace {

cv::Mat To8Bit(const cv::Mat& in) {
  cv::Mat out;
  switch (in.depth()) {
    case CV_8U:
      return in;
    case CV_16U:
      in.convertTo(out, CV_8U, 1.0 / 257.0);
      return out;
    case CV_32F:
    case CV_64F: {
      cv::Mat clean;
      in.convertTo(clean, CV_32F);
      cv::patchNaNs(clean, 0.0);  // NaN has no 8-bit value; saturate_cast would be undefined.
      clean.convertTo(out, CV_8U, 255.0);
      return out;
    }
    default: {
      // Signed or 32-bit samples have no conventional range: stretch each channel to 0..255.
      std::vector<cv::Mat> planes;
      cv::split(in, planes);
      for (cv::Mat& p : planes) cv::normalize(p, p, 0, 255, cv::NORM_MINMAX, CV_8U);
      cv::merge(planes, out);
      return out;
    }
  }
}

// Composites `color` (grey or BGR, 8-bit) over white using an 8-bit alpha plane.
cv::Mat OverWhite(const cv::Mat& color, const cv::Mat& alpha) {
  cv::Mat out(color.size(), color.type());
  const int cn = color.channels();
  for (int y = 0; y < color.rows; ++y) {
    const uint8_t* c = color.ptr<uint8_t>(y);
    const uint8_t* a = alpha.ptr<uint8_t>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < color.cols; ++x) {
      const int w = a[x];
      for (int k = 0; k < cn; ++k) {
        const int v = c[x * cn + k] * w + 255 * (255 - w);
        o[x * cn + k] = static_cast<uint8_t>((v + 127) / 255);
      }
    }
  }
  return out;
}

}  // namespace

cv::Mat ToBgr8(const cv::Mat& in) {
  cv::Mat m = To8Bit(in);
  std::vector<cv::Mat> planes;
  cv::split(m, planes);
  cv::Mat out;
  switch (planes.size()) {
    case 1:
      cv::cvtColor(planes[0], out, cv::COLOR_GRAY2BGR);
      return out;
    case 2:
      cv::cvtColor(OverWhite(planes[0], planes[1]), out, cv::COLOR_GRAY2BGR);
      return out;
    case 3:
      return m;
    default: {
      cv::Mat bgr;
      cv::merge(std::vector<cv::Mat>{planes[0], planes[1], planes[2]}, bgr);
      if (planes.size() == 4) return OverWhite(bgr, planes[3]);
      return bgr;
    }
  }
}

cv::Mat ApplyOrientation(const cv::Mat& in, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(in, out, 1);
      return out;
    case 3:
      cv::rotate(in, out, cv::ROTATE_180);
      return out;
    case 4:
      cv::flip(in, out, 0);
      return out;
    case 5:
      cv::transpose(in, out);
      return out;
    case 6:
      cv::rotate(in, out, cv::ROTATE_90_CLOCKWISE);
      return out;
    case 7:
      cv::transpose(in, out);
      cv::flip(out, out, -1);
      return out;
    case 8:
      cv::rotate(in, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      return out;
    default:
      return in;
  }
}

cv::Mat ShrinkToShortSide(const cv::Mat& in, int min_short_side) {
  const int short_side = std::min(in.cols, in.rows);
  if (min_short_side <= 0 || short_side <= min_short_side) return in;
  const double scale = static_cast<double>(min_short_side) / short_side;
  cv::Size size(std::max(1, static_cast<int>(std::lround(in.cols * scale))),
                std::max(1, static_cast<int>(std::lround(in.rows * scale))));
  // Keep the shorter side exact whatever the rounding of the longer one.
  if (in.cols <= in.rows) {
    size.width = min_short_side;
  } else {
    size.height = min_short_side;
  }
  cv::Mat out;
  cv::resize(in, out, size, 0, 0, cv::INTER_AREA);
  return out;
}

cv::Mat ShrinkToFit(const cv::Mat& in, int max_side) {
  const int longer = std::max(in.cols, in.rows);
  if (max_side <= 0 || longer <= max_side) return in;
  const double scale = static_cast<double>(max_side) / longer;
  const cv::Size size(std::max(1, static_cast<int>(std::lround(in.cols * scale))),
                      std::max(1, static_cast<int>(std::lround(in.rows * scale))));
  const int whole = longer / max_side;  // >= 1
  cv::Mat out = in;
  if (whole >= 2) {
    // OpenCV takes its fast path only at an exact whole factor: drop the last < whole columns
    // and rows rather than pay for the general one.
    const cv::Size reduced(std::max(1, in.cols / whole), std::max(1, in.rows / whole));
    const cv::Rect exact(0, 0, std::min(in.cols, reduced.width * whole),
                         std::min(in.rows, reduced.height * whole));
    cv::resize(in(exact), out, reduced, 0, 0, cv::INTER_AREA);
  }
  if (out.size() != size) cv::resize(out, out, size, 0, 0, cv::INTER_LINEAR);
  return out;
}

cv::Mat RotateOnGrownCanvas(const cv::Mat& in, double degrees) {
  const cv::Point2f centre(in.cols / 2.0f, in.rows / 2.0f);
  cv::Mat m = cv::getRotationMatrix2D(centre, degrees, 1.0);
  const cv::Rect2f box = cv::RotatedRect(centre, in.size(), float(degrees)).boundingRect2f();
  m.at<double>(0, 2) += box.width / 2.0 - centre.x;
  m.at<double>(1, 2) += box.height / 2.0 - centre.y;
  cv::Mat out;
  cv::warpAffine(in, out, m, cv::Size(int(std::lround(box.width)), int(std::lround(box.height))),
                 cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return out;
}

}  // namespace alike::image
