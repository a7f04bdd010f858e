#include "index/hnsw_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "testing/fn_filter.h"

namespace alike::index {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// Codes drawn around a few dozen random centres, the shape real embeddings have (and the one that
// makes a graph index work for its recall): Gaussian noise for float metrics, flipped bits for
// Hamming. Queries come from the same distribution but are not in the table.
class Generator {
 public:
  static constexpr float kSpread = 1.5f;  // noise per component, centres being N(0, 1)

  Generator(const Space& space, uint32_t seed, size_t clusters = 32) : space_(space), rng_(seed) {
    for (size_t c = 0; c < clusters; ++c) centres_.push_back(Draw(nullptr, 1.0f));
  }
  std::vector<uint8_t> Next() { return Draw(&centres_[rng_() % centres_.size()], kSpread); }

 private:
  std::vector<uint8_t> Draw(const std::vector<uint8_t>* centre, float spread) {
    std::vector<uint8_t> code(space_.code_size());
    if (space_.metric() == Metric::kHamming) {
      std::bernoulli_distribution flip(centre == nullptr ? 0.5 : 0.12);
      for (size_t byte = 0; byte < code.size(); ++byte) {
        uint8_t bits = centre == nullptr ? 0 : (*centre)[byte];
        for (int b = 0; b < 8; ++b) bits ^= static_cast<uint8_t>(flip(rng_) << b);
        code[byte] = bits;
      }
      return code;
    }
    std::normal_distribution<float> normal(0.0f, spread);
    std::vector<float> v(space_.dimension());
    const float* c = centre == nullptr ? nullptr : reinterpret_cast<const float*>(centre->data());
    double norm = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      v[i] = (c == nullptr ? 0.0f : c[i]) + normal(rng_);
      norm += double{v[i]} * v[i];
    }
    if (space_.metric() != Metric::kL2 && centre != nullptr) {
      for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
    }
    std::memcpy(code.data(), v.data(), code.size());
    return code;
  }

  const Space& space_;
  std::mt19937 rng_;
  std::vector<std::vector<uint8_t>> centres_;
};

// A table of n generated codes and a set of queries, with brute-force ground truth.
struct Data {
  Data(Metric metric, uint32_t dim, size_t count, size_t num_queries, uint32_t seed = 1)
      : space(metric, dim), table(space.code_size()), n(count) {
    Generator gen(space, seed);
    table.Reserve(n);
    for (size_t slot = 0; slot < n; ++slot)
      table.Set(static_cast<uint32_t>(slot), gen.Next().data());
    for (size_t q = 0; q < num_queries; ++q) queries.push_back(gen.Next());
  }

  std::vector<Neighbor> BruteForce(const void* query, size_t k,
                                   const std::function<bool(uint32_t)>& allows) const {
    std::vector<Neighbor> all;
    for (uint32_t slot = 0; slot < n; ++slot) {
      if (allows(slot)) all.push_back({space.Distance(query, table.code(slot)), slot});
    }
    std::sort(all.begin(), all.end());
    all.resize(std::min(all.size(), k));
    return all;
  }

  Space space;
  VectorTable table;
  size_t n;  // slots with codes (the table may have more)
  std::vector<std::vector<uint8_t>> queries;
};

// Recall by distance rather than by slot: with ties (duplicates, Hamming) any of the tied slots is
// an equally right answer. Counts the multiset intersection of the two sorted distance lists.
size_t Matches(const std::vector<Neighbor>& got, const std::vector<Neighbor>& truth) {
  size_t i = 0, j = 0, matches = 0;
  while (i < got.size() && j < truth.size()) {
    if (got[i].distance == truth[j].distance) {
      ++matches, ++i, ++j;
    } else if (got[i].distance < truth[j].distance) {
      ++i;
    } else {
      ++j;
    }
  }
  return matches;
}

