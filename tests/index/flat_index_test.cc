#include "index/flat_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "testing/fn_filter.h"

namespace alike::index {
namespace {

// A table of random codes for `metric` in which every fourth slot repeats an earlier one, so that
// searches meet exact distance ties.
void FillTable(const Space& space, VectorTable& table, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  table.Reserve(n);
  std::vector<uint8_t> code(space.code_size());
  for (size_t slot = 0; slot < n; ++slot) {
    if (slot % 4 == 3) {
      table.Set(static_cast<uint32_t>(slot), table.code(static_cast<uint32_t>(slot / 2)));
      continue;
    }
    if (space.metric() == Metric::kHamming) {
      for (auto& b : code) b = static_cast<uint8_t>(rng());
    } else {
      std::normal_distribution<float> normal;
      std::vector<float> v(space.dimension());
      double norm = 0;
      for (auto& x : v) x = normal(rng), norm += double{x} * x;
      if (space.metric() == Metric::kCosine) {
        for (auto& x : v) x = static_cast<float>(x / std::sqrt(norm));
      }
      std::memcpy(code.data(), v.data(), code.size());
    }
    table.Set(static_cast<uint32_t>(slot), code.data());
  }
}

std::vector<Neighbor> BruteForce(const Space& space, const VectorTable& table,
                                 const std::vector<uint32_t>& live, const void* query, size_t k,
                                 const std::function<bool(uint32_t)>& allows = nullptr) {
  std::vector<Neighbor> all;
  for (uint32_t slot : live) {
    if (allows && !allows(slot)) continue;
    all.push_back({space.Distance(query, table.code(slot)), slot});
  }
  std::sort(all.begin(), all.end());
  all.resize(std::min(all.size(), k));
  return all;
}

void ExpectSame(const std::vector<Neighbor>& got, const std::vector<Neighbor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].slot, want[i].slot) << "rank " << i;
    EXPECT_EQ(got[i].distance, want[i].distance) << "rank " << i;
  }
}

std::vector<uint32_t> Iota(size_t n) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint32_t>(i);
  return v;
}

class FlatIndexMetricTest : public ::testing::TestWithParam<Metric> {};

// Equal to brute force, ties included: duplicated vectors come out in slot order.
TEST_P(FlatIndexMetricTest, MatchesBruteForceIncludingTies) {
  const Metric metric = GetParam();
  Space space(metric, metric == Metric::kHamming ? 256 : 37);
  VectorTable table(space.code_size());
  const size_t n = 1000;
  FillTable(space, table, n, 1);
  FlatIndex index(space, table);
  for (uint32_t slot = 0; slot < n; ++slot) index.Add(slot);
  EXPECT_EQ(index.size(), n);
  for (uint32_t q = 0; q < 40; ++q) {
    // Querying with a stored code whose duplicates exist makes the first ranks exact ties.
    const uint8_t* query = table.code(q * 7 % n);
    for (size_t k : {1u, 10u, 100u}) {
      ExpectSame(index.Search(query, {.k = k}), BruteForce(space, table, Iota(n), query, k));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Flat, FlatIndexMetricTest,
                         ::testing::Values(Metric::kL2, Metric::kInnerProduct, Metric::kCosine,
                                           Metric::kHamming),
                         [](const auto& info) { return std::string(MetricName(info.param)); });

TEST(FlatIndexTest, TiesBreakBySlot) {
  Space space(Metric::kL2, 4);
  VectorTable table(space.code_size());
  table.Reserve(10);
  const float v[4] = {1, 2, 3, 4};
  for (uint32_t slot = 0; slot < 10; ++slot) table.Set(slot, v);
  FlatIndex index(space, table);
  for (uint32_t slot : {9u, 3u, 7u, 0u, 5u}) index.Add(slot);
  auto hits = index.Search(v, {.k = 3});
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].slot, 0u);
  EXPECT_EQ(hits[1].slot, 3u);
  EXPECT_EQ(hits[2].slot, 5u);
}

TEST(FlatIndexTest, FilterAppliesDuringScan) {
  Space space(Metric::kL2, 16);
  VectorTable table(space.code_size());
  FillTable(space, table, 500, 2);
  FlatIndex index(space, table);
  for (uint32_t slot = 0; slot < 500; ++slot) index.Add(slot);
  auto allows = [](uint32_t slot) { return slot % 3 == 1; };
  FnFilter filter(allows);
  for (uint32_t q = 0; q < 10; ++q) {
    const uint8_t* query = table.code(q * 11);
    auto hits = index.Search(query, {.k = 10, .filter = &filter});
    ExpectSame(hits, BruteForce(space, table, Iota(500), query, 10, allows));
  }
  // Fewer than k pass: all of them come back.
  FnFilter few([](uint32_t slot) { return slot == 4 || slot == 400; });
  auto hits = index.Search(table.code(0), {.k = 10, .filter = &few});
  ASSERT_EQ(hits.size(), 2u);
}

