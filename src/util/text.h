// Comma-separated lists, as settings and command-line options write them ("cnn,color"), and
// bytes as hex digits (binary vectors, hashes).
//
// Thread-safety: pure functions.
#ifndef ALIKE_UTIL_TEXT_H_
#define ALIKE_UTIL_TEXT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

namespace alike {

// "a,,b" -> {"a", "b"}: empty items are dropped.
std::vector<std::string> SplitList(std::string_view text, char separator = ',');
std::string JoinList(const std::vector<std::string>& items, std::string_view separator = ",");

// Lower-case hex, two digits per byte.
std::string ToHex(std::span<const uint8_t> bytes);
// Either case; an odd count or a non-hex digit is kInvalidArgument naming it.
Result<std::vector<uint8_t>> FromHex(std::string_view hex);

}  // namespace alike

#endif  // ALIKE_UTIL_TEXT_H_
