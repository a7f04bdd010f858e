#include "image/heif_items.h"

#include <algorithm>
#include <map>
#include <vector>

namespace alike::image {
namespace {

// The most bytes of a derived item's data that hold its size: an overlay's version, flags, four
// 16-bit fill values and two 32-bit sizes (ISO/IEC 23008-12, 6.6.2.3 and 6.6.2.2).
constexpr size_t kSizePrefixBytes = 20;

constexpr uint32_t FourCc(const char (&s)[5]) {
  return (uint32_t(uint8_t(s[0])) << 24) | (uint32_t(uint8_t(s[1])) << 16) |
         (uint32_t(uint8_t(s[2])) << 8) | uint32_t(uint8_t(s[3]));
}

Status Corrupt(const std::string& what) {
  return Status::Corruption("truncated or corrupt HEIF (" + what + ")");
}

// Big-endian reads that never pass the end of their span.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> data) : data_(data) {}

  // Reads an unsigned integer of `bytes` (0 to 8) bytes; false past the end.
  bool Read(size_t bytes, uint64_t* value) {
    if (bytes > remaining()) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | data_[pos_ + i];
    pos_ += bytes;
    *value = v;
    return true;
  }
  bool Skip(size_t bytes) {
    if (bytes > remaining()) return false;
    pos_ += bytes;
    return true;
  }
  size_t remaining() const { return data_.size() - pos_; }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

struct Box {
  uint32_t type = 0;
  std::span<const uint8_t> body;
};

// The boxes `data` is made of; stops at the first whose size does not fit (libheif has already
// accepted the structure this far, so what follows a damaged box is not needed).
std::vector<Box> SplitBoxes(std::span<const uint8_t> data) {
  std::vector<Box> boxes;
  Cursor c(data);
  while (c.remaining() >= 8) {
    const std::span<const uint8_t> at = c.rest();
    uint64_t size = 0;
    uint64_t type = 0;
    c.Read(4, &size);
    c.Read(4, &type);
    size_t header = 8;
    if (size == 1) {
      if (!c.Read(8, &size)) break;
      header = 16;
    } else if (size == 0) {
      size = at.size();
    }
    if (size < header || size > at.size()) break;
    boxes.push_back({uint32_t(type), at.subspan(header, size - header)});
    c.Skip(size - header);
  }
  return boxes;
}

// A full box's body after its version and flags.
std::span<const uint8_t> FullBoxBody(std::span<const uint8_t> body, uint8_t* version) {
  if (body.size() < 4) return {};
  *version = body[0];
  return body.subspan(4);
}

// Item id -> type of the derived image items that declare a canvas, from `iinf`.
std::map<uint32_t, uint32_t> DerivedItems(std::span<const uint8_t> iinf_body) {
  std::map<uint32_t, uint32_t> items;
  uint8_t version = 0;
  Cursor c(FullBoxBody(iinf_body, &version));
  uint64_t count = 0;
  if (!c.Read(version == 0 ? 2 : 4, &count)) return items;
  for (const Box& infe : SplitBoxes(c.rest())) {
    if (infe.type != FourCc("infe")) continue;
    uint8_t infe_version = 0;
    Cursor e(FullBoxBody(infe.body, &infe_version));
    uint64_t id = 0;
    uint64_t protection = 0;
    uint64_t type = 0;
    if (infe_version < 2 || !e.Read(infe_version == 2 ? 2 : 4, &id) || !e.Read(2, &protection) ||
        !e.Read(4, &type)) {
      continue;
    }
    if (type == FourCc("grid") || type == FourCc("iovl")) items[uint32_t(id)] = uint32_t(type);
  }
  return items;
}

struct Extent {
  uint64_t offset = 0;
  uint64_t length = 0;  // 0: to the end of the source
};
struct Location {
  uint8_t construction_method = 0;  // 0: file offsets, 1: offsets in `idat`
  uint64_t base_offset = 0;
  std::vector<Extent> extents;
};

// The locations `iloc` gives for the items in `wanted`.
Status ReadLocations(std::span<const uint8_t> iloc_body, const std::map<uint32_t, uint32_t>& wanted,
                     std::map<uint32_t, Location>* locations) {
  uint8_t version = 0;
  Cursor c(FullBoxBody(iloc_body, &version));
  uint64_t sizes = 0;
  uint64_t count = 0;
  if (!c.Read(2, &sizes) || !c.Read(version < 2 ? 2 : 4, &count)) return Corrupt("iloc box");
  const size_t offset_size = (sizes >> 12) & 15;
  const size_t length_size = (sizes >> 8) & 15;
  const size_t base_offset_size = (sizes >> 4) & 15;
  const size_t index_size = version == 1 || version == 2 ? sizes & 15 : 0;
  for (uint64_t i = 0; i < count; ++i) {
    Location loc;
    uint64_t id = 0;
    uint64_t method = 0;
    uint64_t extent_count = 0;
    if (!c.Read(version < 2 ? 2 : 4, &id) ||
        ((version == 1 || version == 2) && !c.Read(2, &method)) || !c.Skip(2) ||
        !c.Read(base_offset_size, &loc.base_offset) || !c.Read(2, &extent_count)) {
      return Corrupt("iloc box");
    }
    loc.construction_method = uint8_t(method & 15);
    for (uint64_t e = 0; e < extent_count; ++e) {
      Extent extent;
      uint64_t index = 0;
      if (!c.Read(index_size, &index) || !c.Read(offset_size, &extent.offset) ||
          !c.Read(length_size, &extent.length)) {
        return Corrupt("iloc box");
      }
      loc.extents.push_back(extent);
    }
    if (wanted.contains(uint32_t(id))) (*locations)[uint32_t(id)] = std::move(loc);
  }
  return Status::OK();
}

// The first kSizePrefixBytes (or fewer) bytes of an item's data. Items built by a method libheif
// lacks yield nothing. A data reference to another file is read as this file's data, as libheif
// 1.15 does (skipping such items let a grid through; found by fuzz_image_decode).
Result<std::vector<uint8_t>> SizePrefix(const Location& loc, std::span<const uint8_t> file,
                                        std::span<const uint8_t> idat) {
  std::vector<uint8_t> prefix;
  if (loc.construction_method > 1) return prefix;
  const std::span<const uint8_t> source = loc.construction_method == 0 ? file : idat;
  for (const Extent& e : loc.extents) {
    if (prefix.size() >= kSizePrefixBytes) break;
    if (loc.base_offset > source.size() || e.offset > source.size() - loc.base_offset) {
      return Corrupt("derived image item data outside the file");
    }
    const uint64_t start = loc.base_offset + e.offset;
    const uint64_t length = e.length == 0 ? source.size() - start : e.length;
    if (length > source.size() - start) {
      return Corrupt("derived image item data outside the file");
    }
    const size_t take = size_t(std::min<uint64_t>(length, kSizePrefixBytes - prefix.size()));
    prefix.insert(prefix.end(), source.begin() + ptrdiff_t(start),
                  source.begin() + ptrdiff_t(start + take));
  }
  return prefix;
}

// The canvas a grid or overlay item's data declares: 16-bit sizes, or 32-bit where flag 1 is
// set, after the grid's rows and columns or the overlay's fill values.
std::optional<HeifCanvas> DeclaredCanvas(uint32_t type, const std::vector<uint8_t>& data) {
  if (data.size() < 2) return std::nullopt;
  const size_t field = (data[1] & 1) != 0 ? 4 : 2;
  Cursor c(data);
  uint64_t width = 0;
  uint64_t height = 0;
  if (!c.Skip(type == FourCc("grid") ? 4 : 10) || !c.Read(field, &width) ||
      !c.Read(field, &height)) {
    return std::nullopt;
  }
  return HeifCanvas{type == FourCc("grid") ? "grid" : "iovl", uint32_t(width), uint32_t(height)};
}

}  // namespace

Result<std::optional<HeifCanvas>> LargestDerivedCanvas(std::span<const uint8_t> file) {
  std::optional<HeifCanvas> largest;
  const std::vector<Box> top = SplitBoxes(file);
  const auto meta =
      std::find_if(top.begin(), top.end(), [](const Box& b) { return b.type == FourCc("meta"); });
  if (meta == top.end()) return largest;
  uint8_t version = 0;
  const std::vector<Box> children = SplitBoxes(FullBoxBody(meta->body, &version));
  std::map<uint32_t, uint32_t> derived;
  for (const Box& b : children) {
    if (b.type == FourCc("iinf")) derived = DerivedItems(b.body);
  }
  if (derived.empty()) return largest;
  std::map<uint32_t, Location> locations;
  std::span<const uint8_t> idat;
  for (const Box& b : children) {
    if (b.type == FourCc("iloc")) ALIKE_RETURN_IF_ERROR(ReadLocations(b.body, derived, &locations));
    if (b.type == FourCc("idat")) idat = b.body;
  }
  for (const auto& [id, loc] : locations) {
    Result<std::vector<uint8_t>> prefix = SizePrefix(loc, file, idat);
    if (!prefix.ok()) return prefix.status();
    const std::optional<HeifCanvas> canvas = DeclaredCanvas(derived.at(id), *prefix);
    if (canvas && (!largest || uint64_t(canvas->width) * canvas->height >
                                   uint64_t(largest->width) * largest->height)) {
      largest = canvas;
    }
  }
  return largest;
}

}  // namespace alike::image