// Mean recall@k of `index` over the queries, checking on the way that every hit is allowed, that
// hits are distinct and sorted, and that reported distances are right.
double Recall(const HnswIndex& index, const Data& data, size_t k, uint32_t ef,
              const std::function<bool(uint32_t)>& allows, const SlotFilter* filter = nullptr) {
  size_t matches = 0, wanted = 0;
  for (const auto& query : data.queries) {
    const auto got = index.Search(query.data(), {.k = k, .ef = ef, .filter = filter});
    const auto truth = data.BruteForce(query.data(), k, allows);
    EXPECT_EQ(got.size(), truth.size());
    std::set<uint32_t> seen;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(allows(got[i].slot)) << "slot " << got[i].slot << " must not be returned";
      EXPECT_TRUE(seen.insert(got[i].slot).second) << "slot " << got[i].slot << " twice";
      EXPECT_EQ(got[i].distance, data.space.Distance(query.data(), data.table.code(got[i].slot)));
      if (i > 0) {
        EXPECT_LE(got[i - 1].distance, got[i].distance);
      }
    }
    matches += Matches(got, truth);
    wanted += truth.size();
  }
  return wanted == 0 ? 1.0 : static_cast<double>(matches) / static_cast<double>(wanted);
}

bool All(uint32_t) { return true; }

void AddAll(HnswIndex& index, size_t n) {
  for (size_t slot = 0; slot < n; ++slot) index.Add(static_cast<uint32_t>(slot));
}

class HnswMetricTest : public ::testing::TestWithParam<Metric> {};

TEST_P(HnswMetricTest, RecallAgainstBruteForce) {
  const Metric metric = GetParam();
  Data data(metric, metric == Metric::kHamming ? 128 : 48, 3000, 100);
  HnswIndex index(data.space, data.table, {});
  AddAll(index, 3000);
  EXPECT_EQ(index.size(), 3000u);
  const double recall = Recall(index, data, 10, 0, All);
  std::printf("%s recall@10 (ef=64): %.4f\n", MetricName(metric), recall);
  EXPECT_GE(recall, 0.95);
}

INSTANTIATE_TEST_SUITE_P(Metrics, HnswMetricTest,
                         ::testing::Values(Metric::kL2, Metric::kCosine, Metric::kInnerProduct,
                                           Metric::kHamming),
                         [](const auto& info) { return std::string(MetricName(info.param)); });

// Short binary codes: distances are integers in [0, 32], so nearly every comparison ties, and
// many codes are exact copies.
TEST(HnswIndexTest, HammingWithHeavyTies) {
  Data data(Metric::kHamming, 32, 2000, 100);
  HnswIndex index(data.space, data.table, {});
  AddAll(index, 2000);
  EXPECT_GE(Recall(index, data, 10, 0, All), 0.95);
}

// Exact copies: a pair of each of many vectors, and one vector copied 300 times. A group of copies
// larger than a link list must not become an island the search cannot leave.
TEST(HnswIndexTest, ExactDuplicates) {
  for (Metric metric : {Metric::kL2, Metric::kCosine}) {
    Data data(metric, 32, 3000, 100);
    for (uint32_t slot = 1500; slot < 2700; ++slot)
      data.table.Set(slot, data.table.code(slot - 1500));
    for (uint32_t slot = 2700; slot < 3000; ++slot) data.table.Set(slot, data.table.code(7));
    HnswIndex index(data.space, data.table, {});
    AddAll(index, 3000);
    EXPECT_GE(Recall(index, data, 10, 0, All), 0.95) << MetricName(metric);

    // Copied vectors as queries: all their copies come first, at the distance of a vector to
    // itself.
    const float self = data.space.Distance(data.table.code(7), data.table.code(7));
    auto hits = index.Search(data.table.code(7), {.k = 10});
    ASSERT_EQ(hits.size(), 10u);
    for (const Neighbor& hit : hits) EXPECT_EQ(hit.distance, self);
    size_t pairs_found = 0;
    for (uint32_t slot = 8; slot < 1200; slot += 6) {
      hits = index.Search(data.table.code(slot), {.k = 2});
      ASSERT_EQ(hits.size(), 2u);
      std::set<uint32_t> got{hits[0].slot, hits[1].slot};
      pairs_found += got == std::set<uint32_t>{slot, slot + 1500};
    }
    EXPECT_GE(pairs_found, 195u) << MetricName(metric);  // of 199
  }
}

