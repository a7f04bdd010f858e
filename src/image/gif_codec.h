// GIF decoding with giflib: the first frame only (animated GIFs are indexed by their first
// picture), composited on the logical screen.
//
// OpenCV 4.6 has no GIF reader, hence giflib. Frames are read record by record instead of with
// DGifSlurp, so a long animation is never held in memory.
//
// Thread-safety: pure function over caller-owned bytes; safe to call from any thread.
#ifndef ALIKE_IMAGE_GIF_CODEC_H_
#define ALIKE_IMAGE_GIF_CODEC_H_

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>

#include "alike/status.h"

namespace alike::image {

// BGR, logical-screen sized. Areas outside the first frame and transparent pixels are white
// (the same convention as alpha elsewhere). Errors carry no file name.
Result<cv::Mat> DecodeGifFirstFrame(std::span<const uint8_t> data, uint64_t max_pixels);

}  // namespace alike::image

#endif  // ALIKE_IMAGE_GIF_CODEC_H_
