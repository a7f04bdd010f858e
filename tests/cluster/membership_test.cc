// Node heartbeats in the membership bucket: a serving node appears with its shards, its applied
// sequences follow the writes until its lag is 0, and once the node stops its heartbeat expires
// after the collection's TTL.
#include "cluster/membership.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cluster/node.h"
#include "cluster/shard_writer.h"
#include "testing/cluster_fixture.h"

namespace alike::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ClusterHeartbeatCodecTest, HeartbeatsRoundTripAndNodeIdsAreChecked) {
  const Heartbeat beat{.node = "n-1", .shards = {{.shard = 3, .applied = 10, .last = 14}}};
  auto decoded = DecodeHeartbeat(EncodeHeartbeat(beat));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->node, "n-1");
  ASSERT_EQ(decoded->shards.size(), 1u);
  EXPECT_EQ(decoded->shards[0].lag(), 4u);
  EXPECT_TRUE(decoded->Holds(3));
  EXPECT_FALSE(decoded->Holds(0));
  EXPECT_EQ(DecodeHeartbeat("{\"node\": 1}").status().code(), Status::Code::kCorruption);
  EXPECT_TRUE(ValidateNodeId("host_1-42").ok());
  for (const std::string& bad :
       std::vector<std::string>{"", "a.b", "a b", "*", std::string(65, 'x')}) {
    EXPECT_FALSE(ValidateNodeId(bad).ok()) << bad;
  }
}

class ClusterMembershipTest : public test::NatsClusterTest {
 protected:
  // Polls `membership` until `done` holds for its live nodes, at most `timeout`.
  template <typename Done>
  static bool WaitFor(Membership& membership, Done done, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(membership.Live())) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return true;
  }
};

TEST_F(ClusterMembershipTest, HeartbeatsAppearFollowTheWritesAndExpireAfterTheNodeStops) {
  const ShardLayout layout = CreateCollection("members", 2);
  auto membership = Membership::Watch(*nats_, "members", test::kTestHeartbeatTtl);
  ASSERT_TRUE(membership.ok()) << membership.status().ToString();
  EXPECT_TRUE((*membership)->WaitUntilCaughtUp(seconds(5))) << "an empty bucket is read too";
  EXPECT_TRUE((*membership)->Live().empty());

  ShardWriter writer(*nats_, layout, test::kClusterOptions);
  ASSERT_TRUE(writer.Upsert(test::MakeClusterRecords(0, 50)).ok());
  auto node = Node::Start({.nats = {.servers = cluster_->urls()},
                           .data_dir = local_.Sub("member-node"),
                           .collection = "members",
                           .node_id = "member-1",
                           .shards = {0, 1},
                           .catch_up_timeout = seconds(30),
                           .poll_wait = milliseconds(200),
                           .heartbeat_interval = test::kTestHeartbeatInterval});
  ASSERT_TRUE(node.ok()) << node.status().ToString();

  auto token = writer.Upsert(test::MakeClusterRecords(50, 50));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  // Caught up with the second write, as a heartbeat says: applied = the token's, lag 0.
  const auto caught_up = [&](const std::vector<Heartbeat>& live) {
    if (live.size() != 1 || live[0].node != "member-1" || live[0].shards.size() != 2) return false;
    for (const ShardHeartbeat& s : live[0].shards) {
      if (s.applied != token->shard_seq.at(s.shard) || s.lag() != 0) return false;
    }
    return true;
  };
  EXPECT_TRUE(WaitFor(**membership, caught_up, seconds(10)));
  const std::vector<Heartbeat> live = (*membership)->Live();
  ASSERT_EQ(live.size(), 1u);
  EXPECT_TRUE(live[0].Holds(0) && live[0].Holds(1));
  EXPECT_LT(std::chrono::system_clock::now() - live[0].written, test::kTestHeartbeatTtl);

  node->reset();
  const auto empty = [](const std::vector<Heartbeat>& l) { return l.empty(); };
  EXPECT_TRUE(WaitFor(**membership, empty, test::kTestHeartbeatTtl + seconds(5)))
      << "a stopped node's heartbeat expires";
  // Expired in the bucket too, not only too old for this reader.
  auto bucket = nats_->ExistingKeyValueBucket(MembershipBucketName("members"));
  ASSERT_TRUE(bucket.ok());
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while ((*bucket)->Get("member-1").ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ((*bucket)->Get("member-1").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace alike::cluster
