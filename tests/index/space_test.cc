#include "index/space.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "index/vector_table.h"

namespace alike::index {
namespace {

// The SIMD kernels must agree with the textbook definition for every dimension, including the
// tails that are not a multiple of the vector width.
TEST(SpaceTest, KernelsMatchScalarDefinitionForAllTailLengths) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (size_t dim = 1; dim <= 70; ++dim) {
    std::vector<float> a(dim), b(dim);
    for (size_t i = 0; i < dim; ++i) a[i] = normal(rng), b[i] = normal(rng);
    double l2 = 0, dot = 0;
    for (size_t i = 0; i < dim; ++i) l2 += (a[i] - b[i]) * (a[i] - b[i]), dot += a[i] * b[i];
    EXPECT_NEAR(L2SqrDistance(a.data(), b.data(), dim), l2, 1e-4 * (1 + l2)) << dim;
    EXPECT_NEAR(InnerProductDistance(a.data(), b.data(), dim), 1 - dot, 1e-4 * (1 + std::abs(dot)))
        << dim;
  }
}

TEST(SpaceTest, HammingCountsDifferingBits) {
  std::vector<uint8_t> a(13, 0), b(13, 0);
  b[0] = 0xFF;   // 8 bits
  b[9] = 0x81;   // 2 bits, in the scalar tail
  b[12] = 0x01;  // 1 bit
  EXPECT_EQ(HammingDistance(a.data(), b.data(), a.size()), 11.0f);
  Space space(Metric::kHamming, 104);
  EXPECT_EQ(space.code_size(), 13u);
  EXPECT_EQ(space.Distance(a.data(), b.data()), 11.0f);
}

TEST(SpaceTest, CosineUsesInnerProductOnNormalisedCodes) {
  Space space(Metric::kCosine, 2);
  float a[2] = {1, 0}, b[2] = {0, 1};
  EXPECT_FLOAT_EQ(space.Distance(a, a), 0.0f);
  EXPECT_FLOAT_EQ(space.Distance(a, b), 1.0f);
  EXPECT_EQ(space.code_size(), 8u);
}

TEST(VectorTableTest, GrowsKeepingCodesAndAlignment) {
  VectorTable table(12);
  table.Reserve(3);
  const uint8_t code[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  table.Set(2, code);
  table.Reserve(1000);
  EXPECT_GE(table.capacity(), 1000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(table.code(0)) % 64, 0u);
  EXPECT_EQ(std::memcmp(table.code(2), code, 12), 0);
  EXPECT_EQ(table.code(999)[11], 0);
}

}  // namespace
}  // namespace alike::index
