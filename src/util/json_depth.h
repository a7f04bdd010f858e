// A guard against hostile JSON: nlohmann::json parses iteratively but dumps and destroys
// recursively, so a document nested a million levels deep would exhaust the stack later, far
// from where it came in. Callers check raw text with this before parsing it.
#ifndef ALIKE_UTIL_JSON_DEPTH_H_
#define ALIKE_UTIL_JSON_DEPTH_H_

#include <cstddef>
#include <string_view>

namespace alike {

// The 1-based byte offset of the first '{' or '[' (outside strings) that opens a level deeper
// than max_depth, or 0 if the text never nests that deep. Malformed text is not diagnosed here;
// the parser reports it.
size_t FindJsonNestingOverflow(std::string_view text, int max_depth);

}  // namespace alike

#endif  // ALIKE_UTIL_JSON_DEPTH_H_
