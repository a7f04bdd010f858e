// `alike node`, `alike cluster create|status|search` as a user runs them, on a real three-server
// NATS cluster: create writes the settings (a mismatched create is refused), a node started
// without --dim serves, status lists it with its lag, the CLI searches through the router,
// SIGTERM stops the node cleanly and a search without a node names the shards that did not
// answer. And a hung node: a SIGSTOPped replica that is still subscribed does not stop searches,
// which the other replica answers with the same hits. And nodes that follow the shard map: status
// shows the placement, and `cluster rebalance` moves a dead node's shard at once.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "cluster/shard_writer.h"
#include "testing/cli.h"
#include "testing/cluster_cli_fixture.h"
#include "testing/cluster_fixture.h"

namespace alike::test {
namespace {

using std::chrono::seconds;

TEST_F(ClusterCliTest, ANodeServesFromTheSettingsStatusListsItAndSigtermStopsIt) {
  Create("clicol");
  const RunResult mismatched = RunAlike(
      local_, "cluster create" + Where("clicol") + " --shard-count 2 --dim 32 --index flat");
  EXPECT_EQ(mismatched.exit_code, 1);
  EXPECT_NE(mismatched.err.find("exists with dimension 16"), std::string::npos) << mismatched.err;

  // Records written through the C++ API (cluster_ops_test.cc writes with the CLI).
  cluster::ShardWriter writer(*nats_, {.collection = "clicol", .shard_count = 2}, kClusterOptions);
  const std::vector<Record> records = MakeClusterRecords(0, 100);
  auto token = writer.Upsert(records);
  ASSERT_TRUE(token.ok()) << token.status().ToString();

  const RunResult wrong_options = RunAlike(
      local_, "node" + Where("clicol") + " --shards 0-1 --data " + local_.Sub("x") + " --dim 8");
  EXPECT_EQ(wrong_options.exit_code, 1);
  EXPECT_NE(wrong_options.err.find("not dimension 8"), std::string::npos) << wrong_options.err;

  // --dim alone is checked; the metric and index are the settings' (cosine, flat).
  auto node = StartNode("clicol", "cli-node", {"--dim", "16"});
  const nlohmann::json hits = Search("clicol", records[5].vector);
  ASSERT_EQ(hits.size(), 5u) << hits;
  EXPECT_EQ(hits[0]["id"], 5) << hits;
  EXPECT_EQ(hits[0]["payload"]["parity"], "odd") << hits;

  const RunResult wrong = RunAlike(local_, "cluster search" + Where("clicol") + " --vector 1,2,3");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("dimension"), std::string::npos) << wrong.err;

  const RunResult status = RunAlike(local_, "--json cluster status" + Where("clicol"));
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const nlohmann::json state = JsonLines(status.out).at(0);
  EXPECT_EQ(state["settings"]["dimension"], 16) << state;
  ASSERT_EQ(state["nodes"].size(), 1u) << state;
  EXPECT_EQ(state["nodes"][0]["id"], "cli-node") << state;
  EXPECT_LT(state["nodes"][0]["heartbeat_age_ms"].get<int64_t>(), kTestHeartbeatTtl.count());
  ASSERT_EQ(state["shards"].size(), 2u) << state;
  for (const nlohmann::json& shard : state["shards"]) {
    ASSERT_EQ(shard["replicas"].size(), 1u) << state;
    EXPECT_EQ(shard["replicas"][0]["node"], "cli-node") << state;
    EXPECT_EQ(shard["replicas"][0]["lag"], 0) << state << " (caught up when it started)";
    EXPECT_EQ(shard["replicas"][0]["applied"], token->shard_seq.at(shard["shard"].get<uint32_t>()));
  }
  const RunResult text = RunAlike(local_, "cluster status" + Where("clicol"));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("1 live nodes"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("node cli-node: heartbeat"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("shard 1: cli-node (applied"), std::string::npos) << text.out;

  EXPECT_EQ(node->StopWith(SIGTERM), 0) << node->output();
  EXPECT_NE(node->output().find("alike: node stopped"), std::string::npos) << node->output();
  const RunResult unanswered =
      RunAlike(local_, "cluster search" + Where("clicol") + " --timeout-ms 2000 --vector " +
                           VectorArg(records[5].vector));
  EXPECT_EQ(unanswered.exit_code, 1);
  EXPECT_NE(unanswered.err.find("shard 0:"), std::string::npos) << unanswered.err;
  EXPECT_NE(unanswered.err.find("shard 1:"), std::string::npos) << unanswered.err;
}

TEST_F(ClusterCliTest, AHungReplicaDoesNotStopSearchesTheOtherAnswersTheSameHits) {
  Create("hung");
  cluster::ShardWriter writer(*nats_, {.collection = "hung", .shard_count = 2}, kClusterOptions);
  ASSERT_TRUE(writer.Upsert(MakeClusterRecords(0, 200)).ok());
  auto first = StartNode("hung", "hung-a");
  auto second = StartNode("hung", "hung-b");
  std::vector<std::vector<float>> queries;
  std::vector<nlohmann::json> expected;
  for (const Record& q : MakeClusterRecords(5000, 3, /*seed=*/3)) {
    queries.push_back(q.vector);
    expected.push_back(Search("hung", q.vector));
    ASSERT_EQ(expected.back().size(), 5u);
  }

  // Stopped, not killed: its subscriptions stay on the server, which hands it requests (the
  // queue group's, and its own subject's while its heartbeat is younger than the TTL) that it
  // never answers. Each search must still answer within its deadline, from the other replica.
  first->Signal(SIGSTOP);
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < queries.size(); ++i) {
      EXPECT_EQ(Search("hung", queries[i], " --timeout-ms 4000"), expected[i])
          << "query " << i << ", round " << round;
    }
  }
  // Once the stopped node's heartbeat expired, status lists the other node alone.
  const nlohmann::json state = StatusWhen(
      "hung", [](const nlohmann::json& s) { return s["nodes"].size() == 1; },
      kTestHeartbeatTtl + seconds(10));
  ASSERT_EQ(state["nodes"].size(), 1u) << state;
  EXPECT_EQ(state["nodes"][0]["id"], "hung-b") << state;