TEST(HnswIndexTest, EmptyIndexFindsNothing) {
  Data data(Metric::kL2, 16, 10, 1);
  HnswIndex index(data.space, data.table, {});
  EXPECT_TRUE(index.Search(data.queries[0].data(), {.k = 5}).empty());
  index.Reserve(100);
  EXPECT_TRUE(index.Search(data.queries[0].data(), {.k = 5}).empty());
  EXPECT_EQ(index.max_level(), -1);
  // Removing everything leaves an index that finds nothing, before and after purging.
  AddAll(index, 10);
  for (uint32_t slot = 0; slot < 10; ++slot) index.Remove(slot);
  EXPECT_TRUE(index.Search(data.queries[0].data(), {.k = 5}).empty());
  EXPECT_EQ(index.Purge(), 10u);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.Search(data.queries[0].data(), {.k = 5}).empty());
  EXPECT_EQ(index.max_level(), -1);
  index.Add(3);
  auto hits = index.Search(data.queries[0].data(), {.k = 5});
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].slot, 3u);
}

TEST(HnswIndexTest, KLargerThanCountReturnsAll) {
  Data data(Metric::kCosine, 16, 50, 5);
  HnswIndex index(data.space, data.table, {.m = 4, .ef_construction = 8, .ef_search = 4});
  AddAll(index, 50);
  for (const auto& query : data.queries) {
    auto hits = index.Search(query.data(), {.k = 100});
    ASSERT_EQ(hits.size(), 50u);
    auto truth = data.BruteForce(query.data(), 100, All);
    for (size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i].slot, truth[i].slot);
  }
}

TEST(HnswIndexTest, FilteredSearchReturnsOnlyAllowedSlots) {
  Data data(Metric::kL2, 32, 3000, 100);
  HnswIndex index(data.space, data.table, {});
  AddAll(index, 3000);
  // Scattered over the slots, uncorrelated with position in space.
  auto half = [](uint32_t slot) { return (slot * 2654435761u >> 7) % 2 == 0; };
  auto tenth = [](uint32_t slot) { return (slot * 2654435761u >> 7) % 10 == 0; };
  FnFilter half_filter(half), tenth_filter(tenth);
  const double recall_half = Recall(index, data, 10, 64, half, &half_filter);
  const double recall_tenth = Recall(index, data, 10, 128, tenth, &tenth_filter);
  std::printf("filtered recall@10: 50%% (ef=64) %.4f, 10%% (ef=128) %.4f\n", recall_half,
              recall_tenth);
  EXPECT_GE(recall_half, 0.9);
  EXPECT_GE(recall_tenth, 0.9);
  FnFilter none([](uint32_t) { return false; });
  EXPECT_TRUE(index.Search(data.queries[0].data(), {.k = 10, .filter = &none}).empty());
}

TEST(HnswIndexTest, RemoveHidesSlotsImmediately) {
  Data data(Metric::kL2, 32, 2000, 50);
  HnswIndex index(data.space, data.table, {});
  AddAll(index, 2000);
  std::vector<bool> removed(2000, false);
  for (const auto& query : data.queries) {
    for (const Neighbor& hit : index.Search(query.data(), {.k = 3})) {
      if (!removed[hit.slot]) index.Remove(hit.slot);
      removed[hit.slot] = true;
    }
  }
  index.Remove(0);  // removing twice, or a slot not in the index, is ignored
  index.Remove(0);
  index.Remove(99999);
  removed[0] = true;
  EXPECT_EQ(index.removed_count(),
            static_cast<size_t>(std::count(removed.begin(), removed.end(), true)));
  EXPECT_EQ(index.size(), 2000u);
  auto live = [&](uint32_t slot) { return !removed[slot]; };
  EXPECT_GE(Recall(index, data, 10, 0, live), 0.95);
}

