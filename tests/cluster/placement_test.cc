// Shard placement: the rule (pure: every shard on R distinct live nodes, balanced, few moves), the
// shard map's compare-and-swap and the controller's lease on a real three-server NATS cluster, and
// nodes that follow the map: a fourth node joins while writes and searches go on (shards move to
// it, no search misses a shard, nothing is lost), and a stopped node (the controller) has its
// lease taken over and its shards re-replicated after the grace period.
#include "cluster/placement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/controller.h"
#include "cluster/node.h"
#include "cluster/shard_map.h"
#include "cluster/shard_writer.h"
#include "testing/cluster_fixture.h"

namespace alike::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::MakeClusterRecords;

// Shards per live node; fails the test if a shard is on fewer than min(R, live) distinct nodes,
// twice on one, or on a node neither live nor in grace.
std::map<std::string, size_t> CheckedLoads(const ShardMap& map, const PlacementInput& input) {
  std::map<std::string, size_t> load;
  for (const std::string& node : input.live) load[node] = 0;
  const size_t want = std::min<size_t>(input.replicas, input.live.size());
  EXPECT_EQ(map.replicas.size(), input.shard_count);
  for (uint32_t s = 0; s < map.replicas.size(); ++s) {
    const std::vector<std::string>& nodes = map.replicas[s];
    EXPECT_EQ(std::set<std::string>(nodes.begin(), nodes.end()).size(), nodes.size())
        << "shard " << s << " twice on one node";
    for (const std::string& node : nodes) {
      if (load.count(node) > 0) {
        ++load[node];
      } else {
        EXPECT_NE(std::find(input.in_grace.begin(), input.in_grace.end(), node),
                  input.in_grace.end())
            << "shard " << s << " on " << node << ", neither live nor in grace";
      }
    }
    EXPECT_GE(nodes.size(), want) << "shard " << s;
  }
  return load;
}

