#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "index/flat_index.h"
#include "index/hnsw_index.h"
#include "index/sq8_index.h"
#include "index/vector_index.h"

namespace alike::index {
namespace {

template <typename T>
bool IsA(const std::unique_ptr<VectorIndex>& index) {
  return dynamic_cast<const T*>(index.get()) != nullptr;
}

TEST(IndexFactoryTest, BuildsTheRequestedKind) {
  Space space(Metric::kL2, 8);
  VectorTable table(space.code_size());
  EXPECT_TRUE(IsA<FlatIndex>(NewIndex({.dimension = 8, .index = IndexKind::kFlat}, space, table)));
  EXPECT_TRUE(IsA<HnswIndex>(NewIndex({.dimension = 8, .index = IndexKind::kHnsw}, space, table)));
  EXPECT_TRUE(IsA<Sq8Index>(NewIndex({.dimension = 8, .index = IndexKind::kSq8}, space, table)));
}

// Quantising single bits to bytes would only lose: Hamming collections asking for sq8 get a scan.
TEST(IndexFactoryTest, Sq8FallsBackToFlatForHamming) {
  Space space(Metric::kHamming, 64);
  VectorTable table(space.code_size());
  auto index = NewIndex({.dimension = 64, .metric = Metric::kHamming, .index = IndexKind::kSq8},
                        space, table);
  EXPECT_TRUE(IsA<FlatIndex>(index));
}

// Every kind, for every metric it serves, finds a stored vector as its own nearest neighbour.
TEST(IndexFactoryTest, EveryKindAnswersSearches) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  for (Metric metric : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine, Metric::kHamming}) {
    const uint32_t dim = metric == Metric::kHamming ? 64 : 8;
    Space space(metric, dim);
    VectorTable table(space.code_size());
    const uint32_t n = 200;
    table.Reserve(n);
    for (uint32_t slot = 0; slot < n; ++slot) {
      if (metric == Metric::kHamming) {
        std::vector<uint8_t> bits(space.code_size());
        for (auto& b : bits) b = static_cast<uint8_t>(rng());
        table.Set(slot, bits.data());
      } else {
        std::vector<float> v(dim);
        float norm = 0;
        for (auto& x : v) x = normal(rng), norm += x * x;
        // Unit vectors for every float metric: then a vector is its own nearest under IP too.
        for (auto& x : v) x /= std::sqrt(norm);
        table.Set(slot, v.data());
      }
    }
    for (IndexKind kind : {IndexKind::kFlat, IndexKind::kHnsw, IndexKind::kSq8}) {
      auto index = NewIndex({.dimension = dim, .metric = metric, .index = kind}, space, table);
      ASSERT_NE(index, nullptr);
      index->Reserve(n);
      for (uint32_t slot = 0; slot < n; ++slot) index->Add(slot);
      for (uint32_t slot = 0; slot < n; slot += 17) {
        auto hits = index->Search(table.code(slot), {.k = 1});
        ASSERT_EQ(hits.size(), 1u) << MetricName(metric) << " " << IndexKindName(kind);
        EXPECT_EQ(hits[0].slot, slot) << MetricName(metric) << " " << IndexKindName(kind);
      }
    }
  }
}

}  // namespace
}  // namespace alike::index
