// CRC-32C (Castagnoli), the checksum behind every record and file alike writes.
//
// Castagnoli rather than the zlib polynomial because x86 computes it in hardware (SSE4.2), so
// checksumming a multi-gigabyte checkpoint costs far less than reading it from disk.
//
// Thread-safety: all functions are pure.
#ifndef ALIKE_UTIL_CRC32C_H_
#define ALIKE_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace alike {

// The CRC-32C of data[0, n), continuing from `crc`, the CRC of whatever came before; so
// Crc32c(b, m, Crc32c(a, n)) == Crc32c of a followed by b, and streams can be checksummed in
// pieces. Uses the SSE4.2 instruction where the build targets it.
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

// The table-driven implementation, always compiled; exposed so tests can check that it and the
// hardware path agree.
uint32_t Crc32cPortable(const void* data, size_t n, uint32_t crc = 0);

// True when Crc32c uses the hardware instruction.
bool Crc32cIsHardwareAccelerated();

// A CRC stored inside data that is itself checksummed (a record inside a checksummed file, say)
// makes the outer CRC degenerate: the CRC of a string with its own CRC appended is a constant.
// Storing a rotated, offset form of the CRC avoids that.
inline uint32_t MaskCrc(uint32_t crc) {
  constexpr uint32_t kMaskDelta = 0xa282ead8u;
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

inline uint32_t UnmaskCrc(uint32_t masked) {
  constexpr uint32_t kMaskDelta = 0xa282ead8u;
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace alike

#endif  // ALIKE_UTIL_CRC32C_H_
