#include "image/header.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

namespace alike::image {
namespace {

uint32_t Be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t Be32(const uint8_t* p) { return (Be16(p) << 16) | Be16(p + 2); }
uint32_t Le16(const uint8_t* p) { return (uint32_t{p[1]} << 8) | p[0]; }
uint32_t Le24(const uint8_t* p) { return (uint32_t{p[2]} << 16) | Le16(p); }
uint32_t Le32(const uint8_t* p) { return (Le16(p + 2) << 16) | Le16(p); }

Status Truncated(const char* what) {
  return Status::Corruption(std::string("truncated or corrupt ") + what + " header");
}

// Rejects dimensions no decoder could hold in an int-sized cv::Mat; the megapixel limit is
// applied later by the caller, where the user's configured limit is known.
Status CheckDims(uint64_t width, uint64_t height, const char* what) {
  if (width == 0 || height == 0 || width > 0x7fffffff || height > 0x7fffffff) {
    return Status::Corruption(std::string("corrupt ") + what + " header (" + std::to_string(width) +
                              "x" + std::to_string(height) + " pixels)");
  }
  return Status::OK();
}

Result<Header> ReadJpeg(std::span<const uint8_t> d) {
  Header h;
  size_t pos = 2;
  size_t scan_start = 0;
  while (true) {
    if (pos + 4 > d.size()) return Truncated("JPEG");
    if (d[pos] != 0xFF) return Status::Corruption("corrupt JPEG (bad marker)");
    while (pos < d.size() && d[pos] == 0xFF) ++pos;  // Fill bytes may precede any marker.
    if (pos + 3 > d.size()) return Truncated("JPEG");
    const uint8_t marker = d[pos++];
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // No length field.
    if (marker == 0xD9) return Status::Corruption("corrupt JPEG (ends before any image)");
    const size_t len = Be16(&d[pos]);
    if (len < 2) return Status::Corruption("corrupt JPEG (bad segment length)");
    if (pos + len > d.size()) return Truncated("JPEG");
    std::span<const uint8_t> payload = d.subspan(pos + 2, len - 2);
    if (marker == 0xE1 && h.exif.empty() && payload.size() > 6 &&
        std::memcmp(payload.data(), "Exif\0\0", 6) == 0) {
      h.exif = payload;
    }
    const bool is_sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (is_sof) {
      if (payload.size() < 6) return Truncated("JPEG");
      h.height = static_cast<int>(Be16(&payload[1]));
      h.width = static_cast<int>(Be16(&payload[3]));
      ALIKE_RETURN_IF_ERROR(CheckDims(h.width, h.height, "JPEG"));
      scan_start = pos + len;
      break;
    }
    pos += len;
  }
  // Entropy-coded data never contains FF D9 (a data FF is always followed by 00 or a restart
  // marker), so an FF D9 anywhere after the frame header is the end-of-image marker. It is
  // searched from the end because phones append trailers (Samsung's "SEFT") after it.
  h.complete = false;
  for (size_t i = d.size() - 1; i > scan_start; --i) {
    if (d[i] == 0xD9 && d[i - 1] == 0xFF) {
      h.complete = true;
      break;
    }
  }
  return h;
}

Result<Header> ReadPng(std::span<const uint8_t> d) {
  Header h;
  if (d.size() < 8 + 8 + 13 || std::memcmp(&d[12], "IHDR", 4) != 0) return Truncated("PNG");
  h.width = static_cast<int>(std::min<uint32_t>(Be32(&d[16]), 0x80000000u));
  h.height = static_cast<int>(std::min<uint32_t>(Be32(&d[20]), 0x80000000u));
  ALIKE_RETURN_IF_ERROR(CheckDims(Be32(&d[16]), Be32(&d[20]), "PNG"));
  // Walk the chunks: finds an eXIf block wherever it is and proves IEND is reachable.
  h.complete = false;
  size_t pos = 8;
  while (pos + 8 <= d.size()) {
    const uint64_t len = Be32(&d[pos]);
    const uint8_t* type = &d[pos + 4];
    if (std::memcmp(type, "IEND", 4) == 0) {
      h.complete = true;
      break;
    }
    const uint64_t next = pos + 12 + len;
    if (next > d.size()) break;
    if (std::memcmp(type, "eXIf", 4) == 0 && h.exif.empty()) h.exif = d.subspan(pos + 8, len);
    pos = next;
  }
  return h;
}

Result<Header> ReadGif(std::span<const uint8_t> d) {
  if (d.size() < 13) return Truncated("GIF");
  Header h;
  h.width = static_cast<int>(Le16(&d[6]));
  h.height = static_cast<int>(Le16(&d[8]));
  // The first frame's own descriptor is checked by the GIF decoder; the logical screen is what
  // the decoder allocates.
  ALIKE_RETURN_IF_ERROR(CheckDims(h.width, h.height, "GIF"));
  return h;
}

Result<Header> ReadWebp(std::span<const uint8_t> d) {
  if (d.size() < 30) return Truncated("WebP");
  Header h;
  h.complete = 8 + uint64_t{Le32(&d[4])} <= d.size();
  const uint8_t* chunk = &d[12];
  const uint8_t* p = &d[20];
  if (std::memcmp(chunk, "VP8 ", 4) == 0) {
    if (p[3] != 0x9D || p[4] != 0x01 || p[5] != 0x2A) return Status::Corruption("corrupt WebP");
    h.width = static_cast<int>(Le16(p + 6) & 0x3FFF);
    h.height = static_cast<int>(Le16(p + 8) & 0x3FFF);
  } else if (std::memcmp(chunk, "VP8L", 4) == 0) {
    if (p[0] != 0x2F) return Status::Corruption("corrupt WebP");
    const uint32_t bits = Le32(p + 1);
    h.width = static_cast<int>((bits & 0x3FFF) + 1);
    h.height = static_cast<int>(((bits >> 14) & 0x3FFF) + 1);
  } else if (std::memcmp(chunk, "VP8X", 4) == 0) {
    // OpenCV 4.6 reads still WebP only; say so instead of calling the file corrupt.
    if (p[0] & 0x02) return Status::NotSupported("animated WebP is not supported");
    // Canvas size minus one, 24 bits each; the height ends the 30 bytes checked above.
    h.width = static_cast<int>(Le24(p + 4) + 1);
    h.height = static_cast<int>(Le24(p + 7) + 1);
    // Extended files may carry an EXIF chunk (usually after the image data).
    size_t pos = 12;
    while (pos + 8 <= d.size()) {
      const uint64_t len = Le32(&d[pos + 4]);
      if (pos + 8 + len > d.size()) break;
      if (std::memcmp(&d[pos], "EXIF", 4) == 0) {
        h.exif = d.subspan(pos + 8, len);
        break;
      }
      pos += 8 + len + (len & 1);
    }
  } else {
    return Status::Corruption("corrupt WebP (unknown first chunk)");
  }
  ALIKE_RETURN_IF_ERROR(CheckDims(h.width, h.height, "WebP"));
  return h;
}

Result<Header> ReadBmp(std::span<const uint8_t> d) {
  if (d.size() < 26) return Truncated("BMP");
  Header h;
  const uint32_t info_size = Le32(&d[14]);
  int64_t width, height;
  if (info_size == 12) {
    width = Le16(&d[18]);
    height = Le16(&d[20]);
  } else {
    width = static_cast<int32_t>(Le32(&d[18]));
    height = static_cast<int32_t>(Le32(&d[22]));
    if (height < 0) height = -height;  // Negative height means rows stored top-down.
  }
  if (width < 0) return Status::Corruption("corrupt BMP header (negative width)");
  ALIKE_RETURN_IF_ERROR(CheckDims(width, height, "BMP"));
  h.width = static_cast<int>(width);
  h.height = static_cast<int>(height);
  const uint32_t file_size = Le32(&d[2]);
  const uint32_t pixel_offset = Le32(&d[10]);
  h.complete = pixel_offset < d.size() && file_size <= d.size();
  return h;
}

Result<Header> ReadTiff(std::span<const uint8_t> d) {
  if (d.size() < 8) return Truncated("TIFF");
  const bool le = d[0] == 'I';
  auto u16 = [&](size_t at) { return le ? Le16(&d[at]) : Be16(&d[at]); };
  auto u32 = [&](size_t at) { return le ? Le32(&d[at]) : Be32(&d[at]); };
  const uint64_t ifd = u32(4);
  if (ifd + 2 > d.size()) return Truncated("TIFF");
  const uint32_t count = u16(ifd);
  if (ifd + 2 + uint64_t{count} * 12 > d.size()) return Truncated("TIFF");
  Header h;
  uint64_t width = 0, height = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const size_t e = ifd + 2 + i * 12;
    const uint32_t tag = u16(e);
    const uint32_t type = u16(e + 2);
    // SHORT (3) values sit in the first two bytes of the value field, LONG (4) fill it.
    const uint32_t value = type == 3 ? u16(e + 8) : type == 4 ? u32(e + 8) : 0;
    if (tag == 256) width = value;
    if (tag == 257) height = value;
    if (tag == 274) h.tiff_orientation = static_cast<int>(value);
  }
  ALIKE_RETURN_IF_ERROR(CheckDims(width, height, "TIFF"));
  h.width = static_cast<int>(width);
  h.height = static_cast<int>(height);
  return h;
}

Result<Header> ReadPnm(std::span<const uint8_t> d) {
  size_t pos = 2;
  // Header fields are decimal numbers separated by whitespace, with '#' comments to line end.
  auto next_number = [&](uint64_t* out) {
    while (pos < d.size()) {
      if (d[pos] == '#') {
        while (pos < d.size() && d[pos] != '\n') ++pos;
      } else if (std::isspace(d[pos])) {
        ++pos;
      } else {
        break;
      }
    }
    if (pos >= d.size() || !std::isdigit(d[pos])) return false;
    uint64_t v = 0;
    while (pos < d.size() && std::isdigit(d[pos])) {
      v = v * 10 + (d[pos++] - '0');
      if (v > 0xFFFFFFFFull) return false;
    }
    *out = v;
    return true;
  };
  const char kind = static_cast<char>(d[1]);
  uint64_t width = 0, height = 0, maxval = 1;
  if (!next_number(&width) || !next_number(&height)) return Truncated("PNM");
  if (kind != '1' && kind != '4' && !next_number(&maxval)) return Truncated("PNM");
  if (maxval == 0 || maxval > 65535) return Status::Corruption("corrupt PNM header (maxval)");
  ALIKE_RETURN_IF_ERROR(CheckDims(width, height, "PNM"));
  Header h;
  h.width = static_cast<int>(width);
  h.height = static_cast<int>(height);
  // Binary variants have a fixed raster size after exactly one whitespace byte.
  uint64_t raster = 0;
  const uint64_t sample = maxval > 255 ? 2 : 1;
  if (kind == '4') raster = (width + 7) / 8 * height;
  if (kind == '5') raster = width * height * sample;
  if (kind == '6') raster = width * height * 3 * sample;
  if (raster > 0) h.complete = pos + 1 + raster <= d.size();
  return h;
}

}  // namespace

Result<Header> ReadHeader(std::span<const uint8_t> data, Format format) {
  switch (format) {
    case Format::kJpeg:
      return ReadJpeg(data);
    case Format::kPng:
      return ReadPng(data);
    case Format::kGif:
      return ReadGif(data);
    case Format::kWebp:
      return ReadWebp(data);
    case Format::kBmp:
      return ReadBmp(data);
    case Format::kTiff:
      return ReadTiff(data);
    case Format::kPnm:
      return ReadPnm(data);
    default:
      break;
  }
  return Status::InvalidArgument(std::string("no header reader for ") + FormatName(format));
}

}  // namespace alike::image
