#include "image/decoder.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <opencv2/core/utils/logger.hpp>
#include <string>

#include "image/format.h"
#include "image/gif_codec.h"
#include "image/header.h"
#include "image/heif_codec.h"
#include "image/image_file.h"
#include "image/opencv_codec.h"
#include "image/pixels.h"

namespace alike::image {
namespace {

// A header's worth of bytes for ProbeFile: JPEG frame headers sit after the EXIF block (up to
// 64 KiB) and ICC profiles; files that need more are read whole.
constexpr uint64_t kProbePrefix = uint64_t{1} << 20;

bool IsHeifFamily(Format f) {
  return f == Format::kHeic || f == Format::kHeif || f == Format::kAvif;
}

std::string PixelLimit(uint64_t max_pixels) {
  if (max_pixels >= 1'000'000 && max_pixels % 1'000'000 == 0) {
    return std::to_string(max_pixels / 1'000'000) + " megapixels";
  }
  return std::to_string(max_pixels) + " pixels";
}

// What the header says, checked against the limits; errors carry no name yet.
struct Inspected {
  Format format = Format::kUnknown;
  int stored_width = 0;  // As stored; HEIF: already upright.
  int stored_height = 0;
  int orientation = 1;
  bool complete = true;
  ExifFields exif;
};

Result<Inspected> Inspect(std::span<const uint8_t> data, const DecodeOptions& options) {
  if (data.empty()) return Status::InvalidArgument("not an image (empty file)");
  if (data.size() > options.max_bytes) {
    return Status::InvalidArgument(std::to_string(data.size()) + " bytes exceeds the limit of " +
                                   std::to_string(options.max_bytes) + " bytes");
  }
  Inspected in;
  in.format = SniffFormat(data);
  if (in.format == Format::kUnknown) {
    return Status::InvalidArgument("not an image (unrecognised header)");
  }
  if (IsHeifFamily(in.format)) {
    Result<HeifSize> size = ProbeHeif(data);
    if (!size.ok()) return size.status();
    in.stored_width = size->width;
    in.stored_height = size->height;
    if (const std::optional<HeifCanvas>& canvas = size->derived_canvas;
        canvas && uint64_t{canvas->width} * canvas->height > options.max_pixels) {
      return Status::InvalidArgument(
          "HEIF " + canvas->item_type + " canvas of " + std::to_string(canvas->width) + "x" +
          std::to_string(canvas->height) + " pixels exceeds the limit of " +
          PixelLimit(options.max_pixels));
    }
  } else {
    Result<Header> header = ReadHeader(data, in.format);
    if (!header.ok()) return header.status();
    in.stored_width = header->width;
    in.stored_height = header->height;
    in.complete = header->complete;
    if (!header->exif.empty()) in.exif = ParseExif(header->exif);
    const int stated = in.format == Format::kTiff ? header->tiff_orientation : in.exif.orientation;
    if (stated >= 1 && stated <= 8) in.orientation = stated;
  }
  const uint64_t pixels =
      static_cast<uint64_t>(in.stored_width) * static_cast<uint64_t>(in.stored_height);
  if (pixels > options.max_pixels) {
    return Status::InvalidArgument(
        std::to_string(in.stored_width) + "x" + std::to_string(in.stored_height) +
        " pixels exceeds the limit of " + PixelLimit(options.max_pixels));
  }
  return in;
}

// The largest JPEG DCT scale-down (8, 4, 2) whose output still has the shorter side the caller
// asked for; libjpeg rounds scaled sizes up.
int ChooseReduction(int width, int height, int min_short_side) {
  if (min_short_side <= 0) return 1;
  const int short_side = std::min(width, height);
  for (int r : {8, 4, 2}) {
    if ((short_side + r - 1) / r >= min_short_side) return r;
  }
  return 1;
}

void QuietenOpenCv() {
  static std::once_flag once;
  std::call_once(once,
                 [] { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR); });
}

Result<Image> DecodeInspected(std::span<const uint8_t> data, const DecodeOptions& options,
                              Inspected in) {
  if (!in.complete) {
    return Status::Corruption(std::string("truncated or corrupt ") + FormatName(in.format) +
                              " (file ends before its end marker)");
  }
  Image image;
  image.format = FormatName(in.format);
  image.exif = std::move(in.exif);
  cv::Mat pixels;
  if (in.format == Format::kGif) {
    Result<cv::Mat> m = DecodeGifFirstFrame(data, options.max_pixels);
    if (!m.ok()) return m.status();
    pixels = std::move(*m);
  } else if (IsHeifFamily(in.format)) {
    if (!HeifCanDecode(in.format)) {
      return Status::NotSupported(std::string("cannot decode ") + image.format +
                                  ": this libheif build has no decoder for its codec");
    }
    Result<HeifPicture> m = DecodeHeif(data, in.format);
    if (!m.ok()) return m.status();
    pixels = std::move(m->bgr);
    if (!m->exif.empty()) image.exif = ParseExif(m->exif);
    // libheif applied the container's own transformations; EXIF orientation is not used.
    in.orientation = 1;
  } else {
    image.reduction =
        in.format == Format::kJpeg
            ? ChooseReduction(in.stored_width, in.stored_height, options.min_short_side)
            : 1;
    Result<cv::Mat> m = DecodeWithOpenCv(data, in.format, image.reduction);
    if (!m.ok()) return m.status();
    pixels = std::move(*m);
  }
  image.orientation = in.orientation;
  // Shrinking first makes the rotation cheap; the shorter side is the same either way round.
  image.bgr = ApplyOrientation(ShrinkToShortSide(pixels, options.min_short_side), in.orientation);
  const bool swap = SwapsAxes(in.orientation);
  image.original_width = swap ? in.stored_height : in.stored_width;
  image.original_height = swap ? in.stored_width : in.stored_height;
  return image;
}

class StandardDecoder : public Decoder {
 public:
  Result<Image> Decode(std::span<const uint8_t> data, const DecodeOptions& options,
                       std::string_view name) const override {
    QuietenOpenCv();
    const std::string label(name);
    // Codec libraries throw (cv::Exception, std::bad_alloc); nothing escapes this boundary.
    try {
      Result<Inspected> in = Inspect(data, options);
      if (!in.ok()) return in.status().WithContext(label);
      Result<Image> image = DecodeInspected(data, options, std::move(*in));
      if (!image.ok()) return image.status().WithContext(label);
      return image;
    } catch (const cv::Exception& e) {
      return Status::Corruption(label + ": cannot decode (" + e.err + ")");
    } catch (const std::bad_alloc&) {
      return Status::Internal(label + ": out of memory while decoding");
    } catch (const std::exception& e) {
      return Status::Internal(label + ": " + e.what());
    }
  }

