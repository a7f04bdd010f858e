#include "image/format.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace alike::image {
namespace {

bool StartsWith(std::span<const uint8_t> data, std::string_view magic, size_t offset = 0) {
  if (data.size() < offset + magic.size()) return false;
  return std::memcmp(data.data() + offset, magic.data(), magic.size()) == 0;
}

// ISO base media files (HEIF, AVIF) start with an 'ftyp' box: size, "ftyp", major brand, minor
// version, then compatible brands. Phones write major brand "mif1" and list the codec brand
// among the compatible ones, so both places are consulted.
Format SniffIsoBmff(std::span<const uint8_t> data) {
  if (!StartsWith(data, "ftyp", 4) || data.size() < 12) return Format::kUnknown;
  auto classify = [](std::string_view brand) {
    if (brand == "avif" || brand == "avis") return Format::kAvif;
    if (brand == "heic" || brand == "heix" || brand == "heim" || brand == "heis" ||
        brand == "hevc" || brand == "hevx") {
      return Format::kHeic;
    }
    if (brand == "mif1" || brand == "msf1") return Format::kHeif;
    return Format::kUnknown;
  };
  auto brand_at = [&](size_t offset) {
    return std::string_view(reinterpret_cast<const char*>(data.data() + offset), 4);
  };
  Format major = classify(brand_at(8));
  if (major == Format::kAvif || major == Format::kHeic) return major;
  const size_t box_size =
      (size_t{data[0]} << 24) | (size_t{data[1]} << 16) | (size_t{data[2]} << 8) | size_t{data[3]};
  const size_t end = std::min(box_size, data.size());
  Format best = major;
  for (size_t offset = 16; offset + 4 <= end; offset += 4) {
    Format f = classify(brand_at(offset));
    if (f == Format::kAvif || f == Format::kHeic) return f;
    if (f == Format::kHeif) best = f;
  }
  return best;
}

}  // namespace

Format SniffFormat(std::span<const uint8_t> data) {
  if (data.size() >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
    return Format::kJpeg;
  }
  if (StartsWith(data, "\x89PNG\r\n\x1a\n")) return Format::kPng;
  if (StartsWith(data, "GIF87a") || StartsWith(data, "GIF89a")) return Format::kGif;
  if (StartsWith(data, "RIFF") && StartsWith(data, "WEBP", 8)) return Format::kWebp;
  if (StartsWith(data, std::string_view("II*\0", 4)) ||
      StartsWith(data, std::string_view("MM\0*", 4))) {
    return Format::kTiff;
  }
  if (StartsWith(data, "BM") && data.size() >= 26) return Format::kBmp;
  if (data.size() >= 3 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6' &&
      (data[2] == ' ' || data[2] == '\n' || data[2] == '\r' || data[2] == '\t')) {
    return Format::kPnm;
  }
  return SniffIsoBmff(data);
}

const char* FormatName(Format format) {
  switch (format) {
    case Format::kJpeg:
      return "jpeg";
    case Format::kPng:
      return "png";
    case Format::kGif:
      return "gif";
    case Format::kWebp:
      return "webp";
    case Format::kTiff:
      return "tiff";
    case Format::kBmp:
      return "bmp";
    case Format::kPnm:
      return "pnm";
    case Format::kHeic:
      return "heic";
    case Format::kHeif:
      return "heif";
    case Format::kAvif:
      return "avif";
    case Format::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace alike::image
