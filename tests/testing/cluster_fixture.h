// What the cluster tests share: their records (16-d cosine vectors with payloads to filter on),
// hits sorted as a router merges them, a comparison of a router's hits with one machine's, and a
// test fixture holding one three-server NATS cluster
// for the whole test program (starting servers and electing JetStream's leaders takes seconds),
// with a fresh connection and temporary directory per test. Each test works on collections of its
// own name.
#ifndef ALIKE_TESTS_TESTING_CLUSTER_FIXTURE_H_
#define ALIKE_TESTS_TESTING_CLUSTER_FIXTURE_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "alike/vector_db.h"
#include "cluster/nats_client.h"
#include "cluster/router.h"
#include "cluster/settings.h"
#include "cluster/shard_writer.h"
#include "cluster/shards.h"
#include "testing/nats_cluster.h"
#include "testing/temp_dir.h"

namespace alike::test {

inline constexpr uint32_t kClusterDim = 16;
// Flat: every search is exact, so a sharded search must equal one machine's hit for hit.
inline const CollectionOptions kClusterOptions{
    .dimension = kClusterDim, .metric = Metric::kCosine, .index = IndexKind::kFlat};

// Short, so that a stopped node drops out of the membership quickly, yet eight heartbeat
// intervals, so that a live node under a loaded CI machine (sanitizers, two cores) stays live.
inline constexpr std::chrono::milliseconds kTestHeartbeatTtl{2000};
inline constexpr std::chrono::milliseconds kTestHeartbeatInterval{250};

inline cluster::ClusterSettings TestSettings(uint32_t shards) {
  return {.collection = kClusterOptions, .shard_count = shards, .heartbeat_ttl = kTestHeartbeatTtl};
}

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
  // One cluster for every suite of the test program, started by the first and stopped at exit:
  // starting three servers and electing JetStream's leaders takes seconds, and each test works on
  // collections of its own name. (Tests that kill servers start a cluster of their own.)
  static void SetUpTestSuite() {
    if (!NatsSkipReason().empty() || shared_ != nullptr) return;
    shared_ = std::make_unique<Shared>();
    if (shared_->cluster.ok()) cluster_ = shared_->cluster->get();
  }

  void SetUp() override {
    if (const std::string why = NatsSkipReason(); !why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(shared_->cluster.ok()) << shared_->cluster.status().ToString();
    auto nats = cluster::NatsConnection::Connect({.servers = cluster_->urls()});
    ASSERT_TRUE(nats.ok()) << nats.status().ToString();
    nats_ = std::move(*nats);
  }

  // The shard streams only (what the replication tests need).
  cluster::ShardLayout AddCollection(const std::string& name, uint32_t shards) {
    const cluster::ShardLayout layout{.collection = name, .shard_count = shards};
    const Status added = cluster::AddShardStreams(*nats_, layout);
    EXPECT_TRUE(added.ok()) << added.ToString();
    return layout;
  }

  // A whole cluster collection of kClusterOptions, as `alike cluster create` makes it: settings,
  // membership bucket (heartbeats expire after kTestHeartbeatTtl) and streams.
  cluster::ShardLayout CreateCollection(const std::string& name, uint32_t shards) {
    return CreateCollection(name, TestSettings(shards));
  }
  cluster::ShardLayout CreateCollection(const std::string& name,
                                        const cluster::ClusterSettings& settings) {
    const Status created = cluster::CreateClusterCollection(*nats_, name, settings);
    EXPECT_TRUE(created.ok()) << created.ToString();
    return {.collection = name, .shard_count = settings.shard_count};
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

  std::unique_ptr<cluster::Router> MakeRouter(const std::string& collection,
                                              bool allow_partial = false) {
    auto router =
        cluster::Router::Create(*nats_, {.collection = collection, .allow_partial = allow_partial});
    EXPECT_TRUE(router.ok()) << router.status().ToString();
    return router.ok() ? std::move(*router) : nullptr;
  }

  // Writes the same records to the cluster and to `one_machine`.
  void WriteBoth(cluster::ShardWriter& writer, Collection& one_machine,
                 const std::vector<Record>& records) {
    auto token = writer.Upsert(records);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    ASSERT_TRUE(one_machine.Upsert(records).ok());
  }

  // Every query's hits through the router equal one machine's: ids, distances and payloads.
  // `after`: a write token every replica asked must have applied (null: none).
  void ExpectSameHits(cluster::Router& router, Collection& one_machine,
                      const SearchOptions& options, const std::string& what,
                      const cluster::WriteToken* after = nullptr) {
    const std::vector<Record> queries = MakeClusterRecords(5000, 8, /*seed=*/3);
    std::vector<Query> batch;
    for (const Record& q : queries) batch.push_back({.vector = q.vector});
    auto routed = router.SearchBatch(batch, options, after);
    ASSERT_TRUE(routed.ok()) << what << ": " << routed.status().ToString();
    ASSERT_EQ(routed->hits.size(), queries.size()) << what;
    EXPECT_TRUE(routed->missing_shards.empty()) << what;
    for (size_t i = 0; i < queries.size(); ++i) {
      auto expected = one_machine.Search(batch[i], options);
      ASSERT_TRUE(expected.ok());
      const std::vector<Hit> want = test::SortedHits(*expected, options.k);
      const std::vector<Hit>& got = routed->hits[i];
      ASSERT_EQ(got.size(), want.size()) << what << ", query " << i;
      ASSERT_FALSE(want.empty()) << what << " must find something";
      for (size_t h = 0; h < want.size(); ++h) {
        EXPECT_EQ(got[h].id, want[h].id) << what << ", query " << i << ", hit " << h;
        EXPECT_EQ(got[h].distance, want[h].distance) << what << ", query " << i << ", hit " << h;
        EXPECT_EQ(got[h].payload, want[h].payload) << what << ", query " << i << ", hit " << h;
      }
    }
  }

  struct Shared {
    TempDir dir;
    // Stopped before its directory is removed.
    Result<std::unique_ptr<LocalNatsCluster>> cluster = StartNatsCluster(dir.path());
  };
  static inline std::unique_ptr<Shared> shared_;
  static inline LocalNatsCluster* cluster_ = nullptr;
  std::unique_ptr<cluster::NatsConnection> nats_;
  TempDir local_;
  std::unique_ptr<Database> one_machine_db_;
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_CLUSTER_FIXTURE_H_
