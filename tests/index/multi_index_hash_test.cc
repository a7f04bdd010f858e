#include "index/multi_index_hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "testing/fn_filter.h"
#include "util/byte_stream.h"

namespace alike::index {
namespace {

// Random codes, and near copies of some of them (the case multi-index hashing is for: a few
// codes within a small radius of the query among many far away), and exact repeats for ties.
struct Codes {
  Codes(uint32_t bits, size_t n, uint32_t seed) : space(Metric::kHamming, bits), table(bits / 8) {
    std::mt19937 rng(seed);
    table.Reserve(n);
    std::vector<uint8_t> code(space.code_size());
    for (size_t slot = 0; slot < n; ++slot) {
      if (slot % 5 == 4) {  // a near copy of an earlier code: up to bits/8 flipped bits
        std::memcpy(code.data(), table.code(static_cast<uint32_t>(rng() % slot)), code.size());
        for (uint32_t f = rng() % (bits / 8 + 1); f > 0; --f)
          code[rng() % code.size()] ^= 1 << rng() % 8;
      } else if (slot % 7 == 6) {  // an exact repeat
        std::memcpy(code.data(), table.code(static_cast<uint32_t>(slot / 2)), code.size());
      } else {
        for (auto& b : code) b = static_cast<uint8_t>(rng());
      }
      table.Set(static_cast<uint32_t>(slot), code.data());
    }
  }
  // A query `flips` bits from the code at `slot`.
  std::vector<uint8_t> Near(uint32_t slot, int flips, std::mt19937& rng) const {
    std::vector<uint8_t> q(table.code(slot), table.code(slot) + space.code_size());
    for (int f = 0; f < flips; ++f) q[rng() % q.size()] ^= 1 << rng() % 8;
    return q;
  }
  Space space;
  VectorTable table;
};

std::vector<Neighbor> Exact(const FlatIndex& flat, const void* query, size_t k, float radius,
                            const SlotFilter* filter = nullptr) {
  std::vector<Neighbor> all = flat.Search(query, {.k = k, .filter = filter});
  std::erase_if(all, [&](const Neighbor& n) { return n.distance > radius; });
  return all;
}

void ExpectSame(const std::vector<Neighbor>& got, const std::vector<Neighbor>& want,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].slot, want[i].slot) << what << " rank " << i;
    EXPECT_EQ(got[i].distance, want[i].distance) << what << " rank " << i;
  }
}

TEST(MultiIndexHashTest, EqualsTheFlatScanForEveryRadiusAndK) {
  for (uint32_t bits : {64u, 256u}) {
    Codes codes(bits, 30000, bits);
    MultiIndexHash mih(codes.space, codes.table, /*min_codes_for_tables=*/0);
    FlatIndex flat(codes.space, codes.table);
    mih.Reserve(30000);
    for (uint32_t slot = 0; slot < 30000; ++slot) mih.Add(slot), flat.Add(slot);
    EXPECT_EQ(mih.substrings(), int(bits / 16));
    std::mt19937 rng(7);
    for (int q = 0; q < 60; ++q) {
      const auto query = codes.Near(static_cast<uint32_t>(rng() % 30000), q % 40, rng);
      for (size_t k : {1, 10, 100}) {
        for (float radius : {0.f, 8.f, 31.f, 200.f, std::numeric_limits<float>::infinity()}) {
          ExpectSame(mih.Search(query.data(), {.k = k, .max_distance = radius}),
                     Exact(flat, query.data(), k, radius),
                     std::to_string(bits) + " bits, k " + std::to_string(k) + ", radius " +
                         std::to_string(radius));
        }
      }
    }
  }
}