// The 30%-deleted case the collection's compaction produces.
TEST(HnswIndexTest, PurgeRelinksAndFreesSlotsForReuse) {
  constexpr size_t kN = 3000;
  Data data(Metric::kL2, 32, kN, 100);
  HnswIndex index(data.space, data.table, {});
  AddAll(index, kN);
  const size_t memory = index.MemoryBytes();
  const double before = Recall(index, data, 10, 0, All);

  std::mt19937 rng(3);
  std::vector<bool> removed(kN, false);
  std::vector<uint32_t> freed;
  for (uint32_t slot = 0; slot < kN; ++slot) {
    if (rng() % 10 < 3) {
      index.Remove(slot);
      removed[slot] = true;
      freed.push_back(slot);
    }
  }
  auto live = [&](uint32_t slot) { return !removed[slot]; };
  const double removed_recall = Recall(index, data, 10, 0, live);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(index.Purge(), freed.size());
  const double purge_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(index.removed_count(), 0u);
  EXPECT_EQ(index.size(), kN - freed.size());
  const double after = Recall(index, data, 10, 0, live);
  std::printf("recall@10: %.4f before, %.4f with 30%% removed, %.4f after purge (%.1f ms)\n",
              before, removed_recall, after, purge_ms);
  EXPECT_GE(after, 0.9 * before);
  EXPECT_GE(after, 0.9);
  EXPECT_LT(index.MemoryBytes(), memory);

  // The freed slots take new vectors and are found again.
  Generator gen(data.space, 99);
  for (uint32_t slot : freed) {
    data.table.Set(slot, gen.Next().data());
    index.Add(slot);
  }
  EXPECT_EQ(index.size(), kN);
  size_t found = 0;
  for (uint32_t slot : freed) {
    auto hits = index.Search(data.table.code(slot), {.k = 1});
    found += !hits.empty() && hits[0].slot == slot;
  }
  EXPECT_GE(found, freed.size() * 98 / 100);
  EXPECT_GE(Recall(index, data, 10, 0, All), 0.95);
}

// Add/delete/purge cycles reuse slots: memory stays put and recall holds.
TEST(HnswIndexTest, ChurnKeepsMemoryBounded) {
  constexpr size_t kN = 2000;
  Data data(Metric::kCosine, 32, kN, 50);
  HnswIndex index(data.space, data.table, {});
  index.Reserve(kN);
  AddAll(index, kN);
  const size_t memory = index.MemoryBytes();
  Generator gen(data.space, 5);
  std::mt19937 rng(11);
  for (int cycle = 0; cycle < 5; ++cycle) {
    std::vector<uint32_t> victims;
    for (uint32_t slot = 0; slot < kN; ++slot) {
      if (rng() % 5 == 0) victims.push_back(slot);
    }
    for (uint32_t slot : victims) index.Remove(slot);
    index.Purge();
    for (uint32_t slot : victims) {
      data.table.Set(slot, gen.Next().data());
      index.Add(slot);
    }
    EXPECT_LE(index.MemoryBytes(), memory * 11 / 10) << "cycle " << cycle;
  }
  EXPECT_EQ(index.size(), kN);
  EXPECT_GE(Recall(index, data, 10, 0, All), 0.95);
}

