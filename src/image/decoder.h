// Decoding image files into the pixels the rest of alike works on: 8-bit, 3-channel BGR
// cv::Mats, upright (EXIF orientation applied exactly once), optionally shrunk while loading.
//
//   alike::image::DecodeOptions opts{.min_short_side = 256};
//   auto img = alike::image::DecodeFile("IMG_0001.jpg", opts);
//   if (!img.ok()) { std::cerr << img.status().message() << "\n"; ... }   // "<path>: <reason>"
//
// The format is recognised from the first bytes, never from the extension. Supported: JPEG,
// PNG, WebP, TIFF, BMP, PNM (OpenCV), GIF first frame (giflib), HEIC/HEIF/AVIF (libheif, when it
// has the codec). Transparency is composited onto white; 16-bit samples are scaled to 8 bits;
// grey and palette images become BGR.
//
// Hostile input is refused before any large allocation: the pixel dimensions are read from the
// file's header and checked against max_pixels, the byte size against max_bytes, and a file
// without its end marker (a truncated JPEG or PNG) is an error rather than a half-grey picture.
// Every error message is one line naming the file (or the caller's name for in-memory data).
//
// Thread-safety: Decoder implementations are immutable; every function and method here may be
// called concurrently from any number of threads. The first decode quietens OpenCV's
// process-wide log level to errors (OpenCV warns on stderr for inputs alike already reports).
#ifndef ALIKE_IMAGE_DECODER_H_
#define ALIKE_IMAGE_DECODER_H_

#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "alike/image_source.h"
#include "alike/status.h"
#include "image/exif.h"

namespace alike::image {

struct DecodeOptions {
  // Images whose header claims more pixels than this are refused unread.
  uint64_t max_pixels = 100'000'000;
  // Files (or buffers) larger than this are refused unread.
  uint64_t max_bytes = uint64_t{256} << 20;
  // The smallest shorter side the caller needs (e.g. 256 for a 224-pixel model); larger
  // pictures come back shrunk (INTER_AREA, aspect kept) so their shorter side equals it, and
  // JPEGs are decoded at 1/2, 1/4 or 1/8 scale when that still covers it. Smaller pictures are
  // never enlarged. 0: full resolution.
  int min_short_side = 0;
};

// What a header says, without decoding pixels.
struct ImageInfo {
  std::string
      format;     // "jpeg", "png", "gif", "webp", "tiff", "bmp", "pnm", "heic", "heif", "avif".
  int width = 0;  // Upright: after EXIF orientation.
  int height = 0;
  int orientation = 1;  // EXIF orientation 1-8 (1 when absent; HEIF: always 1, see below).
  uint64_t file_size = 0;
};

struct Image {
  cv::Mat bgr;             // CV_8UC3, upright, possibly shrunk (see min_short_side).
  int original_width = 0;  // Full-resolution size of the upright picture.
  int original_height = 0;
  std::string format;  // As in ImageInfo.
  // The EXIF orientation that was applied (1 = none). HEIF rotation comes from the container
  // (irot/imir boxes), which libheif applies itself; its EXIF orientation is ignored, per spec.
  int orientation = 1;
  int reduction = 1;  // JPEG DCT scale-down used while decoding: 1, 2, 4 or 8.
  // Date, camera, GPS when the file has them. exif.orientation is the raw tag, which for HEIF
  // may differ from `orientation` above.
  ExifFields exif;
};

// The decoding seam: code that needs pictures (embedders, the catalog) takes a Decoder so tests
// can hand it canned images.
class Decoder {
 public:
  virtual ~Decoder() = default;

  // `name` only labels error messages ("<name>: truncated or corrupt jpeg").
  virtual Result<Image> Decode(std::span<const uint8_t> data, const DecodeOptions& options,
                               std::string_view name) const = 0;
  virtual Result<ImageInfo> Probe(std::span<const uint8_t> data, const DecodeOptions& options,
                                  std::string_view name) const = 0;

  // Reads the file (refusing directories, FIFOs, oversize files, ...) then calls Decode.
  Result<Image> DecodeFile(const std::string& path, const DecodeOptions& options) const;
  // Any form of picture a caller holds: a file (DecodeFile), bytes (Decode) or pixels, which are
  // checked against the limits, converted to BGR (copied: the caller's memory is borrowed) and
  // shrunk like decoded files; their name labels errors.
  Result<Image> DecodeSource(const ImageSource& source, const DecodeOptions& options) const;
  // Reads only as much of the file as the header needs, then calls Probe.
  Result<ImageInfo> ProbeFile(const std::string& path, const DecodeOptions& options) const;
};

// The real decoder described at the top of this file.
std::unique_ptr<Decoder> NewDecoder();

// Shorthands using the real decoder.
Result<Image> DecodeFile(const std::string& path, const DecodeOptions& options = {});
Result<Image> DecodeMemory(std::span<const uint8_t> data, const DecodeOptions& options,
                           std::string_view name_for_errors);
Result<ImageInfo> ProbeFile(const std::string& path, const DecodeOptions& options = {});
Result<ImageInfo> ProbeMemory(std::span<const uint8_t> data, std::string_view name_for_errors,
                              const DecodeOptions& options = {});

}  // namespace alike::image

#endif  // ALIKE_IMAGE_DECODER_H_