  Result<ImageInfo> Probe(std::span<const uint8_t> data, const DecodeOptions& options,
                          std::string_view name) const override {
    try {
      Result<Inspected> in = Inspect(data, options);
      if (!in.ok()) return in.status().WithContext(std::string(name));
      ImageInfo info;
      info.format = FormatName(in->format);
      info.orientation = in->orientation;
      const bool swap = SwapsAxes(in->orientation);
      info.width = swap ? in->stored_height : in->stored_width;
      info.height = swap ? in->stored_width : in->stored_height;
      info.file_size = data.size();
      return info;
    } catch (const std::exception& e) {
      return Status::Internal(std::string(name) + ": " + e.what());
    }
  }
};

}  // namespace

Result<Image> Decoder::DecodeFile(const std::string& path, const DecodeOptions& options) const {
  Result<FileBytes> file = ReadImageFile(path, options.max_bytes);
  if (!file.ok()) return file.status();
  return Decode(file->bytes, options, path);
}

Result<ImageInfo> Decoder::ProbeFile(const std::string& path, const DecodeOptions& options) const {
  Result<FileBytes> file = ReadImageFile(path, options.max_bytes, kProbePrefix);
  if (!file.ok()) return file.status();
  Result<ImageInfo> info = Probe(file->bytes, options, path);
  if (!info.ok() && file->bytes.size() < file->file_size) {
    // The header did not fit in the prefix (or libheif wanted the whole file): read it all.
    file = ReadImageFile(path, options.max_bytes);
    if (!file.ok()) return file.status();
    info = Probe(file->bytes, options, path);
  }
  if (info.ok()) info->file_size = file->file_size;
  return info;
}

std::unique_ptr<Decoder> NewDecoder() { return std::make_unique<StandardDecoder>(); }

Result<Image> DecodeFile(const std::string& path, const DecodeOptions& options) {
  return StandardDecoder().DecodeFile(path, options);
}

Result<Image> DecodeMemory(std::span<const uint8_t> data, const DecodeOptions& options,
                           std::string_view name_for_errors) {
  return StandardDecoder().Decode(data, options, name_for_errors);
}

Result<ImageInfo> ProbeFile(const std::string& path, const DecodeOptions& options) {
  return StandardDecoder().ProbeFile(path, options);
}

Result<ImageInfo> ProbeMemory(std::span<const uint8_t> data, std::string_view name_for_errors,
                              const DecodeOptions& options) {
  return StandardDecoder().Probe(data, options, name_for_errors);
}

}  // namespace alike::image
