#include "cli/cluster_commands.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include "alike/vector_db.h"
#include "cli/stop_signal.h"
#include "cli/vectors_command.h"
#include "cluster/node.h"
#include "cluster/router.h"
#include "cluster/shards.h"

namespace alike::cli {
namespace {

// Where the cluster is and which collection: what every cluster command names.
struct ClusterArgs {
  std::string nats;
  std::string collection;
  uint32_t shard_count = cluster::kDefaultShardCount;
};

void AddClusterArgs(CLI::App* cmd, ClusterArgs& a) {
  cmd->add_option("--nats", a.nats,
                  "NATS server URL(s), comma-separated (nats://127.0.0.1:4222,...)")
      ->required();
  cmd->add_option("--collection", a.collection, "Cluster collection name")->required();
  cmd->add_option("--shard-count", a.shard_count,
                  "Shards of the collection (as it was created with)")
      ->capture_default_str();
}

struct NodeArgs {
  ClusterArgs cluster;
  std::string data, shards, metric = "cosine", index = "hnsw";
  uint32_t dimension = 0;
};

void RunNode(CommandContext& ctx, const NodeArgs& a) {
  auto shards = cluster::ParseShardList(a.shards, a.cluster.shard_count);
  if (!shards.ok()) return Fail(ctx, shards.status());
  auto metric = ParseMetric(a.metric);
  if (!metric.ok()) return Fail(ctx, metric.status());
  auto index = ParseIndexKind(a.index);
  if (!index.ok()) return Fail(ctx, index.status());
  cluster::NodeOptions options{
      .nats = {.servers = a.cluster.nats, .client_name = "alike node"},
      .data_dir = a.data,
      .collection = a.cluster.collection,
      .collection_options = {.dimension = a.dimension, .metric = *metric, .index = *index},
      .shards = *shards,
      .on_problem = [](uint32_t shard, const Status& problem) {
        std::fprintf(stderr, "alike: node: shard %u: %s\n", shard, problem.ToString().c_str());
      }};
  auto node = cluster::Node::Start(std::move(options));
  if (!node.ok()) return Fail(ctx, node.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"event", "serving"},
                                {"collection", a.cluster.collection},
                                {"shards", (*node)->shards()}}
                     .dump()
              << std::endl;
  } else {
    // Tests and scripts wait for this line, as for `alike serve`'s.
    std::printf("alike: serving %zu shards (%s) of '%s' from %s\n", (*node)->shards().size(),
                a.shards.c_str(), a.cluster.collection.c_str(), a.data.c_str());
    std::fflush(stdout);
  }
  std::mutex mutex;
  std::condition_variable stopped;
  bool stop = false;
  {
    StopOnSignal on_signal([&] {
      std::lock_guard lock(mutex);
      stop = true;
      stopped.notify_all();
    });
    std::unique_lock lock(mutex);
    stopped.wait(lock, [&] { return stop; });
  }
  node->reset();
  if (!ctx.json) std::printf("alike: node stopped\n");
}

void RunCreate(CommandContext& ctx, const ClusterArgs& a, int replicas) {
  auto nats = cluster::NatsConnection::Connect({.servers = a.nats});
  if (!nats.ok()) return Fail(ctx, nats.status());
  const Status created = cluster::AddShardStreams(
      **nats, {.collection = a.collection, .shard_count = a.shard_count, .replicas = replicas});
  if (!created.ok()) return Fail(ctx, created);
  if (ctx.json) {
    std::cout << nlohmann::json{{"collection", a.collection},
                                {"shards", a.shard_count},
                                {"replicas", replicas}}
                     .dump()
              << "\n";
  } else {
    std::printf("created the %u shard streams of '%s' (replicas: %d)\n", a.shard_count,
                a.collection.c_str(), replicas);
  }
}

struct SearchArgs {
  ClusterArgs cluster;
  QueryArgs query;
  bool allow_partial = false;
  int64_t timeout_ms = 5000;
};

void RunSearch(CommandContext& ctx, const SearchArgs& a) {
  if (a.query.vector.empty() == a.query.hex.empty()) {
    return Fail(ctx, Status::InvalidArgument("give exactly one query: --vector or --hex"));
  }
  auto query = a.query.ParsedQuery();
  if (!query.ok()) return Fail(ctx, query.status());
  const std::chrono::milliseconds timeout(a.timeout_ms);
  auto nats = cluster::NatsConnection::Connect({.servers = a.cluster.nats, .timeout = timeout});
  if (!nats.ok()) return Fail(ctx, nats.status());
  auto router = cluster::Router::Create(**nats, {.collection = a.cluster.collection,
                                                 .shard_count = a.cluster.shard_count,
                                                 .deadline = timeout,
                                                 .attempt_timeout = timeout * 2 / 5,
                                                 .allow_partial = a.allow_partial});
  if (!router.ok()) return Fail(ctx, router.status());
  auto results =
      (*router)->Search({.vector = query->vector, .binary = query->binary}, a.query.Options());
  if (!results.ok()) return Fail(ctx, results.status());
  for (const auto& [shard, why] : results->missing_shards) {
    std::fprintf(stderr, "alike: warning: shard %u did not answer: %s\n", shard,
                 why.message().c_str());
  }
  PrintHits(ctx, 0, results->hits.at(0));
}

}  // namespace

void AddClusterCommands(CLI::App& app, CommandContext& ctx) {
  auto node_args = std::make_shared<NodeArgs>();
  CLI::App* node = app.add_subcommand(
      "node",
      "Hold shards of a cluster collection: replay their NATS JetStream streams into local "
      "collections and answer searches for them, until SIGTERM or Ctrl-C");
  AddClusterArgs(node, node_args->cluster);
  node->add_option("--data", node_args->data,
                   "Directory of this node's shards (a database; created if missing)")
      ->required();
  node->add_option("--shards", node_args->shards, "Shards to hold, e.g. 0-31 or 0,4,8-11")
      ->required();
  node->add_option("--dim,-d", node_args->dimension, "Dimension (bits for hamming)")->required();
  node->add_option("--metric", node_args->metric, "l2 | ip | cosine | hamming")
      ->capture_default_str();
  node->add_option("--index", node_args->index, "hnsw | flat | sq8")->capture_default_str();
  node->callback([&ctx, node_args] { RunNode(ctx, *node_args); });

  CLI::App* cluster = app.add_subcommand(
      "cluster", "A vector database collection spread over alike nodes, on NATS JetStream");
  cluster->require_subcommand(1);

  auto create_args = std::make_shared<ClusterArgs>();
  auto replicas = std::make_shared<int>(cluster::kDefaultStreamReplicas);
  CLI::App* create =
      cluster->add_subcommand("create", "Create a cluster collection's shard streams");
  AddClusterArgs(create, *create_args);
  create->add_option("--replicas", *replicas, "JetStream replicas of each shard's stream")
      ->capture_default_str();
  create->callback([&ctx, create_args, replicas] { RunCreate(ctx, *create_args, *replicas); });

  auto sa = std::make_shared<SearchArgs>();
  CLI::App* search = cluster->add_subcommand(
      "search", "Nearest neighbours of a query over every shard, through the nodes");
  AddClusterArgs(search, sa->cluster);
  AddQueryOptions(*search, sa->query);
  search->add_flag("--allow-partial", sa->allow_partial,
                   "Print the hits of the shards that answered when some did not (named on "
                   "stderr) instead of failing");
  search->add_option("--timeout-ms", sa->timeout_ms, "Deadline of the search, retries included")
      ->capture_default_str();
  search->callback([&ctx, sa] { RunSearch(ctx, *sa); });
}

}  // namespace alike::cli
