// The few EXIF fields alike uses, read with libexif: orientation (needed to show the picture
// upright) and the cheap descriptive ones (date, camera, GPS position) for the image catalog.
//
// Thread-safety: pure function over caller-owned bytes; safe to call from any thread.
#ifndef ALIKE_IMAGE_EXIF_H_
#define ALIKE_IMAGE_EXIF_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace alike::image {

struct ExifFields {
  int orientation = 0;              // 1-8 as in the EXIF spec; 0 when absent or out of range.
  std::string date_time;            // DateTimeOriginal (else DateTime), "YYYY:MM:DD HH:MM:SS".
  std::string camera_make;          // Make, trailing blanks removed.
  std::string camera_model;         // Model.
  std::optional<double> latitude;   // Degrees, north positive.
  std::optional<double> longitude;  // Degrees, east positive.
};

// `blob` is a TIFF structure, optionally preceded by "Exif\0\0" (JPEG APP1 style). Malformed or
// missing data yields default fields: EXIF is a nicety, never a reason to refuse a picture.
ExifFields ParseExif(std::span<const uint8_t> blob);

}  // namespace alike::image

#endif  // ALIKE_IMAGE_EXIF_H_
