// The fixture of the tests that run `alike node` and `alike cluster ...` as a user does, on the
// shared three-server NATS cluster (cluster_fixture.h): 2-shard collections of kClusterOptions,
// node processes holding both shards or following the shard map, searches through `alike --json
// cluster search` and polls of `alike --json cluster status`.
#ifndef ALIKE_TESTS_TESTING_CLUSTER_CLI_FIXTURE_H_
#define ALIKE_TESTS_TESTING_CLUSTER_CLI_FIXTURE_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cluster/settings.h"
#include "testing/cli.h"
#include "testing/cluster_fixture.h"
#include "testing/server_process.h"

namespace alike::test {

class ClusterCliTest : public NatsClusterTest {
 protected:
  // `alike cluster create` of a 2-shard collection of kClusterOptions whose heartbeats expire
  // after `heartbeat_ttl`; `extra`: more flags. A collection of this name that an earlier run
  // left on the shared NATS cluster (--gtest_repeat) is dropped first: its streams hold that
  // run's writes.
  void Create(const std::string& collection,
              std::chrono::milliseconds heartbeat_ttl = kTestHeartbeatTtl,
              const std::string& extra = "") {
    const Status dropped = cluster::DropClusterCollection(*nats_, collection);
    ASSERT_TRUE(dropped.ok() || dropped.code() == Status::Code::kNotFound) << dropped.ToString();
    const RunResult created =
        RunAlike(local_, "--json cluster create" + Where(collection) +
                             " --shard-count 2 --dim 16 --index flat --heartbeat-ttl-ms " +
                             std::to_string(heartbeat_ttl.count()) + extra);
    ASSERT_EQ(created.exit_code, 0) << created.err;
    EXPECT_EQ(JsonLines(created.out).at(0)["shard_count"], 2) << created.out;
  }
  std::string Where(const std::string& collection) const {
    return " --nats " + cluster_->urls() + " --collection " + collection;
  }
  // An `alike node` process holding both shards (or, with `follow_map`, those the shard map gives
  // it); `extra`: more arguments.
  std::unique_ptr<ServerProcess> StartNode(const std::string& collection, const std::string& id,
                                           const std::vector<std::string>& extra = {},
                                           bool follow_map = false) {
    std::vector<std::string> argv{ALIKE_CLI_PATH,   "node",
                                  "--nats",         cluster_->urls(),
                                  "--collection",   collection,
                                  "--data",         local_.Sub(id),
                                  "--node-id",      id,
                                  "--heartbeat-ms", std::to_string(kTestHeartbeatInterval.count())};
    if (!follow_map) argv.insert(argv.end(), {"--shards", "0-1"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto node = std::make_unique<ServerProcess>(std::move(argv), 60'000);
    EXPECT_NE(node->output().find(follow_map ? "alike: serving 0 shards (the shard map's)"
                                             : "alike: serving 2 shards (0-1)"),
              std::string::npos)
        << node->output();
    return node;
  }
  // `alike --json cluster status`, polled until `done` holds for it (at most `timeout`).
  template <typename Done>
  nlohmann::json StatusWhen(const std::string& collection, Done done,
                            std::chrono::milliseconds timeout) {
    nlohmann::json state;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      const RunResult status = RunAlike(local_, "--json cluster status" + Where(collection));
      EXPECT_EQ(status.exit_code, 0) << status.err;
      if (status.exit_code != 0) return nullptr;
      state = JsonLines(status.out).at(0);
    } while (!done(state) && std::chrono::steady_clock::now() < deadline);
    return state;
  }
  static std::string VectorArg(const std::vector<float>& v) {
    std::ostringstream out;
    out.precision(9);
    for (float x : v) out << (out.tellp() > 0 ? "," : "") << x;
    return out.str();
  }
  // The hits of `alike --json cluster search`, or null after printing why not.
  nlohmann::json Search(const std::string& collection, const std::vector<float>& query,
                        const std::string& extra = "") {
    const RunResult found = RunAlike(local_, "--json cluster search" + Where(collection) +
                                                 " -k 5 --vector " + VectorArg(query) + extra);
    EXPECT_EQ(found.exit_code, 0) << found.err;
    if (found.exit_code != 0) return nullptr;
    return JsonLines(found.out).at(0)["hits"];
  }
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_CLUSTER_CLI_FIXTURE_H_
