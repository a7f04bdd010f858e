// Comma-separated lists, as settings and command-line options write them ("cnn,color"), and
// bytes as hex digits (content hashes, binary vectors).
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

// Two lower-case hex digits per byte, first byte first.
std::string HexString(std::span<const uint8_t> bytes);

// 16 hex digits of the 64-bit FNV-1a hash of `text`: a short name derived from content that every
// process and build computes alike (std::hash need not); not for adversaries.
std::string StableHashHex(std::string_view text);
// The inverse (either case). InvalidArgument naming `what` ("\"binary\" has a non-hex character
// 'g' at position 3") for an odd number of digits or a character that is not one.
Result<std::vector<uint8_t>> ParseHex(std::string_view hex, std::string_view what);

}  // namespace alike

#endif  // ALIKE_UTIL_TEXT_H_