size_t Spread(const std::map<std::string, size_t>& load) {
  const auto [fewest, most] = std::minmax_element(
      load.begin(), load.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return most->second - fewest->second;
}

// Replica slots whose node changed between two maps.
size_t Moves(const ShardMap& before, const ShardMap& after) {
  size_t moves = 0;
  for (size_t s = 0; s < after.replicas.size(); ++s) {
    for (const std::string& node : after.replicas[s]) {
      const auto& old = before.replicas[s];
      if (std::find(old.begin(), old.end(), node) == old.end()) ++moves;
    }
  }
  return moves;
}

TEST(ClusterPlacementRuleTest, EveryShardOnRDistinctLiveNodesBalancedWithTheFewestMoves) {
  PlacementInput three{.shard_count = 8, .replicas = 2, .live = {"a", "b", "c"}};
  const ShardMap empty{.replicas = std::vector<std::vector<std::string>>(8)};
  const ShardMap first = PlaceShards(empty, three);
  EXPECT_LE(Spread(CheckedLoads(first, three)), 1u);
  EXPECT_EQ(PlaceShards(first, three), first) << "a balanced map stays as it is";

  PlacementInput four = three;
  four.live.push_back("d");
  const ShardMap joined = PlaceShards(first, four);
  const auto loads = CheckedLoads(joined, four);
  EXPECT_LE(Spread(loads), 1u);
  EXPECT_EQ(loads.at("d"), 4u);
  EXPECT_EQ(Moves(first, joined), 4u) << "16 replicas on 4 nodes: d takes 4, nothing else moves";
  EXPECT_EQ(PlaceShards(joined, four), joined);

  // "a" dead within its grace period: nothing moves; past it: its shards go to the others, and
  // every shard keeps the replicas it had on live nodes.
  PlacementInput grace{.shard_count = 8, .replicas = 2, .live = {"b", "c", "d"}, .in_grace = {"a"}};
  EXPECT_EQ(PlaceShards(joined, grace), joined);
  PlacementInput gone{.shard_count = 8, .replicas = 2, .live = {"b", "c", "d"}};
  const ShardMap replaced = PlaceShards(joined, gone);
  EXPECT_LE(Spread(CheckedLoads(replaced, gone)), 1u);
  for (size_t s = 0; s < 8; ++s) {
    for (const std::string& node : joined.replicas[s]) {
      if (node == "a") continue;
      const auto& now = replaced.replicas[s];
      EXPECT_NE(std::find(now.begin(), now.end(), node), now.end()) << "shard " << s;
    }
  }
  EXPECT_EQ(Moves(joined, replaced), 4u) << "only a's four replicas move";

  // Fewer live nodes than R: each shard on every live node.
  PlacementInput alone{.shard_count = 8, .replicas = 2, .live = {"c"}};
  const ShardMap single = PlaceShards(replaced, alone);
  for (const auto& nodes : single.replicas) EXPECT_EQ(nodes, std::vector<std::string>{"c"});
}

TEST(ClusterPlacementRuleTest, ShardMapsRoundTripAndMalformedOnesAreRefused) {
  const ShardMap map{.replicas = {{"n1", "n2"}, {"n2"}, {}}};
  auto decoded = DecodeShardMap(EncodeShardMap(map), 3);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, map);
  EXPECT_EQ(map.ShardsOf("n2"), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(DecodeShardMap(EncodeShardMap(map), 4).status().code(), Status::Code::kCorruption);
  EXPECT_EQ(DecodeShardMap(R"({"shards": [["a.b"]]})", 1).status().code(),
            Status::Code::kCorruption);
  EXPECT_EQ(DecodeShardMap("{}", 1).status().code(), Status::Code::kCorruption);
}

class ClusterPlacementTest : public test::NatsClusterTest {
 protected:
  // Nodes dead this long lose their shards; short, as the TTL (kTestHeartbeatTtl) is.
  static constexpr milliseconds kGrace{3000};

  static ClusterSettings Settings(uint32_t shards, int replicas) {
    ClusterSettings settings = test::TestSettings(shards);
    settings.shard_replicas = replicas;
    settings.node_grace = kGrace;
    return settings;
  }

  // A node that follows the shard map; its id is its directory's name.
  Result<std::unique_ptr<Node>> StartNode(const std::string& collection, const std::string& id) {
    return Node::Start({.nats = {.servers = cluster_->urls()},
                        .data_dir = local_.Sub(id),
                        .collection = collection,
                        .node_id = id,
                        .catch_up_timeout = seconds(60),
                        .poll_wait = milliseconds(200),
                        .heartbeat_interval = test::kTestHeartbeatInterval});
  }

  Result<VersionedShardMap> Map(const std::string& collection, uint32_t shards) {
    auto bucket = OpenShardMapBucket(*nats_, collection);
    if (!bucket.ok()) return bucket.status();
    return ReadShardMap(**bucket, shards);
  }

  // Waits (at most `timeout`) until the map places every shard on `replicas` of `nodes` (and on no
  // other node), balanced, and each node serves exactly the shards the map gives it (old holders
  // dropped theirs).
  bool WaitSettled(const std::string& collection, uint32_t shards, const std::vector<Node*>& nodes,
                   size_t replicas, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto map = Map(collection, shards);
      bool settled = map.ok();
      std::set<std::string> ids;
      for (const Node* node : nodes) ids.insert(node->node_id());
      std::map<std::string, size_t> load;
      for (size_t s = 0; settled && s < shards; ++s) {
        const std::vector<std::string>& holders = map->map.replicas[s];
        settled = holders.size() == replicas &&
                  std::all_of(holders.begin(), holders.end(),
                              [&](const std::string& id) { return ids.count(id) > 0; });
      }
      for (const Node* node : nodes) {
        if (!settled) break;
        const std::string id = node->node_id();
        settled = node->shards() == map->map.ShardsOf(id);
        load[id] = node->shards().size();
      }
      if (settled && Spread(load) <= 1) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }

  // Creates `collection`, writes `records` to it and to one machine, and starts `count` nodes that
  // follow the map ("<collection>-0", ...).
  std::vector<std::unique_ptr<Node>> StartCluster(const std::string& collection, uint32_t shards,
                                                  int replicas, const std::vector<Record>& records,
                                                  int count) {
    writer_ = std::make_unique<ShardWriter>(
        *nats_, CreateCollection(collection, Settings(shards, replicas)), test::kClusterOptions);
    one_machine_ = OneMachine();
    std::vector<std::unique_ptr<Node>> nodes;
    if (!one_machine_) return nodes;
    WriteBoth(*writer_, *one_machine_, records);
    for (int i = 0; i < count; ++i) {
      auto node = StartNode(collection, collection + "-" + std::to_string(i));
      EXPECT_TRUE(node.ok()) << node.status().ToString();
      if (node.ok()) nodes.push_back(std::move(*node));
    }
    return nodes;
  }

  // The node whose id the lease holds, or "" when none does.
  std::string LeaseHolder(const std::string& collection) {
    auto bucket = OpenLeaseBucket(*nats_, collection);
    if (!bucket.ok()) return "";
    auto entry = (*bucket)->Get(kControllerLeaseKey);
    return entry.ok() ? entry->value : "";
  }

  // Every record of `one_machine` comes back through the router (exact, k beyond the count).
  // `after`: the token of the last write, which whichever replica answers must have applied (a
  // shard's other replica may still be applying it).
  void ExpectEveryRecord(Router& router, Collection& one_machine, const std::string& what,
                         const WriteToken* after = nullptr) {
    const size_t count = one_machine.Count();
    ExpectSameHits(router, one_machine, {.k = 10}, what, after);
    ExpectSameHits(router, one_machine, {.k = 10, .filter = R"({"parity": "odd"})"}, what, after);
    auto all = router.Search({.vector = MakeClusterRecords(7777, 1)[0].vector},
                             {.k = count + 10, .exact = true, .with_payload = false}, after);
    ASSERT_TRUE(all.ok()) << what << ": " << all.status().ToString();
    EXPECT_EQ(all->hits.at(0).size(), count) << what << ": every record is served";
  }

  std::unique_ptr<ShardWriter> writer_;      // set by StartCluster
  std::shared_ptr<Collection> one_machine_;  // set by StartCluster
};

TEST_F(ClusterPlacementTest, TwoWritersOfOneRevisionNeverBothWinTheMapOrTheLease) {
  const ClusterSettings settings = Settings(2, 2);
  CreateCollection("cas", settings);
  auto bucket = OpenShardMapBucket(*nats_, "cas");
  ASSERT_TRUE(bucket.ok()) << bucket.status().ToString();
  const ShardMap mine{.replicas = {{"a"}, {"b"}}};
  const ShardMap theirs{.replicas = {{"b"}, {"a"}}};
  // The first map, then twenty more: each time two threads write over the same revision (0: no
  // map yet). On a 3-replica bucket of nats-server 2.9.10 both often won (nats-server#4320).
  for (int round = 0; round < 21; ++round) {
    auto read = ReadShardMap(**bucket, 2);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    const uint64_t revision = read->revision;
    ASSERT_EQ(revision == 0, round == 0);
    Result<uint64_t> first = Status::Internal("not run"), second = Status::Internal("not run");
    std::thread racer([&] { first = WriteShardMap(**bucket, mine, revision); });
    second = WriteShardMap(**bucket, theirs, revision);
    racer.join();
    ASSERT_NE(first.ok(), second.ok()) << "round " << round << ": " << first.status().ToString()
                                       << " / " << second.status().ToString();
    const Status& lost = first.ok() ? second.status() : first.status();
    EXPECT_EQ(lost.code(), Status::Code::kFailedPrecondition) << lost.ToString();
    auto now = ReadShardMap(**bucket, 2);
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(now->map, first.ok() ? mine : theirs) << "the winner's map is the one kept";
  }
  // A stale revision loses to what was written since.
  EXPECT_EQ(WriteShardMap(**bucket, mine, 1).status().code(), Status::Code::kFailedPrecondition);
  // Two controllers placing over one map read: the second one's CAS fails.
  auto read = ReadShardMap(**bucket, 2);
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(WriteShardMap(**bucket, mine, read->revision).ok());
  EXPECT_EQ(WriteShardMap(**bucket, theirs, read->revision).status().code(),
            Status::Code::kFailedPrecondition);

  auto lease = OpenLeaseBucket(*nats_, "cas");
  ASSERT_TRUE(lease.ok());
  auto taken = (*lease)->Create(kControllerLeaseKey, "a");
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ((*lease)->Create(kControllerLeaseKey, "b").status().code(),
            Status::Code::kAlreadyExists);
  auto renewed = (*lease)->Update(kControllerLeaseKey, "a", *taken);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ((*lease)->Update(kControllerLeaseKey, "b", *taken).status().code(),
            Status::Code::kFailedPrecondition)
      << "a renewal over an old revision loses";
}

TEST_F(ClusterPlacementTest, AFourthNodeTakesShardsWhileWritesAndSearchesGoOn) {
  constexpr uint32_t kShards = 12;
  const std::vector<Record> early = MakeClusterRecords(0, 400);
  std::vector<std::unique_ptr<Node>> nodes = StartCluster("join", kShards, 1, early, 3);
  ASSERT_EQ(nodes.size(), 3u);
  ShardWriter& writer = *writer_;
  Collection& one_machine = *one_machine_;
  const auto raw = [&] {
    std::vector<Node*> out;
    for (auto& node : nodes) out.push_back(node.get());
    return out;
  };
  ASSERT_TRUE(WaitSettled("join", kShards, raw(), 1, seconds(60))) << "three nodes placed";
  auto router = MakeRouter("join");
  ASSERT_TRUE(router);
  ExpectEveryRecord(*router, one_machine, "three nodes");

  // Writes go on, and searches for early records (each one's own vector: it is its own nearest)
  // must find them, whichever shard is moving.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> written{0}, searches{0};
  std::vector<std::string> failures;  // searcher thread only, read after it joined
  std::thread writing([&] {
    for (uint64_t id = 1000; !stop; id += 20) {
      const std::vector<Record> batch = MakeClusterRecords(id, 20, /*seed=*/5);
      if (!writer.Upsert(batch).ok() || !one_machine.Upsert(batch).ok()) return;
      written += batch.size();
    }
  });
  std::thread searching([&] {
    for (size_t i = 0; !stop; ++i) {
      const Record& record = early[(i * 37) % early.size()];
      auto hits = router->Search({.vector = record.vector}, {.k = 1});
      ++searches;
      if (!hits.ok()) {
        failures.push_back(hits.status().ToString());
      } else if (hits->hits.at(0).empty() || hits->hits[0][0].id != record.id) {
        failures.push_back("record " + std::to_string(record.id) + " not found");
      }
    }
  });
  // And at every moment some node serves each shard (a node lists a shard from when it answers for
  // it until it left the queue group): a move never leaves a shard without a replica.
  std::mutex nodes_mutex;  // guards `nodes` against the push_back below
  std::vector<uint32_t> uncovered;
  std::thread watching([&] {
    while (!stop) {
      std::vector<bool> served(kShards);
      {
        std::lock_guard lock(nodes_mutex);
        for (const auto& node : nodes) {
          for (const uint32_t shard : node->shards()) served[shard] = true;
        }
      }
      for (uint32_t shard = 0; shard < kShards; ++shard) {
        if (!served[shard]) uncovered.push_back(shard);
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
  });
  auto fourth = StartNode("join", "join-3");
  ASSERT_TRUE(fourth.ok()) << fourth.status().ToString();
  {
    std::lock_guard lock(nodes_mutex);
    nodes.push_back(std::move(*fourth));
  }
  const bool settled = WaitSettled("join", kShards, raw(), 1, seconds(90));
  const uint64_t searched_during_move = searches.load();
  stop = true;
  writing.join();
  searching.join();
  watching.join();
  EXPECT_TRUE(uncovered.empty()) << uncovered.size() << " samples found a shard no node served, "
                                 << "first shard " << uncovered[0];
  ASSERT_TRUE(settled) << "four nodes placed, old holders dropped what moved";
  EXPECT_EQ(nodes[3]->shards().size(), 3u);
  EXPECT_GT(written.load(), 0u);
  EXPECT_GT(searched_during_move, 0u);
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << searches.load()
                                << " searches failed during the move, first: " << failures[0];

  // Every acknowledged write is served, as one machine holds it.
  auto token = writer.Upsert(MakeClusterRecords(100000, 1));
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(one_machine.Upsert(MakeClusterRecords(100000, 1)).ok());
  ExpectEveryRecord(*router, one_machine, "after the move", &*token);
}

TEST_F(ClusterPlacementTest, ANodeThatJoinsGetsItsShardsBySnapshotNotByReplayingTheStreams) {
  constexpr uint32_t kShards = 4;
  std::vector<std::unique_ptr<Node>> nodes =
      StartCluster("snapjoin", kShards, 1, MakeClusterRecords(0, 300), 1);
  ASSERT_EQ(nodes.size(), 1u);
  ASSERT_TRUE(WaitSettled("snapjoin", kShards, {nodes[0].get()}, 1, seconds(30)));
  // The streams keep only what comes next: a node replaying one from its start would lose the
  // first 300 records, and cannot even begin (the stream no longer holds sequence 1).
  for (uint32_t shard = 0; shard < kShards; ++shard) {
    ASSERT_TRUE(nats_->PurgeStream(ShardStreamName("snapjoin", shard), 0).ok());
  }
  WriteBoth(*writer_, *one_machine_, MakeClusterRecords(1000, 100, /*seed=*/2));

  auto second = StartNode("snapjoin", "snapjoin-1");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  nodes.push_back(std::move(*second));
  ASSERT_TRUE(WaitSettled("snapjoin", kShards, {nodes[0].get(), nodes[1].get()}, 1, seconds(60)))
      << "the new node took two shards, the old holder dropped them";
  EXPECT_EQ(nodes[1]->shards().size(), 2u);
  WriteBoth(*writer_, *one_machine_, MakeClusterRecords(2000, 100, /*seed=*/3));
  auto token = writer_->Upsert(MakeClusterRecords(3000, 1));
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(one_machine_->Upsert(MakeClusterRecords(3000, 1)).ok());
  auto router = MakeRouter("snapjoin");
  ASSERT_TRUE(router);
  ExpectEveryRecord(*router, *one_machine_, "after the join", &*token);
}

TEST_F(ClusterPlacementTest, AStoppedControllerLosesItsLeaseAndItsShardsAfterTheGracePeriod) {
  constexpr uint32_t kShards = 4;
  std::vector<std::unique_ptr<Node>> nodes =
      StartCluster("grace", kShards, 2, MakeClusterRecords(0, 300), 3);
  ASSERT_EQ(nodes.size(), 3u);
  ShardWriter& writer = *writer_;
  Collection& one_machine = *one_machine_;
  std::vector<Node*> all = {nodes[0].get(), nodes[1].get(), nodes[2].get()};
  ASSERT_TRUE(WaitSettled("grace", kShards, all, 2, seconds(60)));
  const std::string leader = LeaseHolder("grace");
  const auto led = std::find_if(nodes.begin(), nodes.end(),
                                [&](const auto& node) { return node->node_id() == leader; });
  ASSERT_NE(led, nodes.end()) << "one of the nodes holds the lease: '" << leader << "'";
  EXPECT_TRUE((*led)->leading());

  led->reset();  // the controller stops: its lease expires, its shards lose a replica
  nodes.erase(led);
  std::vector<Node*> left = {nodes[0].get(), nodes[1].get()};
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  std::string next;
  while (std::chrono::steady_clock::now() < deadline) {
    next = LeaseHolder("grace");
    if (!next.empty() && next != leader) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(next == left[0]->node_id() || next == left[1]->node_id())
      << "the lease moved from " << leader << " to '" << next << "'";
  ASSERT_TRUE(WaitSettled("grace", kShards, left, 2, seconds(60)))
      << "every shard re-replicated on the two nodes left";
  auto router = MakeRouter("grace");
  ASSERT_TRUE(router);
  auto token = writer.Upsert(MakeClusterRecords(300, 50));
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(one_machine.Upsert(MakeClusterRecords(300, 50)).ok());
  ExpectEveryRecord(*router, one_machine, "after re-replication", &*token);
}

}  // namespace
}  // namespace alike::cluster
