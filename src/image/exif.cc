#include "image/exif.h"

#include <libexif/exif-data.h>
#include <libexif/exif-utils.h>

#include <cstring>
#include <memory>
#include <vector>

namespace alike::image {
namespace {

struct ExifDataDeleter {
  void operator()(ExifData* d) const { exif_data_unref(d); }
};
using ExifDataPtr = std::unique_ptr<ExifData, ExifDataDeleter>;

std::string AsciiValue(ExifContent* ifd, ExifTag tag) {
  ExifEntry* e = exif_content_get_entry(ifd, tag);
  if (e == nullptr || e->format != EXIF_FORMAT_ASCII || e->data == nullptr) return "";
  std::string s(reinterpret_cast<const char*>(e->data), e->size);
  s.resize(std::strlen(s.c_str()));  // Stop at the first NUL.
  while (!s.empty() && (s.back() == ' ')) s.pop_back();
  return s;
}

// GPS coordinates are three rationals (degrees, minutes, seconds) plus an N/S or E/W reference.
// A value past `max_degrees` (90 for latitude, 180 for longitude) is damage, not a place.
std::optional<double> Coordinate(ExifData* d, ExifTag value_tag, ExifTag ref_tag, char negative_ref,
                                 double max_degrees) {
  ExifContent* gps = d->ifd[EXIF_IFD_GPS];
  ExifEntry* e = exif_content_get_entry(gps, value_tag);
  if (e == nullptr || e->format != EXIF_FORMAT_RATIONAL || e->components < 3 || e->size < 24) {
    return std::nullopt;
  }
  const ExifByteOrder order = exif_data_get_byte_order(d);
  double parts[3];
  for (int i = 0; i < 3; ++i) {
    ExifRational r = exif_get_rational(e->data + 8 * i, order);
    if (r.denominator == 0) return std::nullopt;
    parts[i] = static_cast<double>(r.numerator) / r.denominator;
  }
  double degrees = parts[0] + parts[1] / 60.0 + parts[2] / 3600.0;
  if (!(degrees <= max_degrees)) return std::nullopt;
  const std::string ref = AsciiValue(gps, ref_tag);
  if (!ref.empty() && ref[0] == negative_ref) degrees = -degrees;
  return degrees;
}

}  // namespace

ExifFields ParseExif(std::span<const uint8_t> blob) {
  ExifFields out;
  if (blob.size() < 8) return out;
  // libexif wants the APP1 form; PNG eXIf and some WebP EXIF chunks hold the bare TIFF part.
  std::vector<uint8_t> prefixed;
  if (std::memcmp(blob.data(), "Exif\0\0", 6) != 0) {
    static constexpr uint8_t kPrefix[6] = {'E', 'x', 'i', 'f', 0, 0};
    prefixed.reserve(blob.size() + 6);
    prefixed.insert(prefixed.end(), kPrefix, kPrefix + 6);
    prefixed.insert(prefixed.end(), blob.begin(), blob.end());
    blob = prefixed;
  }
  ExifDataPtr d(exif_data_new());
  if (d == nullptr) return out;
  // Following the specification would make libexif "repair" the data by adding entries; alike
  // only reads.
  exif_data_unset_option(d.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
  exif_data_load_data(d.get(), blob.data(), static_cast<unsigned int>(blob.size()));
  const ExifByteOrder order = exif_data_get_byte_order(d.get());

  ExifEntry* o = exif_content_get_entry(d->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
  if (o != nullptr && o->format == EXIF_FORMAT_SHORT && o->size >= 2) {
    const int v = exif_get_short(o->data, order);
    if (v >= 1 && v <= 8) out.orientation = v;
  }
  out.date_time = AsciiValue(d->ifd[EXIF_IFD_EXIF], EXIF_TAG_DATE_TIME_ORIGINAL);
  if (out.date_time.empty()) out.date_time = AsciiValue(d->ifd[EXIF_IFD_0], EXIF_TAG_DATE_TIME);
  out.camera_make = AsciiValue(d->ifd[EXIF_IFD_0], EXIF_TAG_MAKE);
  out.camera_model = AsciiValue(d->ifd[EXIF_IFD_0], EXIF_TAG_MODEL);
  out.latitude = Coordinate(d.get(), static_cast<ExifTag>(EXIF_TAG_GPS_LATITUDE),
                            static_cast<ExifTag>(EXIF_TAG_GPS_LATITUDE_REF), 'S', 90);
  out.longitude = Coordinate(d.get(), static_cast<ExifTag>(EXIF_TAG_GPS_LONGITUDE),
                             static_cast<ExifTag>(EXIF_TAG_GPS_LONGITUDE_REF), 'W', 180);
  return out;
}

}  // namespace alike::image
