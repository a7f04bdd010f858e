#include "index/sq8_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "index/flat_index.h"
#include "testing/fn_filter.h"

namespace alike::index {
namespace {

// Clustered vectors, the shape of real embeddings: near neighbours are close together and the
// quantisation error has to be small next to the gaps inside a cluster.
std::vector<std::vector<float>> Clustered(size_t n, size_t dim, Metric metric, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  const size_t clusters = 50;
  std::vector<std::vector<float>> centers(clusters, std::vector<float>(dim));
  for (auto& c : centers) {
    for (auto& x : c) x = normal(rng);
  }
  std::vector<std::vector<float>> out(n, std::vector<float>(dim));
  for (auto& v : out) {
    const auto& c = centers[rng() % clusters];
    double norm = 0;
    for (size_t i = 0; i < dim; ++i) v[i] = c[i] + 0.3f * normal(rng), norm += double{v[i]} * v[i];
    if (metric == Metric::kCosine) {
      for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
    }
  }
  return out;
}

// `n` vectors in slots 0..n-1 of the table and `n_queries` more from the same clusters, which
// are not stored.
struct Fixture {
  Fixture(Metric metric, size_t dim, size_t n, size_t n_queries = 0)
      : space(metric, static_cast<uint32_t>(dim)), table(space.code_size()) {
    vectors = Clustered(n + n_queries, dim, metric, 1);
    queries.assign(vectors.begin() + static_cast<ptrdiff_t>(n), vectors.end());
    vectors.resize(n);
    table.Reserve(n);
    for (size_t i = 0; i < n; ++i) table.Set(static_cast<uint32_t>(i), vectors[i].data());
  }
  Space space;
  VectorTable table;
  std::vector<std::vector<float>> vectors;
  std::vector<std::vector<float>> queries;
};

double RecallAt(const std::vector<Neighbor>& got, const std::vector<Neighbor>& truth) {
  size_t found = 0;
  for (const auto& t : truth) {
    for (const auto& g : got) found += g.slot == t.slot;
  }
  return truth.empty() ? 1.0 : static_cast<double>(found) / truth.size();
}

class Sq8RecallTest : public ::testing::TestWithParam<Metric> {};

TEST_P(Sq8RecallTest, RecallAt10VersusExact) {
  const Metric metric = GetParam();
  const size_t n = 5000, dim = 64, k = 10;
  Fixture f(metric, dim, n, 100);
  FlatIndex flat(f.space, f.table);
  Sq8Index sq8(f.space, f.table);
  // No Reserve(): growth and the retrain schedule (1, 4, 16, ... 4096) run on the way.
  for (uint32_t slot = 0; slot < n; ++slot) flat.Add(slot), sq8.Add(slot);
  EXPECT_EQ(sq8.size(), n);

  double recall = 0;
  for (const auto& q : f.queries) {
    auto exact = flat.Search(q.data(), {.k = k});
    auto approx = sq8.Search(q.data(), {.k = k});
    ASSERT_EQ(approx.size(), k);
    // Re-ranked distances are exact ones.
    for (const auto& hit : approx) {
      EXPECT_EQ(hit.distance, f.space.Distance(q.data(), f.table.code(hit.slot)));
    }
    EXPECT_TRUE(std::is_sorted(approx.begin(), approx.end()));
    recall += RecallAt(approx, exact);
  }
  recall /= f.queries.size();
  std::printf("[ sq8 %s ] recall@10 = %.4f\n", MetricName(metric), recall);
  EXPECT_GE(recall, 0.97);
}

INSTANTIATE_TEST_SUITE_P(Sq8, Sq8RecallTest,
                         ::testing::Values(Metric::kL2, Metric::kCosine, Metric::kInnerProduct),
                         [](const auto& info) { return std::string(MetricName(info.param)); });

// Dimensions that exercise every tail of the kernels (the code stride is the dimension rounded up
// to 16; the AVX-512 kernel takes 64 per step and 16, 32 or 48 at the end).
TEST(Sq8IndexTest, EveryDimensionTail) {
  for (size_t dim : {1, 7, 16, 20, 33, 48, 64, 100, 112, 130}) {
    for (Metric metric : {Metric::kL2, Metric::kCosine}) {
      Fixture f(metric, dim, 400);
      FlatIndex flat(f.space, f.table);
      Sq8Index sq8(f.space, f.table);
      for (uint32_t slot = 0; slot < 400; ++slot) flat.Add(slot), sq8.Add(slot);
      EXPECT_EQ(sq8.code_stride(), (dim + 15) / 16 * 16);
      double recall = 0;
      for (uint32_t q = 0; q < 5; ++q) {
        const float* query = f.vectors[q * 79].data();
        auto hits = sq8.Search(query, {.k = 10});
        ASSERT_FALSE(hits.empty());
        // A stored vector is its own nearest neighbour (ties with duplicates aside).
        EXPECT_LE(hits[0].distance, 1e-5f) << dim << " " << MetricName(metric);
        recall += RecallAt(hits, flat.Search(query, {.k = 10}));
      }
      EXPECT_GE(recall / 5, 0.9) << dim << " " << MetricName(metric);
      // More asked for than stored: all of them, in order.
      auto all = sq8.Search(f.vectors[0].data(), {.k = 500});
      EXPECT_EQ(all.size(), 400u);
      EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
    }
  }
}

TEST(Sq8IndexTest, ScanSpeedVersusFlat) {
  const size_t n = 5000, dim = 64;
  Fixture f(Metric::kL2, dim, n, 50);
  FlatIndex flat(f.space, f.table);
  Sq8Index sq8(f.space, f.table);
  flat.Reserve(n), sq8.Reserve(n);
  for (uint32_t slot = 0; slot < n; ++slot) flat.Add(slot), sq8.Add(slot);
  const auto& queries = f.queries;
  auto time = [&](const VectorIndex& index) {
    size_t sink = 0;
    auto start = std::chrono::steady_clock::now();
    for (const auto& q : queries) sink += index.Search(q.data(), {.k = 10})[0].slot;
    std::chrono::duration<double, std::micro> us = std::chrono::steady_clock::now() - start;
    EXPECT_LT(sink, n * queries.size());
    return us.count() / queries.size();
  };
  time(flat), time(sq8);  // warm caches
  double flat_us = time(flat), sq8_us = time(sq8);
  std::printf("[ sq8 speed ] %zu x %zu: flat %.1f us/query, sq8 %.1f us/query (%.2fx)\n", n, dim,
              flat_us, sq8_us, flat_us / sq8_us);
}

TEST(Sq8IndexTest, FilterAppliesDuringScan) {
  Fixture f(Metric::kL2, 32, 2000);
  FlatIndex flat(f.space, f.table);
  Sq8Index sq8(f.space, f.table);
  for (uint32_t slot = 0; slot < 2000; ++slot) flat.Add(slot), sq8.Add(slot);
  FnFilter filter([](uint32_t slot) { return slot % 7 == 2; });
  double recall = 0;
  for (uint32_t q = 0; q < 20; ++q) {
    const float* query = f.vectors[q * 50].data();
    auto hits = sq8.Search(query, {.k = 10, .filter = &filter});
    ASSERT_EQ(hits.size(), 10u);
    for (const auto& hit : hits) EXPECT_EQ(hit.slot % 7, 2u);
    recall += RecallAt(hits, flat.Search(query, {.k = 10, .filter = &filter}));
  }
  EXPECT_GE(recall / 20, 0.97);
  FnFilter few([](uint32_t slot) { return slot == 5 || slot == 1500; });
  EXPECT_EQ(sq8.Search(f.vectors[0].data(), {.k = 10, .filter = &few}).size(), 2u);
}

TEST(Sq8IndexTest, RemovePurgeAndReAdd) {
  Fixture f(Metric::kCosine, 16, 1000);
  Sq8Index sq8(f.space, f.table);
  for (uint32_t slot = 0; slot < 1000; ++slot) sq8.Add(slot);
  for (uint32_t slot = 0; slot < 1000; slot += 2) sq8.Remove(slot);
  sq8.Remove(0);  // twice: counted once
  EXPECT_EQ(sq8.removed_count(), 500u);
  for (uint32_t q = 0; q < 50; ++q) {
    for (const auto& hit : sq8.Search(f.vectors[q * 2].data(), {.k = 10})) {
      EXPECT_EQ(hit.slot % 2, 1u);
    }
  }
  EXPECT_EQ(sq8.Purge(), 500u);
  EXPECT_EQ(sq8.removed_count(), 0u);
  EXPECT_EQ(sq8.size(), 500u);

  // Reuse slot 4 for a vector unlike the others.
  std::vector<float> fresh(16, 0.0f);
  fresh[3] = -1.0f;
  f.table.Set(4, fresh.data());
  sq8.Add(4);
  auto hits = sq8.Search(fresh.data(), {.k = 1});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].slot, 4u);
  EXPECT_NEAR(hits[0].distance, 0.0f, 1e-6);
}

