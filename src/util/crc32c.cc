#include "util/crc32c.h"

#include <array>
#include <cstring>

#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

namespace alike {
namespace {

// Bit-reflected form of the Castagnoli polynomial 0x1EDC6F41.
constexpr uint32_t kPolynomial = 0x82f63b78u;

// Slicing-by-8 tables: kTables[k][b] is the CRC contribution of byte b followed by k zero bytes,
// which lets the portable path fold eight input bytes per step instead of one.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPolynomial : 0);
    t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

}  // namespace

uint32_t Crc32cPortable(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo;
    uint32_t hi;
    std::memcpy(&lo, p, 4);  // memcpy: the input need not be aligned.
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
        kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xff];
  return ~c;
}

#if defined(__SSE4_2__)

namespace {

// The crc32 instruction has a latency of three cycles but accepts one per cycle, so one dependent
// chain leaves two thirds of it idle. Large inputs are therefore cut into rounds of three stripes
// checksummed as independent chains, then joined: the CRC register is linear, so
// crc(s, A B) = Shift_|B|(crc(s, A)) ^ crc(0, B), where Shift_n feeds n zero bytes.
constexpr size_t kStripe = 4096;

struct ShiftTable {
  uint32_t t[4][256];
};

// Shift by kStripe zero bytes, as four byte-indexed lookups.
const ShiftTable& StripeShift() {
  static const ShiftTable table = [] {
    // Shift is linear, so its image of each single-bit state is enough to build the tables.
    uint32_t column[32];
    for (int bit = 0; bit < 32; ++bit) {
      uint64_t c = uint64_t{1} << bit;
      for (size_t i = 0; i < kStripe; i += 8) c = _mm_crc32_u64(c, 0);
      column[bit] = static_cast<uint32_t>(c);
    }
    ShiftTable s;
    for (int k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (int j = 0; j < 8; ++j) {
          if ((b >> j) & 1) v ^= column[8 * k + j];
        }
        s.t[k][b] = v;
      }
    }
    return s;
  }();
  return table;
}

inline uint32_t Shift(const ShiftTable& s, uint32_t x) {
  return s.t[0][x & 0xff] ^ s.t[1][(x >> 8) & 0xff] ^ s.t[2][(x >> 16) & 0xff] ^ s.t[3][x >> 24];
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);  // memcpy: the input need not be aligned.
  return word;
}

}  // namespace

uint32_t Crc32c(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t c = ~crc;
  if (n >= 3 * kStripe) {
    const ShiftTable& shift = StripeShift();
    while (n >= 3 * kStripe) {
      uint64_t c0 = c;
      uint64_t c1 = 0;
      uint64_t c2 = 0;
      for (size_t i = 0; i < kStripe; i += 8) {
        c0 = _mm_crc32_u64(c0, Load64(p + i));
        c1 = _mm_crc32_u64(c1, Load64(p + kStripe + i));
        c2 = _mm_crc32_u64(c2, Load64(p + 2 * kStripe + i));
      }
      uint32_t joined = Shift(shift, static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
      c = Shift(shift, joined) ^ static_cast<uint32_t>(c2);
      p += 3 * kStripe;
      n -= 3 * kStripe;
    }
  }
  while (n >= 8) {
    c = _mm_crc32_u64(c, Load64(p));
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool Crc32cIsHardwareAccelerated() { return true; }

#else

uint32_t Crc32c(const void* data, size_t n, uint32_t crc) { return Crc32cPortable(data, n, crc); }

bool Crc32cIsHardwareAccelerated() { return false; }

#endif

}  // namespace alike
