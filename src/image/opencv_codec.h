// JPEG, PNG, WebP, TIFF, BMP and PNM through OpenCV's imdecode.
//
// EXIF orientation is never applied here (IMREAD_IGNORE_ORIENTATION / IMREAD_UNCHANGED): OpenCV
// 4.6 honours it for some formats only, so the caller applies it, exactly once, for all.
//
// Thread-safety: pure function over caller-owned bytes; safe to call from any thread.
#ifndef ALIKE_IMAGE_OPENCV_CODEC_H_
#define ALIKE_IMAGE_OPENCV_CODEC_H_

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>

#include "alike/status.h"
#include "image/format.h"

namespace alike::image {

// BGR 8-bit, as stored (not oriented). `reduction` (1, 2, 4 or 8) asks libjpeg to scale during
// the inverse DCT, so a JPEG is never decoded at full size when a smaller one will do; it must
// be 1 for other formats. Throws nothing: cv::Exception and allocation failures become a Status.
Result<cv::Mat> DecodeWithOpenCv(std::span<const uint8_t> data, Format format, int reduction);

}  // namespace alike::image

#endif  // ALIKE_IMAGE_OPENCV_CODEC_H_
