// What the cluster tests share: their records (16-d cosine vectors with payloads to filter on),
// hits sorted as a router merges them, and a test fixture holding one three-server NATS cluster
// for a whole suite (starting servers and electing JetStream's leaders takes seconds), with a
// fresh connection and temporary directory per test. Each test works on collections of its own
// name.
#ifndef ALIKE_TESTS_TESTING_CLUSTER_FIXTURE_H_
#define ALIKE_TESTS_TESTING_CLUSTER_FIXTURE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "alike/vector_db.h"
#include "cluster/nats_client.h"
#include "cluster/shards.h"
#include "testing/nats_cluster.h"
#include "testing/temp_dir.h"

namespace alike::test {

inline constexpr uint32_t kClusterDim = 16;
// Flat: every search is exact, so a sharded search must equal one machine's hit for hit.
inline const CollectionOptions kClusterOptions{
    .dimension = kClusterDim, .metric = Metric::kCosine, .index = IndexKind::kFlat};

// Records first..first+count-1 with random vectors and the payload {"parity", "seed"}.
inline std::vector<Record> MakeClusterRecords(uint64_t first, uint64_t count, uint64_t seed = 1) {
  std::mt19937_64 rng(seed * 1000003 + first);
  std::normal_distribution<float> normal;
  std::vector<Record> out;
  for (uint64_t id = first; id < first + count; ++id) {
    Record r{.id = id, .vector = std::vector<float>(kClusterDim)};
    for (float& x : r.vector) x = normal(rng);
    r.payload = nlohmann::json{{"parity", id % 2 ? "odd" : "even"}, {"seed", seed}}.dump();
    out.push_back(std::move(r));
  }
  return out;
}

// The best k hits by distance, ties by id.
inline std::vector<Hit> SortedHits(std::vector<Hit> hits, size_t k) {
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
  });
  if (hits.size() > k) hits.resize(k);
  return hits;
}

class NatsClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!NatsCluster::SkipReason().empty()) return;
    dir_ = std::make_unique<TempDir>();
    cluster_ = std::make_unique<NatsCluster>(dir_->path());
  }
  static void TearDownTestSuite() {
    cluster_.reset();
    dir_.reset();
  }

  void SetUp() override {
    if (const std::string why = NatsCluster::SkipReason(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(cluster_->error().empty()) << cluster_->error();
    auto nats = cluster::NatsConnection::Connect({.servers = cluster_->urls()});
    ASSERT_TRUE(nats.ok()) << nats.status().ToString();
    nats_ = std::move(*nats);
  }

  cluster::ShardLayout AddCollection(const std::string& name, uint32_t shards) {
    const cluster::ShardLayout layout{.collection = name, .shard_count = shards};
    const Status added = cluster::AddShardStreams(*nats_, layout);
    EXPECT_TRUE(added.ok()) << added.ToString();
    return layout;
  }

  // A local collection holding what the cluster should, to compare with ("one machine").
  std::shared_ptr<Collection> OneMachine() {
    auto db = Database::Open(local_.Sub("one-machine"));
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return nullptr;
    one_machine_db_ = std::move(*db);
    auto collection = one_machine_db_->CreateCollection("all", kClusterOptions);
    EXPECT_TRUE(collection.ok()) << collection.status().ToString();
    return collection.ok() ? *collection : nullptr;
  }

  static inline std::unique_ptr<TempDir> dir_;
  static inline std::unique_ptr<NatsCluster> cluster_;
  std::unique_ptr<cluster::NatsConnection> nats_;
  TempDir local_;
  std::unique_ptr<Database> one_machine_db_;
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_CLUSTER_FIXTURE_H_