TEST(HnswIndexTest, SaveLoadRoundTripGivesIdenticalResults) {
  Data data(Metric::kL2, 32, 2000, 50);
  HnswIndex index(data.space, data.table, {.m = 12, .ef_construction = 80, .ef_search = 40});
  AddAll(index, 1990);  // leaves the last slots out of the index
  for (uint32_t slot = 0; slot < 2000; slot += 9) index.Remove(slot);
  StringSink sink;
  ASSERT_TRUE(index.Save(sink).ok());

  HnswIndex loaded(data.space, data.table, {.m = 12, .ef_construction = 80, .ef_search = 40});
  StringSource source(sink.buffer());
  ASSERT_TRUE(loaded.Load(source).ok());
  EXPECT_EQ(source.remaining(), 0u);
  EXPECT_EQ(loaded.size(), index.size());
  EXPECT_EQ(loaded.removed_count(), index.removed_count());
  EXPECT_EQ(loaded.max_level(), index.max_level());
  FnFilter odd([](uint32_t slot) { return slot % 2 == 1; });
  for (const auto& query : data.queries) {
    for (const SlotFilter* filter :
         {static_cast<const SlotFilter*>(nullptr), static_cast<const SlotFilter*>(&odd)}) {
      auto a = index.Search(query.data(), {.k = 10, .filter = filter});
      auto b = loaded.Search(query.data(), {.k = 10, .filter = filter});
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].slot, b[i].slot);
        EXPECT_EQ(a[i].distance, b[i].distance);
      }
    }
  }
  // The loaded index keeps working: purge, re-add, save again, byte for byte as the original.
  index.Purge();
  loaded.Purge();
  for (uint32_t slot = 1990; slot < 2000; ++slot) index.Add(slot), loaded.Add(slot);
  StringSink again, again_loaded;
  ASSERT_TRUE(index.Save(again).ok());
  ASSERT_TRUE(loaded.Save(again_loaded).ok());
  EXPECT_EQ(again.buffer(), again_loaded.buffer());

  // An empty index round-trips too.
  HnswIndex empty(data.space, data.table, {.m = 12, .ef_construction = 80, .ef_search = 40});
  StringSink empty_sink;
  ASSERT_TRUE(empty.Save(empty_sink).ok());
  StringSource empty_source(empty_sink.buffer());
  ASSERT_TRUE(loaded.Load(empty_source).ok());
  EXPECT_EQ(loaded.size(), 0u);
  EXPECT_TRUE(loaded.Search(data.queries[0].data(), {.k = 3}).empty());
}

TEST(HnswIndexTest, CorruptDataIsRejected) {
  Data data(Metric::kL2, 16, 300, 3);
  HnswIndex index(data.space, data.table, {.m = 6, .ef_construction = 30, .ef_search = 10});
  AddAll(index, 300);
  index.Remove(5);
  StringSink sink;
  ASSERT_TRUE(index.Save(sink).ok());
  const std::string good = sink.buffer();

  auto load = [&](const std::string& bytes) {
    HnswIndex target(data.space, data.table, {.m = 6, .ef_construction = 30, .ef_search = 10});
    StringSource source(bytes);
    Status status = target.Load(source);
    if (status.ok()) {
      // Whatever passed validation must be safe to use.
      for (const auto& query : data.queries) target.Search(query.data(), {.k = 10});
      target.Add(299);
    }
    return status;
  };

  // Every truncation.
  for (size_t size = 0; size < good.size(); ++size) {
    Status status = load(good.substr(0, size));
    ASSERT_EQ(status.code(), Status::Code::kCorruption) << "truncated to " << size;
  }
  // Targeted damage. Offsets follow the documented layout: 5 u32, 2 u64, u32, i32, u64.
  constexpr size_t kLevels = 5 * 4 + 2 * 8 + 4 + 4 + 8;
  const size_t n = 300, stride = 2 * 6 + 1;
  const size_t links0 = kLevels + 2 * n;
  auto damaged = [&](size_t offset, const void* bytes, size_t size) {
    std::string copy = good;
    std::memcpy(copy.data() + offset, bytes, size);
    return load(copy).code();
  };
  const uint32_t big = 1000000, too_many = 13, other_m = 8;
  const int8_t bad_level = 99;
  const uint8_t bad_tombstone = 7;
  EXPECT_EQ(damaged(0, "XXXX", 4), Status::Code::kCorruption);
  EXPECT_EQ(damaged(8, &other_m, 4), Status::Code::kCorruption);
  EXPECT_EQ(damaged(28, &big, 4), Status::Code::kCorruption);  // slot count
  EXPECT_EQ(damaged(36, &big, 4), Status::Code::kCorruption);  // entry point
  EXPECT_EQ(damaged(kLevels + 17, &bad_level, 1), Status::Code::kCorruption);
  EXPECT_EQ(damaged(kLevels + n + 17, &bad_tombstone, 1), Status::Code::kCorruption);
  EXPECT_EQ(damaged(links0 + 40 * stride * 4, &too_many, 4), Status::Code::kCorruption);
  EXPECT_EQ(damaged(links0 + (40 * stride + 1) * 4, &big, 4), Status::Code::kCorruption);

  // Random damage: either rejected as corruption or harmless (load() then uses the index).
  std::mt19937 rng(17);
  for (int trial = 0; trial < 400; ++trial) {
    std::string copy = good;
    for (int flips = 1 + trial % 3; flips > 0; --flips) {
      copy[rng() % copy.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    Status status = load(copy);
    EXPECT_TRUE(status.ok() || status.code() == Status::Code::kCorruption) << status.ToString();
  }
}

TEST(HnswIndexTest, ParallelAddFromSeveralThreads) {
  constexpr size_t kN = 3000;
  Data data(Metric::kL2, 32, kN, 100);
  for (int threads : {2, 4}) {
    HnswIndex index(data.space, data.table, {});
    index.Reserve(kN);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (size_t slot = t; slot < kN; slot += threads) index.Add(static_cast<uint32_t>(slot));
      });
    }
    for (auto& worker : workers) worker.join();
    EXPECT_EQ(index.size(), kN);
    EXPECT_GE(Recall(index, data, 10, 0, All), 0.95) << threads << " threads";
  }
}