// Vectors added after training may lie far outside the trained ranges; clamping blurs their
// approximate distances but the re-rank must still find them.
TEST(Sq8IndexTest, DataOutsideTrainedRangeIsStillFound) {
  const size_t n = 5000, dim = 32;
  Fixture f(Metric::kL2, dim, n);
  f.table.Reserve(n + 10);
  f.vectors.resize(n + 10);
  Sq8Index sq8(f.space, f.table);
  for (uint32_t slot = 0; slot < n; ++slot) sq8.Add(slot);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  for (uint32_t slot = n; slot < n + 10; ++slot) {
    std::vector<float> far(dim);
    for (auto& x : far) x = 20.0f + 5.0f * normal(rng);  // the data lies within about +-5
    f.vectors[slot] = far;
    f.table.Set(slot, far.data());
    sq8.Add(slot);
  }
  for (uint32_t slot = n; slot < n + 10; ++slot) {
    auto hits = sq8.Search(f.vectors[slot].data(), {.k = 3});
    ASSERT_EQ(hits.size(), 3u);
    EXPECT_EQ(hits[0].slot, slot);
    EXPECT_EQ(hits[0].distance, 0.0f);
  }
  // And the in-range data is still served well.
  FlatIndex flat(f.space, f.table);
  for (uint32_t slot = 0; slot < n + 10; ++slot) flat.Add(slot);
  double recall = 0;
  for (uint32_t q = 0; q < 20; ++q) {
    recall += RecallAt(sq8.Search(f.vectors[q * 97].data(), {.k = 10}),
                       flat.Search(f.vectors[q * 97].data(), {.k = 10}));
  }
  EXPECT_GE(recall / 20, 0.97);
}

