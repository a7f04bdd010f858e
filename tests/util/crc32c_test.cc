#include "util/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace alike {
namespace {

// Bit-at-a-time definition of CRC-32C: slow but obviously right, the yardstick for both paths.
uint32_t ReferenceCrc32c(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? 0x82f63b78u : 0);
  }
  return ~c;
}

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(Crc32cTest, KnownVectors) {
  const char* check = "123456789";
  EXPECT_EQ(Crc32c(check, 9), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable(check, 9), 0xE3069283u);
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);

  // iSCSI (RFC 3720, appendix B.4) vectors.
  std::vector<uint8_t> buf(32, 0);
  EXPECT_EQ(Crc32c(buf.data(), buf.size()), 0x8A9136AAu);
  std::memset(buf.data(), 0xff, buf.size());
  EXPECT_EQ(Crc32c(buf.data(), buf.size()), 0x62A8AB43u);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(Crc32c(buf.data(), buf.size()), 0x46DD794Eu);
}

TEST(Crc32cTest, ChainingEqualsWholeBuffer) {
  std::vector<uint8_t> data = RandomBytes(1000, 1);
  const uint32_t whole = Crc32c(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t first = Crc32c(data.data(), split);
    ASSERT_EQ(Crc32c(data.data() + split, data.size() - split, first), whole) << split;
    ASSERT_EQ(Crc32cPortable(data.data() + split, data.size() - split, first), whole) << split;
  }
}

TEST(Crc32cTest, HardwareAndPortableAgree) {
  SCOPED_TRACE(Crc32cIsHardwareAccelerated() ? "hardware" : "portable only");
  std::vector<uint8_t> data = RandomBytes((1 << 20) + 64, 2);
  // Every length and misalignment around the 8-byte word size, then a large buffer.
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n = 0; n < 300; ++n) {
      const uint8_t* p = data.data() + offset;
      uint32_t expected = ReferenceCrc32c(p, n);
      ASSERT_EQ(Crc32cPortable(p, n), expected) << offset << " " << n;
      ASSERT_EQ(Crc32c(p, n), expected) << offset << " " << n;
      ASSERT_EQ(Crc32c(p, n, 0x12345678u), Crc32cPortable(p, n, 0x12345678u));
    }
  }
  // Lengths around the multi-stream path's round size (3 x 4 KiB), whose rounds are joined.
  for (size_t n : {12287, 12288, 12289, 24575, 24576, 24583, 1 << 20}) {
    for (size_t offset : {0, 3}) {
      ASSERT_EQ(Crc32c(data.data() + offset, n), Crc32cPortable(data.data() + offset, n)) << n;
      ASSERT_EQ(Crc32c(data.data() + offset, n, 0xdeadbeefu),
                Crc32cPortable(data.data() + offset, n, 0xdeadbeefu))
          << n;
    }
  }
}

TEST(Crc32cTest, MaskRoundTripsAndChangesValue) {
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xffffffffu, 0x80000000u}) {
    EXPECT_NE(MaskCrc(crc), crc);
    EXPECT_EQ(UnmaskCrc(MaskCrc(crc)), crc);
    EXPECT_NE(MaskCrc(MaskCrc(crc)), MaskCrc(crc));
  }
}

}  // namespace
}  // namespace alike