TEST(MultiIndexHashTest, RemovedSlotsAreNotFoundBeforeOrAfterPurgeAndFiltersHold) {
  Codes codes(256, 5000, 3);
  MultiIndexHash mih(codes.space, codes.table, 0);
  FlatIndex flat(codes.space, codes.table);
  for (uint32_t slot = 0; slot < 5000; ++slot) mih.Add(slot), flat.Add(slot);
  for (uint32_t slot = 0; slot < 5000; slot += 3) mih.Remove(slot), flat.Remove(slot);
  EXPECT_EQ(mih.removed_count(), 1667u);
  const FnFilter even([](uint32_t slot) { return slot % 2 == 0; });
  std::mt19937 rng(9);
  auto check = [&](const std::string& when) {
    for (int q = 0; q < 30; ++q) {
      const auto query = codes.Near(static_cast<uint32_t>(rng() % 5000), q % 20, rng);
      ExpectSame(mih.Search(query.data(), {.k = 10, .max_distance = 31}),
                 Exact(flat, query.data(), 10, 31), when);
      ExpectSame(mih.Search(query.data(), {.k = 10, .filter = &even, .max_distance = 64}),
                 Exact(flat, query.data(), 10, 64, &even), when + ", filtered");
    }
  };
  check("removed");
  EXPECT_EQ(mih.Purge(), 1667u);
  EXPECT_EQ(mih.removed_count(), 0u);
  check("purged");
  // A purged slot may be added again, with a new code.
  const std::vector<uint8_t> fresh(32, 0xA5);
  codes.table.Set(0, fresh.data());
  mih.Add(0);
  const auto hits = mih.Search(fresh.data(), {.k = 1, .max_distance = 0});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].slot, 0u);
}

TEST(MultiIndexHashTest, ConcurrentAddsAndASaveLoadRoundTrip) {
  Codes codes(256, 20000, 5);
  MultiIndexHash mih(codes.space, codes.table, 0);
  mih.Reserve(20000);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t slot = t; slot < 20000; slot += 4) mih.Add(slot);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mih.size(), 20000u);
  mih.Remove(17);
  StringSink sink;
  ASSERT_TRUE(mih.Save(sink).ok());
  MultiIndexHash loaded(codes.space, codes.table, 0);
  StringSource source(sink.buffer());
  ASSERT_TRUE(loaded.Load(source).ok());
  EXPECT_EQ(loaded.size(), 19999u);
  // 4 bytes per slot in each of 16 tables: twice the codes.
  EXPECT_GE(loaded.MemoryBytes(), 19999u * 16 * sizeof(uint32_t));
  std::mt19937 rng(11);
  for (int q = 0; q < 20; ++q) {
    const auto query = codes.Near(static_cast<uint32_t>(rng() % 20000), q, rng);
    ExpectSame(loaded.Search(query.data(), {.k = 5, .max_distance = 31}),
               mih.Search(query.data(), {.k = 5, .max_distance = 31}), "reloaded");
  }
  std::string damaged = sink.buffer();
  damaged[0] ^= 1;
  StringSource bad(damaged);
  EXPECT_EQ(loaded.Load(bad).code(), Status::Code::kCorruption);
}

// Clustered codes: a few hundred centres, each with many copies a few bits away, so that some
// buckets hold thousands of slots and many codes tie at a distance.
TEST(MultiIndexHashTest, EqualsTheFlatScanOnClusteredCodesForManyRadii) {
  Space space(Metric::kHamming, 256);
  VectorTable table(32);
  std::mt19937 rng(13);
  std::vector<std::vector<uint8_t>> centres(200, std::vector<uint8_t>(32));
  for (auto& centre : centres) {
    for (auto& b : centre) b = static_cast<uint8_t>(rng());
  }
  constexpr uint32_t kCodes = 20000;
  table.Reserve(kCodes);
  MultiIndexHash mih(space, table, 0);
  FlatIndex flat(space, table);
  for (uint32_t slot = 0; slot < kCodes; ++slot) {
    std::vector<uint8_t> code = centres[rng() % centres.size()];
    for (uint32_t f = rng() % 24; f > 0; --f) code[rng() % 32] ^= 1 << rng() % 8;
    table.Set(slot, code.data());
    mih.Add(slot), flat.Add(slot);
  }
  for (int q = 0; q < 40; ++q) {
    std::vector<uint8_t> query = centres[rng() % centres.size()];
    for (int f = q % 30; f > 0; --f) query[rng() % 32] ^= 1 << rng() % 8;
    for (size_t k : {1, 10, 1000}) {
      for (float radius : {0.f, 1.f, 15.f, 16.f, 31.f, 32.f, 47.f, 64.f, 96.f,
                           std::numeric_limits<float>::infinity()}) {
        ExpectSame(mih.Search(query.data(), {.k = k, .max_distance = radius}),
                   Exact(flat, query.data(), k, radius),
                   "clustered, k " + std::to_string(k) + ", radius " + std::to_string(radius));
      }
    }
  }
}

