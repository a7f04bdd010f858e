// Image container formats, recognised by their first bytes (never by the file name's extension:
// a JPEG saved as ".png" is still a JPEG, and a text file named ".jpg" is not an image).
//
// Thread-safety: pure functions over caller-owned bytes; safe to call from any thread.
#ifndef ALIKE_IMAGE_FORMAT_H_
#define ALIKE_IMAGE_FORMAT_H_

#include <cstdint>
#include <span>

namespace alike::image {

enum class Format {
  kUnknown = 0,
  kJpeg,
  kPng,
  kGif,
  kWebp,
  kTiff,
  kBmp,
  kPnm,   // PBM, PGM, PPM (binary and ASCII).
  kHeic,  // HEIF holding HEVC images (iPhone photos).
  kHeif,  // HEIF whose brand does not say which codec; libheif finds out.
  kAvif,  // HEIF holding AV1 images.
};

// Looks at the first bytes only; needs no more than 32 to decide.
Format SniffFormat(std::span<const uint8_t> data);

// Stable lower-case name ("jpeg", "png", ...; "unknown"), used in messages and metadata.
const char* FormatName(Format format);

}  // namespace alike::image

#endif  // ALIKE_IMAGE_FORMAT_H_
