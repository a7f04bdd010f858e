#include "embed/embedder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "util/crc32c.h"
#include "util/file.h"

namespace alike::embed {

int IndexShortSide(std::span<const Embedder* const> embedders) {
  int side = kIndexShortSide;
  for (const Embedder* e : embedders) {
    const int wanted = e->preferred_short_side();
    if (wanted == 0) return 0;  // full resolution (faces: small ones need every pixel)
    side = std::max(side, wanted);
  }
  return side;
}

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

std::string VersionName(std::string_view version) {
  const size_t slash = version.rfind('/');
  const std::string_view revision =
      slash == std::string_view::npos ? std::string_view() : version.substr(slash);
  const std::string_view head = version.substr(0, slash);
  return std::string(head.substr(0, head.find('-'))) + std::string(revision);
}

std::string VersionFingerprint(std::string_view version) {
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", Crc32c(version.data(), version.size()));
  return hex;
}

}  // namespace alike::embed