TEST(Sq8IndexTest, ConcurrentAddsWithGrowthAndRetraining) {
  const size_t n = 4000, dim = 16;
  Fixture f(Metric::kL2, dim, n);
  Sq8Index sq8(f.space, f.table);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t slot = t; slot < n; slot += 4) sq8.Add(slot);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(sq8.size(), n);
  for (uint32_t q = 0; q < 20; ++q) {
    auto hits = sq8.Search(f.vectors[q * 37].data(), {.k = 1});
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].distance, 0.0f);
  }
}

TEST(Sq8IndexTest, SaveLoadRoundTrip) {
  Fixture f(Metric::kL2, 20, 1500);  // 20: codes have stride padding
  Sq8Index sq8(f.space, f.table);
  for (uint32_t slot = 0; slot < 1500; ++slot) sq8.Add(slot);
  for (uint32_t slot = 0; slot < 1500; slot += 3) sq8.Remove(slot);
  StringSink sink;
  ASSERT_TRUE(sq8.Save(sink).ok());

  Sq8Index loaded(f.space, f.table);
  StringSource source(sink.buffer());
  ASSERT_TRUE(loaded.Load(source).ok());
  EXPECT_EQ(source.remaining(), 0u);
  EXPECT_EQ(loaded.size(), sq8.size());
  EXPECT_EQ(loaded.removed_count(), 0u);
  for (uint32_t q = 0; q < 30; ++q) {
    const float* query = f.vectors[q * 41].data();
    auto a = sq8.Search(query, {.k = 10}), b = loaded.Search(query, {.k = 10});
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].slot, b[i].slot);
  }
  // The loaded index keeps working: adds beyond what it loaded.
  loaded.Add(0);
  EXPECT_EQ(loaded.Search(f.vectors[0].data(), {.k = 1})[0].slot, 0u);
}

TEST(Sq8IndexTest, CorruptInputIsRefused) {
  Fixture f(Metric::kL2, 4, 100);
  Sq8Index sq8(f.space, f.table);
  for (uint32_t slot = 0; slot < 100; slot += 2) sq8.Add(slot);
  StringSink sink;
  ASSERT_TRUE(sq8.Save(sink).ok());
  const std::string good = sink.buffer();
  auto load = [&](const std::string& bytes) {
    Sq8Index target(f.space, f.table);
    StringSource source(bytes);
    return target.Load(source).code();
  };
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_EQ(load(good.substr(0, len)), Status::Code::kCorruption) << len;
  }
  auto patched = [&](size_t offset, auto value) {
    std::string bytes = good;
    std::memcpy(bytes.data() + offset, &value, sizeof(value));
    return bytes;
  };
  // Layout: magic, version, dim (4 each), min[4], scale[4], count (8), slots, codes.
  EXPECT_EQ(load(patched(0, uint32_t{1})), Status::Code::kCorruption);
  EXPECT_EQ(load(patched(4, uint32_t{2})), Status::Code::kCorruption);
  EXPECT_EQ(load(patched(8, uint32_t{5})), Status::Code::kCorruption);
  EXPECT_EQ(load(patched(12, std::nanf(""))), Status::Code::kCorruption);
  EXPECT_EQ(load(patched(28, -1.0f)), Status::Code::kCorruption);
  EXPECT_EQ(load(patched(44, uint64_t{1} << 40)), Status::Code::kCorruption);
  EXPECT_EQ(load(patched(52, uint32_t{100000})), Status::Code::kCorruption);

  // A different dimension is refused, not misread.
  Space other(Metric::kL2, 8);
  VectorTable table(other.code_size());
  table.Reserve(100);
  Sq8Index target(other, table);
  StringSource source(good);
  EXPECT_EQ(target.Load(source).code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace alike::index
