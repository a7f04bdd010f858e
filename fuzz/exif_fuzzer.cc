// EXIF parsing (libexif behind image/exif.h): any blob yields fields, never a crash, and the
// fields keep the ranges exif.h promises.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "image/exif.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const alike::image::ExifFields fields = alike::image::ParseExif(std::span(data, size));
  if (fields.orientation < 0 || fields.orientation > 8) std::abort();
  if (fields.latitude && !(std::fabs(*fields.latitude) <= 90)) std::abort();
  if (fields.longitude && !(std::fabs(*fields.longitude) <= 180)) std::abort();
  return 0;
}