// The size rule: no tables (and no 25 MiB of bucket headers) below min_codes_for_tables codes,
// tables from there on, built from the codes added so far; exact either way, also after a purge
// and a reload on either side of the line.
TEST(MultiIndexHashTest, BuildsItsTablesOnlyOnceItHoldsEnoughCodes) {
  Codes codes(256, 3000, 17);
  MultiIndexHash mih(codes.space, codes.table, /*min_codes_for_tables=*/2000);
  FlatIndex flat(codes.space, codes.table);
  std::mt19937 rng(19);
  auto check = [&](const std::string& when) {
    for (int q = 0; q < 20; ++q) {
      const auto query = codes.Near(static_cast<uint32_t>(rng() % mih.size()), q, rng);
      for (float radius : {0.f, 31.f, std::numeric_limits<float>::infinity()}) {
        ExpectSame(mih.Search(query.data(), {.k = 10, .max_distance = radius}),
                   Exact(flat, query.data(), 10, radius), when);
      }
    }
  };
  for (uint32_t slot = 0; slot < 1999; ++slot) mih.Add(slot), flat.Add(slot);
  EXPECT_FALSE(mih.has_tables());
  EXPECT_LT(mih.MemoryBytes(), 1999u * 8 + 4096);
  check("1999 codes, no tables");
  for (uint32_t slot = 1999; slot < 3000; ++slot) mih.Add(slot), flat.Add(slot);
  EXPECT_TRUE(mih.has_tables());
  EXPECT_GE(mih.MemoryBytes(), 3000u * 16 * sizeof(uint32_t));
  check("3000 codes, tables");
  for (uint32_t slot = 0; slot < 3000; slot += 2) mih.Remove(slot), flat.Remove(slot);
  EXPECT_EQ(mih.Purge(), 1500u);
  EXPECT_TRUE(mih.has_tables());  // kept once built
  check("purged to 1500");

  StringSink sink;
  ASSERT_TRUE(mih.Save(sink).ok());
  MultiIndexHash small(codes.space, codes.table, 2000);
  StringSource source(sink.buffer());
  ASSERT_TRUE(small.Load(source).ok());
  EXPECT_FALSE(small.has_tables());  // 1500 codes loaded
  MultiIndexHash large(codes.space, codes.table, 1000);
  StringSource again(sink.buffer());
  ASSERT_TRUE(large.Load(again).ok());
  EXPECT_TRUE(large.has_tables());
  for (int q = 0; q < 20; ++q) {
    const auto query = codes.Near(static_cast<uint32_t>(rng() % 3000), q, rng);
    ExpectSame(small.Search(query.data(), {.k = 10, .max_distance = 31}),
               Exact(flat, query.data(), 10, 31), "reloaded without tables");
    ExpectSame(large.Search(query.data(), {.k = 10, .max_distance = 31}),
               Exact(flat, query.data(), 10, 31), "reloaded with tables");
  }
}

// Lookups only where they beat a scan by the cost model: PDQ's 31 bits at tens of thousands of
// codes, never a search without a radius or one so wide that the buckets cost more than a scan.
TEST(MultiIndexHashTest, LooksUpOnlyRadiiCheaperThanAScan) {
  Codes codes(256, 30000, 23);
  MultiIndexHash mih(codes.space, codes.table, 0);
  for (uint32_t slot = 0; slot < 30000; ++slot) mih.Add(slot);
  EXPECT_TRUE(mih.LooksUp(0));
  EXPECT_TRUE(mih.LooksUp(31));
  EXPECT_FALSE(mih.LooksUp(96));
  EXPECT_FALSE(mih.LooksUp(std::numeric_limits<float>::infinity()));
  MultiIndexHash few(codes.space, codes.table, 0);
  for (uint32_t slot = 0; slot < 1000; ++slot) few.Add(slot);
  EXPECT_FALSE(few.LooksUp(31));  // 1,000 codes: 272 buckets cost more than the scan
  MultiIndexHash none(codes.space, codes.table);  // the default size rule: no tables at 30,000
  for (uint32_t slot = 0; slot < 30000; ++slot) none.Add(slot);
  EXPECT_FALSE(none.has_tables());
  EXPECT_FALSE(none.LooksUp(31));
}

}  // namespace
}  // namespace alike::index
