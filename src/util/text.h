// Comma-separated lists, as settings and command-line options write them ("cnn,color").
//
// Thread-safety: pure functions.
#ifndef ALIKE_UTIL_TEXT_H_
#define ALIKE_UTIL_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace alike {

// "a,,b" -> {"a", "b"}: empty items are dropped.
std::vector<std::string> SplitList(std::string_view text, char separator = ',');
std::string JoinList(const std::vector<std::string>& items, std::string_view separator = ",");

}  // namespace alike

#endif  // ALIKE_UTIL_TEXT_H_
