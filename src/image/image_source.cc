// ImageSource's factories (include/alike/image_source.h) and Decoder::DecodeSource, which turns
// any of its forms into the decoder's Image.
#include "alike/image_source.h"

#include <opencv2/imgproc.hpp>

#include "image/decoder.h"
#include "image/pixels.h"

namespace alike {

int ChannelsOf(PixelView::Layout layout) {
  switch (layout) {
    case PixelView::Layout::kGray:
      return 1;
    case PixelView::Layout::kRgb:
    case PixelView::Layout::kBgr:
      return 3;
    case PixelView::Layout::kRgba:
    case PixelView::Layout::kBgra:
      return 4;
  }
  return 0;
}

ImageSource ImageSource::File(std::string path) {
  return ImageSource(Kind::kFile, std::move(path));
}

ImageSource ImageSource::Bytes(std::span<const uint8_t> data, std::string name) {
  ImageSource source(Kind::kBytes, std::move(name));
  source.bytes_ = data;
  return source;
}

ImageSource ImageSource::Pixels(const PixelView& pixels, std::string name) {
  ImageSource source(Kind::kPixels, std::move(name));
  source.pixels_ = pixels;
  return source;
}

namespace image {
namespace {

// The caller's pixels as the pipeline's upright 8-bit BGR, checked first: a view is a pointer
// and numbers the caller vouches for, so every number is checked before memory is touched.
Result<Image> ConvertPixels(const PixelView& view, const DecodeOptions& options) {
  const int channels = ChannelsOf(view.layout);
  if (channels == 0) return Status::InvalidArgument("unknown pixel layout");
  if (view.data == nullptr || view.width <= 0 || view.height <= 0) {
    return Status::InvalidArgument("empty picture (" + std::to_string(view.width) + "x" +
                                   std::to_string(view.height) + " pixels)");
  }
  const uint64_t pixels = uint64_t(view.width) * uint64_t(view.height);
  if (pixels > options.max_pixels) {
    return Status::InvalidArgument(std::to_string(view.width) + "x" + std::to_string(view.height) +
                                   " pixels exceed the limit of " +
                                   std::to_string(options.max_pixels));
  }
  const size_t packed = size_t(view.width) * size_t(channels);
  const size_t row_bytes = view.row_bytes == 0 ? packed : view.row_bytes;
  if (row_bytes < packed) {
    return Status::InvalidArgument("rows of " + std::to_string(row_bytes) + " bytes cannot hold " +
                                   std::to_string(view.width) + " pixels of " +
                                   std::to_string(channels) + " samples");
  }
  // OpenCV only reads through this header; the const_cast is its API's, not a write.
  const cv::Mat in(view.height, view.width, CV_8UC(channels), const_cast<uint8_t*>(view.data),
                   row_bytes);
  cv::Mat bgr;
  switch (view.layout) {
    case PixelView::Layout::kGray:
      cv::cvtColor(in, bgr, cv::COLOR_GRAY2BGR);
      break;
    case PixelView::Layout::kRgb:
      cv::cvtColor(in, bgr, cv::COLOR_RGB2BGR);
      break;
    case PixelView::Layout::kBgr:
      bgr = in.clone();  // the caller's memory is only borrowed for the call
      break;
    case PixelView::Layout::kRgba:
      bgr = ToBgr8(in);  // composites onto white, as decoded PNGs are
      cv::cvtColor(bgr, bgr, cv::COLOR_RGB2BGR);
      break;
    case PixelView::Layout::kBgra:
      bgr = ToBgr8(in);
      break;
  }
  Image image;
  image.format = "pixels";
  image.original_width = view.width;
  image.original_height = view.height;
  image.bgr = ShrinkToShortSide(bgr, options.min_short_side);
  return image;
}

}  // namespace
}  // namespace image

Result<image::Image> image::Decoder::DecodeSource(const ImageSource& source,
                                                  const DecodeOptions& options) const {
  switch (source.kind()) {
    case ImageSource::Kind::kFile:
      return DecodeFile(source.name(), options);
    case ImageSource::Kind::kBytes:
      return Decode(source.bytes(), options, source.name());
    case ImageSource::Kind::kPixels:
      try {
        Result<Image> image = ConvertPixels(source.pixels(), options);
        if (!image.ok()) return image.status().WithContext(source.name());
        return image;
      } catch (const cv::Exception& e) {
        return Status::InvalidArgument(source.name() + ": " + e.err);
      }
  }
  return Status::InvalidArgument(source.name() + ": unknown image source");
}

}  // namespace alike
