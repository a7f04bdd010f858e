// Which files under a directory hold a byte string: for tests that check that erased data is
// gone from every file (logs, checkpoints, SQLite WAL), not just from query results.
#ifndef ALIKE_TESTS_TESTING_FILE_SCAN_H_
#define ALIKE_TESTS_TESTING_FILE_SCAN_H_

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

namespace alike::test {

// The regular files under `dir` (recursively) whose bytes contain `needle`.
inline std::vector<std::string> FilesContaining(const std::string& dir,
                                                std::span<const char> needle) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()) != bytes.end()) {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

// The bytes of a float vector as stored.
inline std::span<const char> BytesOf(const std::vector<float>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)};
}

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_FILE_SCAN_H_
