// The output canvas that derived image items of a HEIF file declare (`grid` and `iovl`), read
// from the container's boxes. libheif 1.15 reports the primary item's `ispe` size, but allocates a
// grid's or an overlay's canvas from that item's own data while decoding: a file whose `ispe`
// says 64x64 can make it allocate hundreds of megabytes. Reading the declared canvases first lets
// the decoder refuse such a file before any pixel buffer exists.
//
// Thread-safety: a pure function.
#ifndef ALIKE_IMAGE_HEIF_ITEMS_H_
#define ALIKE_IMAGE_HEIF_ITEMS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "alike/status.h"

namespace alike::image {

struct HeifCanvas {
  std::string item_type;  // "grid" or "iovl"
  uint32_t width = 0;
  uint32_t height = 0;
};

// The largest canvas (by pixel count) any derived image item of the file declares, or nullopt
// when it has none. A derived item whose data lies outside the file is kCorruption; one whose
// data is too short to declare a size is skipped (libheif refuses it when decoding).
Result<std::optional<HeifCanvas>> LargestDerivedCanvas(std::span<const uint8_t> file);

}  // namespace alike::image

#endif  // ALIKE_IMAGE_HEIF_ITEMS_H_
