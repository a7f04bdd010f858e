#include "image/heif_items.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace alike::image {
namespace {

using Bytes = std::vector<uint8_t>;

void Put(Bytes* b, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) b->push_back(uint8_t(value >> (8 * i)));
}

// (A loop rather than vector::insert, which GCC 12 at -O3 wrongly warns about.)
template <typename Range>
void Append(Bytes* b, const Range& r) {
  for (auto c : r) b->push_back(uint8_t(c));
}

Bytes MakeBox(const std::string& type, const Bytes& body, bool full = false) {
  Bytes b;
  Put(&b, 8 + (full ? 4 : 0) + body.size(), 4);
  Append(&b, type);
  if (full) Put(&b, 0, 4);  // version 0, no flags
  Append(&b, body);
  return b;
}

Bytes Infe(uint16_t id, const std::string& type) {
  Bytes body = {2, 0, 0, 0};  // version 2
  Put(&body, id, 2);
  Put(&body, 0, 2);  // protection index
  Append(&body, type);
  body.push_back(0);  // item name
  return MakeBox("infe", body);
}

// A HEIF whose meta box declares an overlay (data in idat, 16-bit sizes) and a grid (data at a
// file offset, 32-bit sizes) of the given sizes; `grid_offset_shift` moves the grid's extent.
Bytes MakeHeif(uint32_t grid_w, uint32_t grid_h, uint64_t grid_offset_shift = 0) {
  Bytes iinf;
  Put(&iinf, 2, 2);
  for (const Bytes& e : {Infe(1, "iovl"), Infe(2, "grid")}) Append(&iinf, e);
  Bytes overlay = {0, 0};                                // version, flags: 16-bit sizes
  for (int i = 0; i < 4; ++i) Put(&overlay, 0xFFFF, 2);  // fill colour
  Put(&overlay, 640, 2);
  Put(&overlay, 480, 2);
  Bytes grid = {0, 1, 0, 1};  // version, flags: 32-bit sizes; 1 row, 2 columns
  Put(&grid, grid_w, 4);
  Put(&grid, grid_h, 4);

  const Bytes ftyp = MakeBox("ftyp", {'h', 'e', 'i', 'c', 0, 0, 0, 0, 'm', 'i', 'f', '1'});
  auto build = [&](uint64_t grid_at) {
    Bytes iloc = {(4 << 4) | 4, 0};  // offset and length 4 bytes, no base offset; version 1
    Put(&iloc, 2, 2);
    Put(&iloc, 1, 2);  // item 1
    Put(&iloc, 1, 2);  // construction method 1 (idat)
    Put(&iloc, 0, 2);  // data reference
    Put(&iloc, 1, 2);  // one extent
    Put(&iloc, 0, 4);
    Put(&iloc, overlay.size(), 4);
    Put(&iloc, 2, 2);  // item 2
    Put(&iloc, 0, 2);  // construction method 0 (file)
    Put(&iloc, 0, 2);
    Put(&iloc, 1, 2);
    Put(&iloc, grid_at, 4);
    Put(&iloc, grid.size(), 4);
    Bytes iloc_box = MakeBox("iloc", iloc, true);
    iloc_box[8] = 1;  // version 1
    Bytes meta_body;
    for (const Bytes& b : {MakeBox("iinf", iinf, true), iloc_box, MakeBox("idat", overlay)}) {
      Append(&meta_body, b);
    }
    Bytes file = ftyp;
    const Bytes meta = MakeBox("meta", meta_body, true);
    Append(&file, meta);
    const Bytes mdat = MakeBox("mdat", grid);
    Append(&file, mdat);
    return file;
  };
  const Bytes probe = build(0);
  return build(probe.size() - grid.size() + grid_offset_shift);
}

TEST(HeifItems, LargestCanvasOfGridAndOverlay) {
  auto grid_larger = LargestDerivedCanvas(MakeHeif(5000, 6000));
  ASSERT_TRUE(grid_larger.ok()) << grid_larger.status().ToString();
  ASSERT_TRUE(grid_larger->has_value());
  EXPECT_EQ((*grid_larger)->item_type, "grid");
  EXPECT_EQ((*grid_larger)->width, 5000u);
  EXPECT_EQ((*grid_larger)->height, 6000u);

  auto overlay_larger = LargestDerivedCanvas(MakeHeif(10, 10));
  ASSERT_TRUE(overlay_larger.ok()) << overlay_larger.status().ToString();
  ASSERT_TRUE(overlay_larger->has_value());
  EXPECT_EQ((*overlay_larger)->item_type, "iovl");
  EXPECT_EQ((*overlay_larger)->width, 640u);
  EXPECT_EQ((*overlay_larger)->height, 480u);
}

TEST(HeifItems, ItemDataOutsideTheFileIsCorruption) {
  auto r = LargestDerivedCanvas(MakeHeif(5000, 6000, 1000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
}

TEST(HeifItems, NoMetaOrNoDerivedItemsIsNone) {
  auto none = LargestDerivedCanvas(Bytes{0, 0, 0, 8, 'f', 't', 'y', 'p'});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace alike::image