TEST(HnswIndexTest, ConcurrentSearchesAgree) {
  Data data(Metric::kCosine, 32, 3000, 100);
  HnswIndex index(data.space, data.table, {});
  AddAll(index, 3000);
  std::vector<std::vector<Neighbor>> expected;
  for (const auto& query : data.queries) expected.push_back(index.Search(query.data(), {.k = 10}));
  std::vector<std::thread> workers;
  std::atomic<size_t> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      for (size_t q = 0; q < data.queries.size(); ++q) {
        auto hits = index.Search(data.queries[q].data(), {.k = 10});
        for (size_t i = 0; i < hits.size(); ++i) mismatches += hits[i].slot != expected[q][i].slot;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(mismatches.load(), 0u);
}

// Prints (does not assert) build and search speed, for a feel of where the index stands.
TEST(HnswIndexTest, SpeedReport) {
  const size_t n = kSanitized ? 2000 : 20000;
  Data data(Metric::kL2, 128, n, 200);
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
  };
  HnswIndex index(data.space, data.table, {});
  auto start = Clock::now();
  AddAll(index, n);
  const double build = seconds(start);
  std::printf("hnsw %zu x 128 l2, m=16 ef_construction=100: build %.0f/s (1 thread)\n", n,
              n / build);

  std::vector<std::vector<Neighbor>> truth;
  for (const auto& query : data.queries) truth.push_back(data.BruteForce(query.data(), 10, All));
  for (uint32_t ef : {16u, 32u, 64u}) {
    size_t matches = 0;
    start = Clock::now();
    for (int rep = 0; rep < 3; ++rep) {
      for (size_t q = 0; q < data.queries.size(); ++q) {
        matches += Matches(index.Search(data.queries[q].data(), {.k = 10, .ef = ef}), truth[q]);
      }
    }
    const double qps = 3.0 * data.queries.size() / seconds(start);
    std::printf("  ef=%2u: recall@10 %.4f, %.0f queries/s (1 thread)\n", ef,
                matches / (30.0 * data.queries.size()), qps);
  }
}

}  // namespace
}  // namespace alike::index
