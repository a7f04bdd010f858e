// HEIF family (HEIC, AVIF) through libheif: dimensions from the container boxes without
// decoding, and the primary image decoded to BGR.
//
// libheif applies the container's own rotation and mirroring (irot/imir) while decoding; in HEIF
// those boxes, not EXIF orientation, are authoritative, so callers must not rotate again.
//
// Thread-safety: free functions; each call has its own libheif context, so concurrent calls are
// safe.
#ifndef ALIKE_IMAGE_HEIF_CODEC_H_
#define ALIKE_IMAGE_HEIF_CODEC_H_

#include <cstdint>
#include <opencv2/core.hpp>
#include <optional>
#include <span>
#include <vector>

#include "alike/status.h"
#include "image/format.h"
#include "image/heif_items.h"

namespace alike::image {

struct HeifSize {
  int width = 0;  // Of the primary image, upright (transformations applied).
  int height = 0;
  // The largest canvas a derived item (grid, overlay) declares: decoding allocates it whatever
  // the primary image's size says, so the pixel limit applies to it too.
  std::optional<HeifCanvas> derived_canvas;
};

// Whether this libheif build has a decoder for the format's codec (HEVC for kHeic, AV1 for
// kAvif; kHeif: either).
bool HeifCanDecode(Format format);

Result<HeifSize> ProbeHeif(std::span<const uint8_t> data);

struct HeifPicture {
  cv::Mat bgr;  // Alpha composited onto white; high bit depths reduced to 8 bits by libheif.
  // The primary image's EXIF block (TIFF structure) for its date, camera and GPS fields; empty
  // when absent.
  std::vector<uint8_t> exif;
};

Result<HeifPicture> DecodeHeif(std::span<const uint8_t> data, Format format);

}  // namespace alike::image

#endif  // ALIKE_IMAGE_HEIF_CODEC_H_
