// `alike node`, `alike cluster create` and `alike cluster search` as a user runs them, on a real
// three-server NATS cluster: a node process serves, the CLI searches through the router, SIGTERM
// stops the node cleanly, and a search without a node names the shards that did not answer.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>
#include <string>
#include <vector>

#include "cluster/nats_client.h"
#include "cluster/shard_writer.h"
#include "testing/cli.h"
#include "testing/cluster_fixture.h"
#include "testing/nats_cluster.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace alike::test {
namespace {

TEST(ClusterCliTest, ANodeServesTheCliSearchesThroughItAndSigtermStopsIt) {
  if (const std::string why = NatsCluster::SkipReason(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir, nats_dir;
  NatsCluster nats_cluster(nats_dir.path());
  ASSERT_TRUE(nats_cluster.error().empty()) << nats_cluster.error();
  const std::string where =
      " --nats " + nats_cluster.urls() + " --collection clicol --shard-count 2";

  const RunResult created = RunAlike(dir, "--json cluster create" + where);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_EQ(JsonLines(created.out).at(0)["shards"], 2);
  // The CLI writes nothing yet: the records go in through a ShardWriter.
  auto nats = cluster::NatsConnection::Connect({.servers = nats_cluster.urls()});
  ASSERT_TRUE(nats.ok()) << nats.status().ToString();
  cluster::ShardWriter writer(**nats, {.collection = "clicol", .shard_count = 2}, kClusterOptions);
  const std::vector<Record> records = MakeClusterRecords(0, 100);
  ASSERT_TRUE(writer.Upsert(records).ok());

  ServerProcess node({ALIKE_CLI_PATH, "node", "--nats", nats_cluster.urls(), "--collection",
                      "clicol", "--shard-count", "2", "--shards", "0-1", "--data", dir.Sub("node"),
                      "--dim", "16", "--index", "flat"},
                     60'000);
  ASSERT_NE(node.output().find("alike: serving 2 shards"), std::string::npos) << node.output();

  std::ostringstream vector;
  vector.precision(9);
  for (float x : records[5].vector) vector << (vector.tellp() > 0 ? "," : "") << x;
  const RunResult found =
      RunAlike(dir, "--json cluster search" + where + " -k 3 --vector " + vector.str());
  ASSERT_EQ(found.exit_code, 0) << found.err;
  const nlohmann::json hits = JsonLines(found.out).at(0)["hits"];
  ASSERT_EQ(hits.size(), 3u) << found.out;
  EXPECT_EQ(hits[0]["id"], 5) << found.out;
  EXPECT_EQ(hits[0]["payload"]["parity"], "odd") << found.out;

  const RunResult wrong = RunAlike(dir, "cluster search" + where + " --vector 1,2,3");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("dimension"), std::string::npos) << wrong.err;

  EXPECT_EQ(node.StopWith(SIGTERM), 0) << node.output();
  EXPECT_NE(node.output().find("alike: node stopped"), std::string::npos) << node.output();
  const RunResult unanswered =
      RunAlike(dir, "cluster search" + where + " --timeout-ms 2000 --vector " + vector.str());
  EXPECT_EQ(unanswered.exit_code, 1);
  EXPECT_NE(unanswered.err.find("shard 0:"), std::string::npos) << unanswered.err;
  EXPECT_NE(unanswered.err.find("shard 1:"), std::string::npos) << unanswered.err;
}

}  // namespace
}  // namespace alike::test