TEST(FlatIndexTest, RemovePurgeAndReAdd) {
  Space space(Metric::kInnerProduct, 8);
  VectorTable table(space.code_size());
  FillTable(space, table, 200, 3);
  FlatIndex index(space, table);
  for (uint32_t slot = 0; slot < 200; ++slot) index.Add(slot);

  std::vector<uint32_t> live;
  for (uint32_t slot = 0; slot < 200; ++slot) {
    if (slot % 2 == 0) {
      index.Remove(slot);
    } else {
      live.push_back(slot);
    }
  }
  index.Remove(0);    // already removed: not counted twice
  index.Remove(999);  // never added: ignored
  EXPECT_EQ(index.removed_count(), 100u);
  EXPECT_EQ(index.size(), 100u);
  for (uint32_t q = 0; q < 20; ++q) {
    const uint8_t* query = table.code(q * 2);  // a removed vector: must not find itself
    auto hits = index.Search(query, {.k = 10});
    ExpectSame(hits, BruteForce(space, table, live, query, 10));
  }

  EXPECT_EQ(index.Purge(), 100u);
  EXPECT_EQ(index.removed_count(), 0u);
  EXPECT_EQ(index.Purge(), 0u);

  // A purged slot reused for a new vector.
  const float fresh[8] = {5, 5, 5, 5, 5, 5, 5, 5};
  table.Set(10, fresh);
  index.Add(10);
  auto hits = index.Search(fresh, {.k = 1});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].slot, 10u);
}

TEST(FlatIndexTest, EmptyAndZeroK) {
  Space space(Metric::kL2, 4);
  VectorTable table(space.code_size());
  FlatIndex index(space, table);
  const float q[4] = {};
  EXPECT_TRUE(index.Search(q, {.k = 5}).empty());
  table.Reserve(1);
  table.Set(0, q);
  index.Add(0);
  EXPECT_TRUE(index.Search(q, {.k = 0}).empty());
  EXPECT_EQ(index.Search(q, {.k = 5}).size(), 1u);
}

TEST(FlatIndexTest, ConcurrentAddsAfterReserve) {
  Space space(Metric::kL2, 4);
  VectorTable table(space.code_size());
  const size_t n = 4096;
  FillTable(space, table, n, 4);
  FlatIndex index(space, table);
  index.Reserve(n);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Interleaved slots, so that threads share bitmap words.
      for (uint32_t slot = t; slot < n; slot += 4) index.Add(slot);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(index.size(), n);
}

TEST(FlatIndexTest, SaveLoadRoundTrip) {
  Space space(Metric::kCosine, 24);
  VectorTable table(space.code_size());
  FillTable(space, table, 300, 5);
  FlatIndex index(space, table);
  for (uint32_t slot = 0; slot < 300; ++slot) index.Add(slot);
  for (uint32_t slot = 0; slot < 300; slot += 5) index.Remove(slot);

  StringSink sink;
  ASSERT_TRUE(index.Save(sink).ok());
  FlatIndex loaded(space, table);
  StringSource source(sink.buffer());
  ASSERT_TRUE(loaded.Load(source).ok());
  EXPECT_EQ(source.remaining(), 0u);
  EXPECT_EQ(loaded.size(), index.size());
  EXPECT_EQ(loaded.removed_count(), 0u);
  for (uint32_t q = 0; q < 20; ++q) {
    const uint8_t* query = table.code(q * 13);
    ExpectSame(loaded.Search(query, {.k = 10}), index.Search(query, {.k = 10}));
  }
  // Loading replaces the content rather than merging into it.
  StringSource again(sink.buffer());
  ASSERT_TRUE(loaded.Load(again).ok());
  EXPECT_EQ(loaded.size(), index.size());
}

TEST(FlatIndexTest, CorruptInputIsRefused) {
  Space space(Metric::kL2, 4);
  VectorTable table(space.code_size());
  FillTable(space, table, 100, 6);
  FlatIndex index(space, table);
  for (uint32_t slot = 0; slot < 100; slot += 2) index.Add(slot);
  StringSink sink;
  ASSERT_TRUE(index.Save(sink).ok());
  const std::string good = sink.buffer();

  auto load = [&](const std::string& bytes) {
    FlatIndex target(space, table);
    target.Add(1);
    StringSource source(bytes);
    Status status = target.Load(source);
    // A failed load leaves the previous content.
    if (!status.ok()) {
      auto hits = target.Search(table.code(1), {.k = 1});
      EXPECT_TRUE(hits.size() == 1 && hits[0].slot == 1);
    }
    return status;
  };
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_EQ(load(good.substr(0, len)).code(), Status::Code::kCorruption) << len;
  }
  auto patched = [&](size_t offset, auto value) {
    std::string bytes = good;
    std::memcpy(bytes.data() + offset, &value, sizeof(value));
    return bytes;
  };
  EXPECT_EQ(load(patched(0, uint32_t{0xdeadbeef})).code(), Status::Code::kCorruption);
  EXPECT_EQ(load(patched(4, uint32_t{99})).code(), Status::Code::kCorruption);
  EXPECT_EQ(load(patched(8, uint64_t{1} << 60)).code(), Status::Code::kCorruption);
  // Header is magic (4), version (4), count (8); slots follow.
  EXPECT_EQ(load(patched(16, uint32_t{1} << 30)).code(), Status::Code::kCorruption);  // range
  EXPECT_EQ(load(patched(20, uint32_t{0})).code(), Status::Code::kCorruption);        // duplicate
}

}  // namespace
}  // namespace alike::index