  first->Signal(SIGCONT);
  EXPECT_EQ(first->StopWith(SIGKILL), -1);
  EXPECT_EQ(Search("hung", queries[0]), expected[0]);
}

TEST_F(ClusterCliTest, NodesFollowTheShardMapAndRebalancePlacesAwayFromADeadNodeAtOnce) {
  // One node per shard, and a grace period longer than the test: only rebalance moves a shard
  // off a dead node here.
  Create("placed", kTestHeartbeatTtl, " --shard-replicas 1 --node-grace-ms 600000");
  cluster::ShardWriter writer(*nats_, {.collection = "placed", .shard_count = 2}, kClusterOptions);
  const std::vector<Record> records = MakeClusterRecords(0, 100);
  ASSERT_TRUE(writer.Upsert(records).ok());
  auto first = StartNode("placed", "placed-a", {}, /*follow_map=*/true);
  auto second = StartNode("placed", "placed-b", {}, /*follow_map=*/true);
  const auto each_on = [](const std::set<std::string>& nodes) {
    return [nodes](const nlohmann::json& state) {
      std::set<std::string> serving, placed;
      for (const nlohmann::json& shard : state["shards"]) {
        if (shard["replicas"].size() != 1 || shard["placed_on"].size() != 1) return false;
        serving.insert(shard["replicas"][0]["node"].get<std::string>());
        placed.insert(shard["placed_on"][0].get<std::string>());
      }
      return serving == nodes && placed == nodes;
    };
  };
  const nlohmann::json spread =
      StatusWhen("placed", each_on({"placed-a", "placed-b"}), seconds(30));
  ASSERT_TRUE(each_on({"placed-a", "placed-b"})(spread)) << "one shard on each node: " << spread;
  const RunResult text = RunAlike(local_, "cluster status" + Where("placed"));
  EXPECT_NE(text.out.find("; placed on placed-"), std::string::npos) << text.out;
  ASSERT_EQ(Search("placed", records[5].vector).size(), 5u);

  EXPECT_EQ(first->StopWith(SIGKILL), -1);
  const nlohmann::json dead = StatusWhen(
      "placed", [](const nlohmann::json& s) { return s["nodes"].size() == 1; },
      kTestHeartbeatTtl + seconds(10));
  ASSERT_EQ(dead["nodes"].size(), 1u) << dead;
  const RunResult rebalanced = RunAlike(local_, "--json cluster rebalance" + Where("placed"));
  ASSERT_EQ(rebalanced.exit_code, 0) << rebalanced.err;
  EXPECT_EQ(JsonLines(rebalanced.out).at(0)["shards"],
            nlohmann::json::parse(R"([["placed-b"], ["placed-b"]])"))
      << rebalanced.out;
  const nlohmann::json moved = StatusWhen("placed", each_on({"placed-b"}), seconds(30));
  ASSERT_TRUE(each_on({"placed-b"})(moved)) << "both shards on the live node: " << moved;
  const nlohmann::json hits = Search("placed", records[5].vector);
  ASSERT_EQ(hits.size(), 5u) << hits;
  EXPECT_EQ(hits[0]["id"], 5) << hits;
  EXPECT_EQ(second->StopWith(SIGTERM), 0) << second->output();
}

}  // namespace
}  // namespace alike::test
