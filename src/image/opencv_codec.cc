#include "image/opencv_codec.h"

#include <climits>
#include <new>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "image/pixels.h"

namespace alike::image {
namespace {

int JpegFlags(int reduction) {
  int flags = cv::IMREAD_COLOR;
  if (reduction == 2) flags = cv::IMREAD_REDUCED_COLOR_2;
  if (reduction == 4) flags = cv::IMREAD_REDUCED_COLOR_4;
  if (reduction == 8) flags = cv::IMREAD_REDUCED_COLOR_8;
  return flags | cv::IMREAD_IGNORE_ORIENTATION;
}

}  // namespace

Result<cv::Mat> DecodeWithOpenCv(std::span<const uint8_t> data, Format format, int reduction) {
  const std::string corrupt = std::string("truncated or corrupt ") + FormatName(format);
  if (data.size() > static_cast<size_t>(INT_MAX)) {
    return Status::InvalidArgument("over 2 GiB: too large for OpenCV to decode");
  }
  try {
    // imdecode only reads its input; the const_cast lets a Mat header wrap the caller's bytes.
    const cv::Mat buffer(1, static_cast<int>(data.size()), CV_8U,
                         const_cast<uint8_t*>(data.data()));
    cv::Mat decoded;
    if (format == Format::kJpeg) {
      // libjpeg converts grey, YCbCr and CMYK/YCCK to BGR itself.
      decoded = cv::imdecode(buffer, JpegFlags(reduction));
    } else {
      // UNCHANGED keeps alpha and 16-bit samples so ToBgr8 can composite and scale them
      // properly (IMREAD_COLOR would drop alpha and leave transparent areas black).
      decoded = cv::imdecode(buffer, cv::IMREAD_UNCHANGED);
      if (!decoded.empty()) decoded = ToBgr8(decoded);
    }
    if (decoded.empty()) return Status::Corruption(corrupt);
    return decoded;
  } catch (const cv::Exception& e) {
    return Status::Corruption(corrupt + " (" + e.err + ")");
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory decoding " + std::string(FormatName(format)));
  }
}

}  // namespace alike::image
