#include "util/growable_region.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>

namespace alike {
namespace {

// Fills bytes [0, n) with a pattern that differs from page to page.
void Fill(GrowableRegion& region, size_t n) {
  for (size_t i = 0; i < n; ++i) region.data()[i] = static_cast<uint8_t>(i * 7 + i / 4096);
}

bool Holds(const GrowableRegion& region, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (region.data()[i] != static_cast<uint8_t>(i * 7 + i / 4096)) return false;
  }
  return true;
}

bool ZeroFrom(const GrowableRegion& region, size_t from) {
  return std::all_of(region.data() + from, region.data() + region.size(),
                     [](uint8_t b) { return b == 0; });
}

TEST(GrowableRegionTest, StartsEmptyAndGrowsZeroed) {
  GrowableRegion region;
  EXPECT_EQ(region.data(), nullptr);
  EXPECT_EQ(region.size(), 0u);
  region.Grow(100);
  ASSERT_NE(region.data(), nullptr);
  EXPECT_GE(region.size(), 100u);
  EXPECT_TRUE(ZeroFrom(region, 0));
}

TEST(GrowableRegionTest, GrowingKeepsTheBytesAndZeroesTheRest) {
  GrowableRegion region;
  size_t written = 0;
  // From below a page, past the 2 MiB where huge-page alignment starts, to tens of MiB.
  for (size_t size :
       {size_t{3000}, size_t{70000}, size_t{3} << 20, size_t{5} << 20, size_t{40} << 20}) {
    region.Grow(size);
    ASSERT_GE(region.size(), size);
    ASSERT_TRUE(Holds(region, written)) << "lost bytes growing to " << size;
    ASSERT_TRUE(ZeroFrom(region, written)) << "new bytes not zero growing to " << size;
    Fill(region, size);
    written = size;
  }
  if (region.size() >= (size_t{2} << 20)) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(region.data()) % (size_t{2} << 20), 0u);
  }
}

TEST(GrowableRegionTest, ShrinkingIsANoOp) {
  GrowableRegion region;
  region.Grow(10000);
  Fill(region, 10000);
  const size_t size = region.size();
  region.Grow(10);
  EXPECT_EQ(region.size(), size);
  EXPECT_TRUE(Holds(region, 10000));
}

TEST(GrowableRegionTest, MovesOwnership) {
  GrowableRegion a;
  a.Grow(8192);
  Fill(a, 8192);
  GrowableRegion b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(Holds(b, 8192));
  GrowableRegion c;
  c.Grow(100);
  c = std::move(b);
  EXPECT_TRUE(Holds(c, 8192));
}

// Growing moves pages instead of copying them, so the bytes written count once in the
// process's resident memory, and reserved pages never written count not at all.
TEST(GrowableRegionTest, UntouchedCapacityIsNotResident) {
  auto rss_kib = [] {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1L;
  };
  const long before = rss_kib();
  if (before < 0) GTEST_SKIP() << "no /proc/self/status VmRSS on this system";
  GrowableRegion region;
  region.Grow(size_t{256} << 20);
  Fill(region, size_t{64} << 20);
  region.Grow(size_t{512} << 20);
  const long grown = rss_kib() - before;
  // 64 MiB written; a copying growth would have made it 128, and touching the reserve 512.
  EXPECT_GE(grown, 60L << 10);
  EXPECT_LT(grown, 100L << 10);
}

}  // namespace
}  // namespace alike
