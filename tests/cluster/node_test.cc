// Cluster nodes and the router on a real three-server NATS cluster: three in-process Nodes hold
// four shards, each shard on two of them, and searches through the router are compared with one
// local collection holding the same records. Also: read-your-writes with a write token, nodes
// stopped (the other replica answers; a shard without replica is named), a query the shards
// refuse, and data directories a node must refuse.
#include "cluster/node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alike/vector_db.h"
#include "cluster/router.h"
#include "cluster/shard_writer.h"
#include "cluster/shards.h"
#include "testing/cluster_fixture.h"

namespace alike::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::kClusterOptions;
using test::MakeClusterRecords;

constexpr uint32_t kShards = 4;
// Each shard on two of the three nodes.
const std::vector<std::vector<uint32_t>> kPlacement = {{0, 1, 2}, {1, 2, 3}, {0, 3}};

class ClusterNodeTest : public test::NatsClusterTest {
 protected:
  // The node's id is its directory's name.
  Result<std::unique_ptr<Node>> StartNode(
      const std::string& collection, std::vector<uint32_t> shards, const std::string& dir,
      std::optional<CollectionOptions> expected = std::nullopt) {
    return Node::Start({.nats = {.servers = cluster_->urls()},
                        .data_dir = local_.Sub(dir),
                        .collection = collection,
                        .node_id = dir,
                        .collection_options = expected,
                        .shards = std::move(shards),
                        .catch_up_timeout = seconds(30),
                        .poll_wait = milliseconds(200),
                        .heartbeat_interval = test::kTestHeartbeatInterval});
  }

  // Three nodes holding kShards shards of `collection` as kPlacement says.
  std::vector<std::unique_ptr<Node>> StartNodes(const std::string& collection) {
    std::vector<std::unique_ptr<Node>> nodes;
    for (size_t i = 0; i < kPlacement.size(); ++i) {
      auto node = StartNode(collection, kPlacement[i], collection + "-node" + std::to_string(i));
      EXPECT_TRUE(node.ok()) << node.status().ToString();
      if (node.ok()) nodes.push_back(std::move(*node));
    }
    return nodes;
  }
};

TEST(ClusterNodeShardListTest, ListsAndRangesAreParsedAndCheckedAgainstTheShardCount) {
  auto shards = ParseShardList("5-7,0,2,6", 8);
  ASSERT_TRUE(shards.ok()) << shards.status().ToString();
  EXPECT_EQ(*shards, (std::vector<uint32_t>{0, 2, 5, 6, 7}));
  auto all = ParseShardList("0-63", 64);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 64u);
  for (const std::string bad : {"", "3-1", "0-64", "x", "1,,2", "-3", "2-"}) {
    auto refused = ParseShardList(bad, 64);
    ASSERT_FALSE(refused.ok()) << "'" << bad << "'";
    EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument) << "'" << bad << "'";
  }
}

TEST_F(ClusterNodeTest, RouterSearchesEqualOneMachineHoldingTheSameRecords) {
  const ShardLayout layout = CreateCollection("routed", kShards);
  ShardWriter writer(*nats_, layout, kClusterOptions);
  const std::shared_ptr<Collection> one_machine = OneMachine();
  ASSERT_TRUE(one_machine);
  // Some records before the nodes start (caught up at start), some after (polled).
  WriteBoth(writer, *one_machine, MakeClusterRecords(0, 600));
  auto nodes = StartNodes("routed");
  ASSERT_EQ(nodes.size(), 3u);
  WriteBoth(writer, *one_machine, MakeClusterRecords(600, 400));
  WriteBoth(writer, *one_machine, MakeClusterRecords(100, 50, /*seed=*/2));
  std::vector<uint64_t> deleted;
  for (uint64_t id = 0; id < 1000; id += 7) deleted.push_back(id);
  auto token = writer.Delete(deleted);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  ASSERT_TRUE(one_machine->Delete(deleted).ok());

  auto router = MakeRouter("routed");
  ASSERT_TRUE(router);
  // Wait for every write through the token, then compare searches.
  const std::vector<float> probe = MakeClusterRecords(9999, 1)[0].vector;
  auto seen = router->Search({.vector = probe}, {.k = 1}, &*token);
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();

  const std::vector<std::pair<SearchOptions, std::string>> variants = {
      {{.k = 1}, "k=1"},
      {{.k = 10}, "k=10"},
      {{.k = 50, .with_payload = false}, "k=50 without payloads"},
      {{.k = 25, .filter = R"({"parity": "odd"})"}, "filter parity"},
      {{.k = 10, .filter = R"({"seed": 2})"}, "filter seed (50 records)"},
      {{.k = 100, .max_distance = 0.6f}, "max_distance"},
      {{.k = 10, .ef = 200}, "ef"},
      {{.k = 10, .exact = true}, "exact"},
  };
  // With the token too: a shard's other replica may still be applying the last write.
  for (const auto& [options, what] : variants) {
    ExpectSameHits(*router, *one_machine, options, what, &*token);
  }
}

