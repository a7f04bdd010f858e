// A cluster collection's settings (with the placement's nodes per shard and grace period, which
// older settings lack) in the JetStream KV bucket: written once, read back equal,
// created again with equal settings as a no-op, refused (naming both) with other settings, and a
// collection never created reported as such.
#include "cluster/settings.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/cluster_fixture.h"

namespace alike::cluster {
namespace {

TEST(ClusterSettingsCodecTest, SettingsRoundTripAndMalformedTextIsCorruption) {
  const ClusterSettings settings{
      .collection = {.dimension = 512, .metric = Metric::kL2, .index = IndexKind::kSq8},
      .shard_count = 32,
      .stream_replicas = 1,
      .heartbeat_ttl = std::chrono::milliseconds(2500),
      .lag_limit = {.max_lag = 77, .wait = std::chrono::milliseconds(1234)},
      .shard_replicas = 3,
      .node_grace = std::chrono::milliseconds(7000)};
  auto decoded = DecodeClusterSettings(EncodeClusterSettings(settings));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->SameAs(settings)) << decoded->Describe();
  EXPECT_EQ(decoded->lag_limit.max_lag, 77u);
  EXPECT_EQ(decoded->lag_limit.wait, std::chrono::milliseconds(1234));
  // Settings written before the lag limit existed read with the default one.
  auto older = DecodeClusterSettings(
      R"({"dimension":8,"metric":"l2","index":"flat","shard_count":4,"stream_replicas":3,)"
      R"("heartbeat_ttl_ms":5000})");
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  EXPECT_EQ(older->lag_limit.max_lag, LagLimit{}.max_lag);
  for (const std::string bad : {"", "{}", R"({"dimension": 4})", "[1]"}) {
    auto refused = DecodeClusterSettings(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), Status::Code::kCorruption) << bad;
  }
  std::string zero_shards = EncodeClusterSettings(settings);
  zero_shards.replace(zero_shards.find("\"shard_count\":32"), 16, "\"shard_count\":0");
  EXPECT_FALSE(DecodeClusterSettings(zero_shards).ok()) << zero_shards;
  EXPECT_EQ(decoded->shard_replicas, 3);
  EXPECT_EQ(decoded->node_grace, std::chrono::milliseconds(7000));
  ClusterSettings other_placement = settings;
  other_placement.shard_replicas = 2;
  EXPECT_FALSE(other_placement.SameAs(settings));

  // Settings written before placement existed: the defaults (2 nodes per shard, 30 s of grace).
  auto old = DecodeClusterSettings(
      R"({"dimension": 8, "metric": "l2", "index": "flat", "shard_count": 4,
          "stream_replicas": 3, "heartbeat_ttl_ms": 5000})");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->shard_replicas, kDefaultShardReplicas);
  EXPECT_EQ(old->node_grace, std::chrono::milliseconds(30000));
  std::string no_replicas = EncodeClusterSettings(settings);
  no_replicas.replace(no_replicas.find("\"shard_replicas\":3"), 18, "\"shard_replicas\":0");
  EXPECT_EQ(DecodeClusterSettings(no_replicas).status().code(), Status::Code::kCorruption)
      << no_replicas;
}

class ClusterSettingsTest : public test::NatsClusterTest {};

TEST_F(ClusterSettingsTest, CreatedOnceReadBackAndAMismatchedCreateIsRefused) {
  const ClusterSettings settings = test::TestSettings(2);
  ASSERT_TRUE(CreateClusterCollection(*nats_, "kvset", settings).ok());
  auto read = ReadClusterSettings(*nats_, "kvset");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(read->SameAs(settings)) << read->Describe();
  EXPECT_EQ(read->collection.dimension, test::kClusterDim);

  const Status again = CreateClusterCollection(*nats_, "kvset", settings);
  EXPECT_TRUE(again.ok()) << again.ToString();

  ClusterSettings other = settings;
  other.collection.dimension = 32;
  const Status refused = CreateClusterCollection(*nats_, "kvset", other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), Status::Code::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("dimension 16"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("dimension 32"), std::string::npos) << refused.message();
  auto unchanged = ReadClusterSettings(*nats_, "kvset");
  ASSERT_TRUE(unchanged.ok());
  EXPECT_TRUE(unchanged->SameAs(settings));

  auto missing = ReadClusterSettings(*nats_, "nevercreated");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("alike cluster create"), std::string::npos);
}

}  // namespace
}  // namespace alike::cluster
