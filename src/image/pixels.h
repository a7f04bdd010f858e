// Pixel normalisation and geometry shared by every codec path: whatever a codec produced (grey,
// grey+alpha, BGRA, 16-bit, float), the pipeline sees 8-bit, 3-channel BGR.
//
// Transparency is composited onto white rather than dropped: the colour under fully transparent
// pixels is arbitrary (often black), and a product photo cut out on a transparent background
// should look like the same product shot on a white one.
//
// Thread-safety: pure functions; safe to call from any thread.
#ifndef ALIKE_IMAGE_PIXELS_H_
#define ALIKE_IMAGE_PIXELS_H_

#include <opencv2/core.hpp>

namespace alike::image {

// Any depth, 1 to 4 channels (more: the first three are used) -> CV_8UC3. 16-bit is scaled by
// 1/257, float is taken as [0, 1], signed and 32-bit integer images are stretched min..max.
// May throw cv::Exception (callers catch at their boundary).
cv::Mat ToBgr8(const cv::Mat& in);

// Applies EXIF orientation 1-8 (anything else: unchanged) so the picture is upright.
cv::Mat ApplyOrientation(const cv::Mat& in, int orientation);

// Orientations 5-8 swap width and height.
inline bool SwapsAxes(int orientation) { return orientation >= 5 && orientation <= 8; }

// Shrinks (INTER_AREA, never enlarges) so the shorter side equals min_short_side; 0 = unchanged.
cv::Mat ShrinkToShortSide(const cv::Mat& in, int min_short_side);

// Shrinks (never enlarges) so the longer side is at most max_side, aspect kept, the cheap way:
// INTER_AREA by the whole part of the factor (OpenCV's fast path), then INTER_LINEAR for the
// rest, which at a factor under 2 samples every pixel. OpenCV's INTER_AREA at a fractional
// factor costs 5-8x that (640x480 -> 341x256: 1.6 ms against 0.2), the price of a descriptor.
cv::Mat ShrinkToFit(const cv::Mat& in, int max_side);

// Turned `degrees` counter-clockwise about the centre on a canvas grown to hold every pixel, the
// corners filled black.
cv::Mat RotateOnGrownCanvas(const cv::Mat& in, double degrees);

}  // namespace alike::image

#endif  // ALIKE_IMAGE_PIXELS_H_
