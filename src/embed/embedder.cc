#include "embed/embedder.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "util/crc32c.h"
#include "util/file.h"

namespace alike::embed {

void L2Normalize(std::vector<float>& v) {
  // Accumulate in double: 1280 squared floats summed in float lose ~3 digits.
  double sum = 0;
  for (const float x : v) sum += static_cast<double>(x) * x;
  if (sum <= 0 || !std::isfinite(sum)) return;
  const double inv = 1.0 / std::sqrt(sum);
  for (float& x : v) x = static_cast<float>(x * inv);
}

Result<std::string> ModelFileKey(const std::string& path) {
  auto bytes = ReadFileToString(path);
  if (!bytes.ok()) return bytes.status();
  char crc[9];
  std::snprintf(crc, sizeof(crc), "%08x", Crc32c(bytes->data(), bytes->size()));
  return std::filesystem::path(path).filename().string() + "-" + crc + "-" +
         std::to_string(bytes->size());
}

}  // namespace alike::embed
