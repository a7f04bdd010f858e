// Reads an image's pixel dimensions, its EXIF block and whether its end marker is present from
// the container's own header, without decoding a pixel. This is what lets the decoder refuse a
// 100000x100000 PNG (a "decompression bomb" of a few kilobytes) before any large allocation, and
// notice a truncated file that a codec library would otherwise pad with grey.
//
// HEIF/AVIF are not handled here: their boxes are parsed by libheif (see heif_codec.h).
//
// Thread-safety: pure functions over caller-owned bytes; safe to call from any thread.
#ifndef ALIKE_IMAGE_HEADER_H_
#define ALIKE_IMAGE_HEADER_H_

#include <cstdint>
#include <span>

#include "alike/status.h"
#include "image/format.h"

namespace alike::image {

struct Header {
  // Dimensions as stored in the file, before any EXIF orientation is applied.
  int width = 0;
  int height = 0;
  // The EXIF block (a TIFF structure, possibly preceded by "Exif\0\0"); a view into the caller's
  // bytes, empty when the file has none.
  std::span<const uint8_t> exif;
  // TIFF files carry their orientation in their own first directory; 0 when not stated.
  int tiff_orientation = 0;
  // False when the bytes end before the format's end marker (JPEG EOI, PNG IEND, the RIFF size
  // of a WebP, the pixel offset of a BMP, the raster size of a binary PNM).
  bool complete = true;
};

// Fails (Corruption, message without any file name) when the header itself is cut short or
// malformed. Formats without a parser here (kUnknown, HEIF family) are InvalidArgument.
Result<Header> ReadHeader(std::span<const uint8_t> data, Format format);

}  // namespace alike::image

#endif  // ALIKE_IMAGE_HEADER_H_
