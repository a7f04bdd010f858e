// Distance kernels. These are the innermost loops of every search and insert, so they use
// AVX-512 or AVX2 with FMA when the build targets a CPU that has them (-march=native) and fall
// back to plain loops, which GCC vectorises less well (float reductions need reassociation).
#include "index/space.h"

// GCC 12's AVX-512 headers build lane extracts on _mm256_undefined_*(), which -Wmaybe-uninitialized
// flags inside the intrinsics themselves; the warning says nothing about this file's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <bit>
#include <cstring>

namespace alike::index {
namespace {

#if defined(__AVX2__) && defined(__FMA__) && !defined(__AVX512F__)
inline float HorizontalSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_hadd_ps(lo, lo);
  lo = _mm_hadd_ps(lo, lo);
  return _mm_cvtss_f32(lo);
}
#endif
#if defined(__AVX512F__)
inline float HorizontalSum(__m512 v) { return _mm512_reduce_add_ps(v); }
#endif

float L2Sqr(const float* a, const float* b, size_t n) {
  size_t i = 0;
  float sum = 0;
#if defined(__AVX512F__)
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (; i + 32 <= n; i += 32) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
    acc0 = _mm512_fmadd_ps(d0, d0, acc0);
    acc1 = _mm512_fmadd_ps(d1, d1, acc1);
  }
  if (i + 16 <= n) {
    __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
    acc0 = _mm512_fmadd_ps(d0, d0, acc0);
    i += 16;
  }
  if (i < n) {  // masked tail: no scalar loop for odd dimensions
    __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1);
    __m512 d0 =
        _mm512_sub_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i));
    acc1 = _mm512_fmadd_ps(d0, d0, acc1);
    i = n;
  }
  sum = HorizontalSum(_mm512_add_ps(acc0, acc1));
#elif defined(__AVX2__) && defined(__FMA__)
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
    acc1 = _mm256_fmadd_ps(d1, d1, acc1);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    acc0 = _mm256_fmadd_ps(d0, d0, acc0);
  }
  sum = HorizontalSum(_mm256_add_ps(acc0, acc1));
#endif
  for (; i < n; ++i) {
    float d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}

float Dot(const float* a, const float* b, size_t n) {
  size_t i = 0;
  float sum = 0;
#if defined(__AVX512F__)
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  if (i + 16 <= n) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    i += 16;
  }
  if (i < n) {
    __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1);
    acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i),
                           acc1);
    i = n;
  }
  sum = HorizontalSum(_mm512_add_ps(acc0, acc1));
#elif defined(__AVX2__) && defined(__FMA__)
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  }
  sum = HorizontalSum(_mm256_add_ps(acc0, acc1));
#endif
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace

float L2SqrDistance(const void* a, const void* b, size_t dim) {
  return L2Sqr(static_cast<const float*>(a), static_cast<const float*>(b), dim);
}

float InnerProductDistance(const void* a, const void* b, size_t dim) {
  return 1.0f - Dot(static_cast<const float*>(a), static_cast<const float*>(b), dim);
}

float HammingDistance(const void* a, const void* b, size_t nbytes) {
  const auto* pa = static_cast<const uint8_t*>(a);
  const auto* pb = static_cast<const uint8_t*>(b);
  uint64_t bits = 0;
  size_t i = 0;
  // memcpy keeps the loads legal for any alignment; it compiles to plain 8-byte loads.
  for (; i + 8 <= nbytes; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, pa + i, 8);
    std::memcpy(&y, pb + i, 8);
    bits += std::popcount(x ^ y);
  }
  for (; i < nbytes; ++i) bits += std::popcount(static_cast<unsigned>(pa[i] ^ pb[i]));
  return static_cast<float>(bits);
}

Space::Space(Metric metric, uint32_t dimension) : metric_(metric), dimension_(dimension) {
  switch (metric) {
    case Metric::kL2:
      fn_ = &L2SqrDistance;
      fn_dim_ = dimension;
      code_size_ = size_t{dimension} * sizeof(float);
      break;
    case Metric::kInnerProduct:
    case Metric::kCosine:
      fn_ = &InnerProductDistance;
      fn_dim_ = dimension;
      code_size_ = size_t{dimension} * sizeof(float);
      break;
    case Metric::kHamming:
      fn_ = &HammingDistance;
      fn_dim_ = dimension / 8;
      code_size_ = dimension / 8;
      break;
  }
}

}  // namespace alike::index
