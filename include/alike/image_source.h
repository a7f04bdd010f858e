// ImageSource: a picture as a caller has it: a file, its encoded bytes in memory, or pixels it
// already decoded (a numpy array, a video frame). Operations on pictures take one ImageSource
// rather than an overload per form, so each operation has one entry point and a new form reaches
// all of them at once.
//
//   auto by_file = alike::ImageSource::File("shoe.jpg");
//   auto by_bytes = alike::ImageSource::Bytes(upload, "upload.jpg");
//   auto by_pixels = alike::ImageSource::Pixels({.data = rgb, .width = w, .height = h});
//
// Nothing is copied: Bytes and Pixels view the caller's memory, which must stay valid and
// unchanged for as long as the call the source is passed to. Pixels are taken as they are
// (upright, no EXIF); a file or bytes are decoded as `alike index` decodes them.
//
// Thread-safety: an ImageSource is an immutable value; copies may be used from any thread.
#ifndef ALIKE_IMAGE_SOURCE_H_
#define ALIKE_IMAGE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace alike {

// 8-bit samples, row after row, `row_bytes` apart (0: packed, width * channels).
struct PixelView {
  enum class Layout { kGray, kRgb, kBgr, kRgba, kBgra };
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  size_t row_bytes = 0;
  Layout layout = Layout::kRgb;  // what numpy users hold (PIL, imageio, matplotlib)
};

// Samples per pixel of a layout: 1, 3 or 4.
int ChannelsOf(PixelView::Layout layout);

class ImageSource {
 public:
  enum class Kind { kFile, kBytes, kPixels };

  static ImageSource File(std::string path);
  // `name` labels error messages and results ("upload.jpg"); the format comes from the bytes.
  static ImageSource Bytes(std::span<const uint8_t> data, std::string name);
  static ImageSource Pixels(const PixelView& pixels, std::string name = "pixels");

  Kind kind() const { return kind_; }
  // The path of a file; the caller's name for bytes and pixels.
  const std::string& name() const { return name_; }
  std::span<const uint8_t> bytes() const { return bytes_; }  // kBytes only
  const PixelView& pixels() const { return pixels_; }        // kPixels only

 private:
  ImageSource(Kind kind, std::string name) : kind_(kind), name_(std::move(name)) {}

  Kind kind_;
  std::string name_;
  std::span<const uint8_t> bytes_;
  PixelView pixels_;
};

}  // namespace alike

#endif  // ALIKE_IMAGE_SOURCE_H_
