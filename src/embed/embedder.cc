#include "embed/embedder.h"

#include <cmath>

namespace alike::embed {

void L2Normalize(std::vector<float>& v) {
  // Accumulate in double: 1280 squared floats summed in float lose ~3 digits.
  double sum = 0;
  for (const float x : v) sum += static_cast<double>(x) * x;
  if (sum <= 0 || !std::isfinite(sum)) return;
  const double inv = 1.0 / std::sqrt(sum);
  for (float& x : v) x = static_cast<float>(x * inv);
}

}  // namespace alike::embed