TEST_F(ClusterNodeTest, ASearchWithAWriteTokenSeesTheWrite) {
  const ShardLayout layout = CreateCollection("ryw", kShards);
  ShardWriter writer(*nats_, layout, kClusterOptions);
  ASSERT_TRUE(writer.Upsert(MakeClusterRecords(0, 200)).ok());
  auto nodes = StartNodes("ryw");
  ASSERT_EQ(nodes.size(), 3u);
  auto router = MakeRouter("ryw");
  ASSERT_TRUE(router);
  for (uint64_t id = 1000; id < 1010; ++id) {
    const std::vector<Record> record = MakeClusterRecords(id, 1, /*seed=*/7);
    auto token = writer.Upsert(record);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    auto hits = router->Search({.vector = record[0].vector}, {.k = 1}, &*token);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(hits->hits.at(0).size(), 1u);
    EXPECT_EQ(hits->hits[0][0].id, id) << "the search right after the write sees it";
    EXPECT_NEAR(hits->hits[0][0].distance, 0.0f, 1e-5f);
  }
}

TEST_F(ClusterNodeTest, StoppedNodesAreAnsweredForByOtherReplicasAndAShardWithoutOneIsNamed) {
  const ShardLayout layout = CreateCollection("failures", kShards);
  ShardWriter writer(*nats_, layout, kClusterOptions);
  const std::shared_ptr<Collection> one_machine = OneMachine();
  ASSERT_TRUE(one_machine);
  WriteBoth(writer, *one_machine, MakeClusterRecords(0, 400));
  auto nodes = StartNodes("failures");
  ASSERT_EQ(nodes.size(), 3u);
  auto router = MakeRouter("failures");
  ASSERT_TRUE(router);
  ExpectSameHits(*router, *one_machine, {.k = 10}, "all nodes up");

  nodes[0].reset();  // shards 0, 1, 2 remain on the other two nodes
  ExpectSameHits(*router, *one_machine, {.k = 10}, "node 0 stopped");
  ExpectSameHits(*router, *one_machine, {.k = 10, .filter = R"({"parity": "even"})"},
                 "node 0 stopped, filtered");

  nodes[2].reset();  // shard 0 lived on nodes 0 and 2: no replica left
  const std::vector<float> query = MakeClusterRecords(5000, 1, /*seed=*/3)[0].vector;
  auto refused = router->Search({.vector = query}, {.k = 10});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kIOError);
  EXPECT_NE(refused.status().message().find("shard 0:"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(refused.status().message().find("shard 1:"), std::string::npos)
      << refused.status().message();

  auto partial_router = MakeRouter("failures", /*allow_partial=*/true);
  ASSERT_TRUE(partial_router);
  auto partial = partial_router->Search({.vector = query}, {.k = 10});
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  ASSERT_EQ(partial->missing_shards.size(), 1u);
  EXPECT_EQ(partial->missing_shards.begin()->first, 0u);
  ASSERT_EQ(partial->hits.size(), 1u);
  EXPECT_EQ(partial->hits[0].size(), 10u);
  for (const Hit& hit : partial->hits[0]) EXPECT_NE(ShardOf(hit.id, kShards), 0u);
}

TEST_F(ClusterNodeTest, AQueryTheShardsRefuseFailsWithTheirError) {
  CreateCollection("refused", kShards);
  auto nodes = StartNodes("refused");
  ASSERT_EQ(nodes.size(), 3u);
  auto router = MakeRouter("refused");
  ASSERT_TRUE(router);
  const std::vector<float> short_query(kClusterOptions.dimension - 1, 0.5f);
  auto wrong_dimension = router->Search({.vector = short_query}, {.k = 5});
  ASSERT_FALSE(wrong_dimension.ok());
  EXPECT_EQ(wrong_dimension.status().code(), Status::Code::kInvalidArgument)
      << wrong_dimension.status().ToString();
  EXPECT_NE(wrong_dimension.status().message().find("dimension"), std::string::npos)
      << wrong_dimension.status().message();

  const std::vector<float> query(kClusterOptions.dimension, 0.5f);
  auto bad_filter = router->Search({.vector = query}, {.k = 5, .filter = "{not json"});
  ASSERT_FALSE(bad_filter.ok());
  EXPECT_EQ(bad_filter.status().code(), Status::Code::kInvalidArgument)
      << bad_filter.status().ToString();
}

TEST_F(ClusterNodeTest, ANodeRefusesOptionsOrADirectoryThatDisagreeWithTheSettings) {
  CreateCollection("dirs", 2);
  {
    auto node = StartNode("dirs", {0, 1}, "dirs-node", kClusterOptions);
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    EXPECT_EQ(node->get()->settings().shard_count, 2u);
  }
  CollectionOptions other = kClusterOptions;
  other.dimension = 8;
  auto other_dimension = StartNode("dirs", {0}, "dirs-node", other);
  ASSERT_FALSE(other_dimension.ok());
  EXPECT_EQ(other_dimension.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(other_dimension.status().message().find("dimension 16"), std::string::npos)
      << other_dimension.status().message();

  auto slow_heartbeat = Node::Start({.nats = {.servers = cluster_->urls()},
                                     .data_dir = local_.Sub("dirs-node"),
                                     .collection = "dirs",
                                     .node_id = "slow",
                                     .shards = {0},
                                     .heartbeat_interval = test::kTestHeartbeatTtl});
  ASSERT_FALSE(slow_heartbeat.ok());
  EXPECT_EQ(slow_heartbeat.status().code(), Status::Code::kInvalidArgument)
      << slow_heartbeat.status().ToString();

  auto no_such_shard = StartNode("dirs", {2}, "dirs-node");
  ASSERT_FALSE(no_such_shard.ok());
  EXPECT_EQ(no_such_shard.status().code(), Status::Code::kInvalidArgument)
      << no_such_shard.status().ToString();

  {  // a directory holding a shard of other options than the settings'
    auto db = Database::Open(local_.Sub("eight-node"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->CreateCollection(LocalShardName("dirs", 0), other).ok());
  }
  auto other_directory = StartNode("dirs", {0}, "eight-node");
  ASSERT_FALSE(other_directory.ok());
  EXPECT_EQ(other_directory.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(other_directory.status().message().find("dimension 8"), std::string::npos)
      << other_directory.status().message();

  CreateCollection("dirs2", 2);
  auto other_collection = StartNode("dirs2", {0}, "dirs-node");
  ASSERT_FALSE(other_collection.ok());
  EXPECT_EQ(other_collection.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(other_collection.status().message().find("'dirs-0'"), std::string::npos)
      << other_collection.status().message();

  auto not_created = StartNode("nosettings", {0}, "fresh-node");
  ASSERT_FALSE(not_created.ok());
  EXPECT_EQ(not_created.status().code(), Status::Code::kNotFound)
      << not_created.status().ToString();
  EXPECT_NE(not_created.status().message().find("alike cluster create"), std::string::npos)
      << not_created.status().message();
}

// Rounds of writes to the cluster and to one machine: ten new records, a replacement of a record
// of two rounds ago (another vector and payload) and a delete of one of the round before, so that
// a message applied twice, or out of place, shows as a stale payload or a deleted record back.
class WriteRounds {
 public:
  WriteRounds(ShardWriter& writer, Collection& one_machine)
      : writer_(writer), one_machine_(one_machine) {}

  // Writes rounds up to `end` (exclusive); false when a write fails.
  bool WriteUntil(uint64_t end) {
    for (; next_ < end; ++next_) {
      const uint64_t r = next_;
      std::vector<Record> records = MakeClusterRecords(r * 10, 10, /*seed=*/r + 1);
      if (r >= 2) records.push_back(MakeClusterRecords((r - 2) * 10, 1, /*seed=*/100 + r)[0]);
      if (!Apply(writer_.Upsert(records)) || !one_machine_.Upsert(records).ok()) return false;
      if (r >= 1) {
        const std::vector<uint64_t> gone = {(r - 1) * 10 + 1};
        if (!Apply(writer_.Delete(gone)) || !one_machine_.Delete(gone).ok()) return false;
      }
    }
    return true;
  }
  // Every write so far.
  const WriteToken& token() const { return token_; }

 private:
  bool Apply(const Result<WriteToken>& written) {
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    if (written.ok()) token_.Merge(*written);
    return written.ok();
  }

  ShardWriter& writer_;
  Collection& one_machine_;
  uint64_t next_ = 0;
  WriteToken token_;
};

// Whether `node` applied every write of `token`, waiting at most `timeout`.
bool WaitApplied(const Node& node, const WriteToken& token, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const bool applied =
        std::all_of(token.shard_seq.begin(), token.shard_seq.end(),
                    [&](const auto& s) { return node.applied_seq(s.first) >= s.second; });
    if (applied) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

TEST_F(ClusterNodeTest, ANodeWhoseStreamsLostWhatItNeedsRestoresFromAReplicaAndPullsTheTail) {
  const std::string name = "purged";
  const ShardLayout layout = CreateCollection(name, 2);
  std::shared_ptr<Collection> one_machine = OneMachine();
  ASSERT_TRUE(one_machine);
  ShardWriter writer(*nats_, layout, kClusterOptions);
  WriteRounds rounds(writer, *one_machine);
  auto first = StartNode(name, {0, 1}, "purged-a");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = StartNode(name, {0, 1}, "purged-b");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(rounds.WriteUntil(10));
  ASSERT_TRUE(WaitApplied(**second, rounds.token(), seconds(20)));
  second->reset();  // its directory keeps what it applied
  ASSERT_TRUE(rounds.WriteUntil(20));
  // Every message but each stream's last goes: the one after what the stopped node applied, and
  // the first one, are no longer in the streams.
  for (uint32_t shard = 0; shard < 2; ++shard) {
    const std::string stream = ShardStreamName(name, shard);
    auto state = nats_->GetStreamState(stream);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    ASSERT_TRUE(nats_->PurgeStream(stream, state->last_seq).ok());
    auto purged = nats_->GetStreamState(stream);
    ASSERT_TRUE(purged.ok());
    EXPECT_EQ(purged->first_seq, state->last_seq) << stream;
    EXPECT_EQ(purged->messages, 1u) << stream;
  }
  ASSERT_TRUE(rounds.WriteUntil(25));
  ASSERT_TRUE(WaitApplied(**first, rounds.token(), seconds(20)));

  // The stale directory and an empty one: both restored from the first node's snapshots.
  second = StartNode(name, {0, 1}, "purged-b");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto third = StartNode(name, {0, 1}, "purged-c");
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  ASSERT_TRUE(rounds.WriteUntil(30));  // the tail, pulled after the restores
  for (const Node* node : {first->get(), second->get(), third->get()}) {
    EXPECT_TRUE(WaitApplied(*node, rounds.token(), seconds(20))) << node->node_id();
  }
  first->reset();
  second->reset();
  third->reset();

  // Each holds exactly what one machine holds: no write lost, none applied twice.
  for (const std::string id : {"purged-a", "purged-b", "purged-c"}) {
    auto db = Database::Open(local_.Sub(id));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ((*db)->ListCollections(), (std::vector<std::string>{"purged-0", "purged-1"}));
    uint64_t held = 0;
    for (uint32_t shard = 0; shard < 2; ++shard) {
      auto copy = (*db)->GetCollection(LocalShardName(name, shard));
      ASSERT_TRUE(copy.ok()) << copy.status().ToString();
      held += (*copy)->Count();
      ASSERT_TRUE((*copy)
                      ->ForEach([&](const Record& got) {
                        EXPECT_EQ(ShardOf(got.id, 2), shard) << id << " record " << got.id;
                        auto want = one_machine->Get(got.id);
                        EXPECT_TRUE(want.ok()) << id << " holds deleted record " << got.id;
                        if (!want.ok()) return true;
                        EXPECT_EQ(got.payload, want->payload) << id << " record " << got.id;
                        EXPECT_EQ(got.vector, want->vector) << id << " record " << got.id;
                        return true;
                      })
                      .ok());
    }
    EXPECT_EQ(held, one_machine->Count()) << id;
  }

  // With no replica left to ask (their heartbeats have not expired yet, but nobody answers), a
  // node with an empty directory cannot take the shards: the error names the shard
  // and the replicas, and nothing is installed.
  auto fourth = StartNode(name, {0, 1}, "purged-d");
  ASSERT_FALSE(fourth.ok());
  const std::string& why = fourth.status().message();
  EXPECT_NE(why.find("shard 0 of 'purged'"), std::string::npos) << why;
  EXPECT_NE(why.find("no longer holds"), std::string::npos) << why;
  // The replicas asked, or (if their heartbeats expired meanwhile on a slow machine) that none
  // is left.
  EXPECT_TRUE(why.find("'purged-a'") != std::string::npos ||
              why.find("no live replica") != std::string::npos)
      << why;
  auto db = Database::Open(local_.Sub("purged-d"));
  ASSERT_TRUE(db.ok());
  EXPECT_TRUE((*db)->ListCollections().empty());
}

}  // namespace
}  // namespace alike::cluster
