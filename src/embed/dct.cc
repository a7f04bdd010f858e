#include "embed/dct.h"

#include <cmath>
#include <numbers>

namespace alike::embed {

LowFrequencyDct::LowFrequencyDct(int n, int k) : n_(n), k_(k), basis_(size_t(k) * n) {
  // The scale is a float and each product is rounded to float once, as in PDQ's reference;
  // another rounding would flip hash bits that sit on the median.
  const float scale = static_cast<float>(std::sqrt(2.0 / n));
  for (int i = 0; i < k; ++i) {
    for (int x = 0; x < n; ++x) {
      basis_[size_t(i) * n + x] =
          static_cast<float>(scale * std::cos(std::numbers::pi / 2.0 / n * (i + 1) * (2 * x + 1)));
    }
  }
}

void LowFrequencyDct::Transform(const float* in, float* out) const {
  const size_t n = n_, k = k_;
  // T = D A (k x n). The loop order accumulates every T[i][x] over y in ascending order, like the
  // reference's inner product, while letting the compiler vectorise across x.
  std::vector<float> t(k * n, 0.0f);
  for (size_t i = 0; i < k; ++i) {
    float* row = &t[i * n];
    for (size_t y = 0; y < n; ++y) {
      const float d = basis_[i * n + y];
      const float* a = in + y * n;
      for (size_t x = 0; x < n; ++x) row[x] += d * a[x];
    }
  }
  // B = T D^T (k x k).
  for (size_t i = 0; i < k; ++i) {
    for (size_t j = 0; j < k; ++j) {
      float sum = 0.0f;
      for (size_t x = 0; x < n; ++x) sum += t[i * n + x] * basis_[j * n + x];
      out[i * k + j] = sum;
    }
  }
}

}  // namespace alike::embed
