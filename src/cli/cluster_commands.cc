#include "cli/cluster_commands.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alike/vector_db.h"
#include "cli/cluster_ingest.h"
#include "cli/stop_signal.h"
#include "cli/vectors_command.h"
#include "cluster/cluster_status.h"
#include "cluster/collection_writer.h"
#include "cluster/controller.h"
#include "cluster/lag_throttle.h"
#include "cluster/membership.h"
#include "cluster/node.h"
#include "cluster/router.h"
#include "cluster/settings.h"
#include "cluster/shard_map.h"
#include "cluster/shard_writer.h"
#include "cluster/shards.h"

namespace alike::cli {
namespace {

// Where the cluster is and which collection: what every cluster command names.
struct ClusterArgs {
  std::string nats;
  std::string collection;
};

void AddClusterArgs(CLI::App* cmd, ClusterArgs& a) {
  cmd->add_option("--nats", a.nats,
                  "NATS server URL(s), comma-separated (nats://127.0.0.1:4222,...)")
      ->required();
  cmd->add_option("--collection", a.collection, "Cluster collection name")->required();
}

// A collection's shard options as flags: what create writes, what a node may check.
struct ShardOptionArgs {
  uint32_t dimension = 0;
  std::string metric, index;

  // `base` with the options given on `cmd`'s command line in place of its own.
  Result<CollectionOptions> Over(CollectionOptions base, const CLI::App& cmd) const {
    if (cmd.count("--dim") > 0) base.dimension = dimension;
    if (cmd.count("--metric") > 0) {
      auto parsed = ParseMetric(metric);
      if (!parsed.ok()) return parsed.status();
      base.metric = *parsed;
    }
    if (cmd.count("--index") > 0) {
      auto parsed = ParseIndexKind(index);
      if (!parsed.ok()) return parsed.status();
      base.index = *parsed;
    }
    return base;
  }
  static bool AnyGiven(const CLI::App& cmd) {
    return cmd.count("--dim") + cmd.count("--metric") + cmd.count("--index") > 0;
  }
};

void AddShardOptionArgs(CLI::App* cmd, ShardOptionArgs& a, const std::string& why) {
  cmd->add_option("--dim,-d", a.dimension, "Dimension (bits for hamming)" + why);
  cmd->add_option("--metric", a.metric, "l2 | ip | cosine | hamming" + why);
  cmd->add_option("--index", a.index, "hnsw | flat | sq8" + why);
}

// The host name and process id: unique among the nodes of one cluster unless two hosts share a
// name, which --node-id then settles.
std::string DefaultNodeId() {
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  std::string id;
  for (const char* c = host.data(); *c != '\0' && id.size() < 40; ++c) {
    id += std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' ? *c : '_';
  }
  return (id.empty() ? "node" : id) + "-" + std::to_string(getpid());
}

struct NodeArgs {
  ClusterArgs cluster;
  std::string data, shards, node_id;
  ShardOptionArgs shard_options;
  int64_t heartbeat_ms = 1000;
};

void RunNode(CommandContext& ctx, const CLI::App& cmd, const NodeArgs& a) {
  // The node checks the shards against the collection's shard count (from its settings); none
  // given: it follows the shard map.
  std::vector<uint32_t> shards;
  if (!a.shards.empty()) {
    auto parsed = cluster::ParseShardList(a.shards, std::numeric_limits<uint32_t>::max());
    if (!parsed.ok()) return Fail(ctx, parsed.status());
    shards = *parsed;
  }
  // Options given are checked against the settings; those not given are the settings'.
  std::optional<CollectionOptions> expected;
  if (ShardOptionArgs::AnyGiven(cmd)) {
    auto nats = cluster::NatsConnection::Connect({.servers = a.cluster.nats});
    if (!nats.ok()) return Fail(ctx, nats.status());
    auto settings = cluster::ReadClusterSettings(**nats, a.cluster.collection);
    if (!settings.ok()) return Fail(ctx, settings.status());
    auto given = a.shard_options.Over(settings->collection, cmd);
    if (!given.ok()) return Fail(ctx, given.status());
    expected = *given;
  }
  const std::string node_id = a.node_id.empty() ? DefaultNodeId() : a.node_id;
  // Set by a signal, or when every shard's stream is gone (the collection was dropped).
  std::mutex mutex;
  std::condition_variable stopped;
  bool stop = false, gone = false;
  cluster::NodeOptions options{
      .nats = {.servers = a.cluster.nats, .client_name = "alike node " + node_id},
      .data_dir = a.data,
      .collection = a.cluster.collection,
      .node_id = node_id,
      .collection_options = expected,
      .shards = shards,
      .heartbeat_interval = std::chrono::milliseconds(a.heartbeat_ms),
      .on_problem =
          [](std::optional<uint32_t> shard, const Status& problem) {
            const std::string where = shard ? "shard " + std::to_string(*shard) + ": " : "";
            std::fprintf(stderr, "alike: node: %s%s\n", where.c_str(), problem.ToString().c_str());
          },
      .on_all_shards_gone =
          [&] {
            std::lock_guard lock(mutex);
            stop = gone = true;
            stopped.notify_all();
          }};
  auto node = cluster::Node::Start(std::move(options));
  if (!node.ok()) return Fail(ctx, node.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"event", "serving"},
                                {"collection", a.cluster.collection},
                                {"node", node_id},
                                {"shards", (*node)->shards()}}
                     .dump()
              << std::endl;
  } else {
    // Tests and scripts wait for this line, as for `alike serve`'s.
    std::printf("alike: serving %zu shards (%s) of '%s' from %s as node %s\n",
                (*node)->shards().size(), a.shards.empty() ? "the shard map's" : a.shards.c_str(),
                a.cluster.collection.c_str(), a.data.c_str(), node_id.c_str());
    std::fflush(stdout);
  }
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
  if (gone) {
    return Fail(ctx, Status::FailedPrecondition(
                         "cluster collection '" + a.cluster.collection +
                         "': every shard's stream is gone (the collection was dropped); the "
                         "node stopped"));
  }
  if (!ctx.json) std::printf("alike: node stopped\n");
}

struct CreateArgs {
  ClusterArgs cluster;
  ShardOptionArgs shard_options;
  uint32_t shard_count = cluster::kDefaultShardCount;
  int replicas = cluster::kDefaultStreamReplicas;
  int64_t heartbeat_ttl_ms = 5000;
  cluster::LagLimit lag_limit;
  int64_t lag_wait_ms = cluster::LagLimit{}.wait.count();
  int shard_replicas = cluster::kDefaultShardReplicas;
  int64_t node_grace_ms = 30000;
};

nlohmann::json SettingsJson(const cluster::ClusterSettings& s) {
  return nlohmann::json::parse(cluster::EncodeClusterSettings(s));
}

void RunCreate(CommandContext& ctx, const CLI::App& cmd, const CreateArgs& a) {
  auto options = a.shard_options.Over(CollectionOptions{}, cmd);
  if (!options.ok()) return Fail(ctx, options.status());
  const cluster::ClusterSettings settings{
      .collection = *options,
      .shard_count = a.shard_count,
      .stream_replicas = a.replicas,
      .heartbeat_ttl = std::chrono::milliseconds(a.heartbeat_ttl_ms),
      .lag_limit = {.max_lag = a.lag_limit.max_lag,
                    .wait = std::chrono::milliseconds(a.lag_wait_ms)},
      .shard_replicas = a.shard_replicas,
      .node_grace = std::chrono::milliseconds(a.node_grace_ms)};
  auto nats = cluster::NatsConnection::Connect({.servers = a.cluster.nats});
  if (!nats.ok()) return Fail(ctx, nats.status());
  const Status created = cluster::CreateClusterCollection(**nats, a.cluster.collection, settings);
  if (!created.ok()) return Fail(ctx, created);
  if (ctx.json) {
    nlohmann::json out = SettingsJson(settings);
    out["collection"] = a.cluster.collection;
    std::cout << out.dump() << "\n";
  } else {
    std::printf("created cluster collection '%s': %s\n", a.cluster.collection.c_str(),
                settings.Describe().c_str());
  }
}

// How long `cluster status` waits to read the heartbeats already in the bucket.
constexpr std::chrono::milliseconds kStatusReadTimeout{2000};

// What rebalance reads: the settings, the heartbeats (read for up to kStatusReadTimeout;
// `caught_up` says whether all were) and the shard map's bucket.
struct ClusterView {
  std::unique_ptr<cluster::NatsConnection> nats;
  cluster::ClusterSettings settings;
  std::unique_ptr<cluster::Membership> membership;
  bool caught_up = false;
  std::unique_ptr<cluster::KeyValue> map_bucket;
};

Result<ClusterView> ReadClusterView(const ClusterArgs& a) {
  ClusterView view;
  auto nats = cluster::NatsConnection::Connect({.servers = a.nats});
  if (!nats.ok()) return nats.status();
  view.nats = std::move(*nats);
  auto settings = cluster::ReadClusterSettings(*view.nats, a.collection);
  if (!settings.ok()) return settings.status();
  view.settings = *settings;
  auto membership =
      cluster::Membership::Watch(*view.nats, a.collection, view.settings.heartbeat_ttl);
  if (!membership.ok()) return membership.status();
  view.membership = std::move(*membership);
  view.caught_up = view.membership->WaitUntilCaughtUp(kStatusReadTimeout);
  auto map_bucket = cluster::OpenShardMapBucket(*view.nats, a.collection);
  if (!map_bucket.ok()) return map_bucket.status();
  view.map_bucket = std::move(*map_bucket);
  return view;
}

void RunStatus(CommandContext& ctx, const ClusterArgs& a) {
  auto nats = cluster::NatsConnection::Connect({.servers = a.nats});
  if (!nats.ok()) return Fail(ctx, nats.status());
  auto status = cluster::ReadClusterStatus(**nats, a.collection, kStatusReadTimeout);
  if (!status.ok()) return Fail(ctx, status.status());
  if (ctx.json) {
    std::cout << cluster::ClusterStatusJson(*status).dump() << "\n";
    return;
  }
  std::printf("collection '%s': %s\n", a.collection.c_str(), status->settings.Describe().c_str());
  std::printf("%zu live nodes\n", status->nodes.size());
  for (const cluster::Heartbeat& n : status->nodes) {
    uint64_t max_lag = 0;
    for (const cluster::ShardHeartbeat& s : n.shards) max_lag = std::max(max_lag, s.lag());
    std::printf("  node %s: heartbeat %lld ms ago, %zu shards, max lag %llu\n", n.node.c_str(),
                static_cast<long long>(status->HeartbeatAgeMs(n)), n.shards.size(),
                static_cast<unsigned long long>(max_lag));
  }
  for (uint32_t shard = 0; shard < status->replicas.size(); ++shard) {
    std::string held;
    for (const auto& [node, s] : status->replicas[shard]) {
      held += (held.empty() ? "" : ", ") + node + " (applied " + std::to_string(s.applied) +
              ", lag " + std::to_string(s.lag()) + ")";
    }
    std::string placed;
    for (const std::string& node : status->placed_on[shard]) {
      placed += (placed.empty() ? "" : ", ") + node;
    }
    std::printf("  shard %u: %s; placed on %s\n", shard,
                held.empty() ? "NO LIVE REPLICA" : held.c_str(),
                placed.empty() ? "no node" : placed.c_str());
  }
}

void RunRebalance(CommandContext& ctx, const ClusterArgs& a) {
  auto view = ReadClusterView(a);
  if (!view.ok()) return Fail(ctx, view.status());
  if (!view->caught_up) {
    return Fail(
        ctx, Status::IOError("could not read the membership of '" + a.collection + "' within " +
                             std::to_string(kStatusReadTimeout.count()) + " ms: nothing placed"));
  }
  const std::vector<std::string> live = cluster::PlaceableNodes(*view->membership);
  if (live.empty()) {
    return Fail(ctx, Status::FailedPrecondition("no live node of '" + a.collection +
                                                "' follows the shard map: nothing to place on"));
  }
  // The operator asks now: dead nodes get no grace period.
  auto placed = cluster::PlaceOnce(*view->map_bucket, view->settings, live, {});
  if (!placed.ok()) return Fail(ctx, placed.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"collection", a.collection}, {"shards", placed->replicas}}.dump()
              << "\n";
    return;
  }
  for (uint32_t shard = 0; shard < placed->replicas.size(); ++shard) {
    std::string nodes;
    for (const std::string& node : placed->replicas[shard]) {
      nodes += (nodes.empty() ? "" : ", ") + node;
    }
    std::printf("shard %u: %s\n", shard, nodes.c_str());
  }
}

struct SearchArgs {
  ClusterArgs cluster;
  QueryArgs query;
  std::string token;
  bool allow_partial = false;
  int64_t timeout_ms = 5000;
};

void RunSearch(CommandContext& ctx, const SearchArgs& a) {
  if (a.query.vector.empty() == a.query.hex.empty()) {
    return Fail(ctx, Status::InvalidArgument("give exactly one query: --vector or --hex"));
  }
  auto query = a.query.ParsedQuery();
  if (!query.ok()) return Fail(ctx, query.status());
  auto token = cluster::ParseWriteToken(a.token);
  if (!token.ok()) return Fail(ctx, token.status());
  const std::chrono::milliseconds timeout(a.timeout_ms);
  auto nats = cluster::NatsConnection::Connect({.servers = a.cluster.nats, .timeout = timeout});
  if (!nats.ok()) return Fail(ctx, nats.status());
  auto router = cluster::Router::Create(**nats, {.collection = a.cluster.collection,
                                                 .deadline = timeout,
                                                 .attempt_timeout = timeout * 2 / 5,
                                                 .allow_partial = a.allow_partial});
  if (!router.ok()) return Fail(ctx, router.status());
  auto results = (*router)->Search({.vector = query->vector, .binary = query->binary},
                                   a.query.Options(), a.token.empty() ? nullptr : &*token);
  if (!results.ok()) return Fail(ctx, results.status());
  for (const auto& [shard, why] : results->missing_shards) {
    std::fprintf(stderr, "alike: warning: shard %u did not answer: %s\n", shard,
                 why.message().c_str());
  }
  PrintHits(ctx, 0, results->hits.at(0));
}

void RunDrop(CommandContext& ctx, const ClusterArgs& a) {
  auto nats = cluster::NatsConnection::Connect({.servers = a.nats});
  if (!nats.ok()) return Fail(ctx, nats.status());
  const Status dropped = cluster::DropClusterCollection(**nats, a.collection);
  if (!dropped.ok()) return Fail(ctx, dropped);
  if (ctx.json) {
    std::cout << nlohmann::json{{"dropped", a.collection}}.dump() << "\n";
  } else {
    std::printf("dropped cluster collection '%s'\n", a.collection.c_str());
  }
}

// A writer for the CLI's writes, on a connection of its own.
class CliWriter {
 public:
  static Result<std::unique_ptr<CliWriter>> Open(const ClusterArgs& a) {
    std::unique_ptr<CliWriter> w(new CliWriter);
    auto nats = cluster::NatsConnection::Connect({.servers = a.nats});
    if (!nats.ok()) return nats.status();
    w->nats_ = std::move(*nats);
    auto writer = cluster::CollectionWriter::Open(*w->nats_, a.collection, kStatusReadTimeout);
    if (!writer.ok()) return writer.status();
    w->writer_ = std::move(*writer);
    return w;
  }
  cluster::ShardWriter& writer() { return writer_->writer(); }
  const cluster::ClusterSettings& settings() const { return writer_->settings(); }

 private:
  CliWriter() = default;
  // Declared in the order they depend on each other, so destroyed in reverse.
  std::unique_ptr<cluster::NatsConnection> nats_;
  std::unique_ptr<cluster::CollectionWriter> writer_;
};

// What a write reached: the token to pass to `cluster search --token`.
void PrintWritten(const CommandContext& ctx, const char* what, uint64_t count,
                  const std::string& collection, const cluster::WriteToken& token) {
  const std::string text = cluster::EncodeWriteToken(token);
  if (ctx.json) {
    std::cout << nlohmann::json{{what, count}, {"token", text}}.dump() << "\n";
  } else {
    std::printf("%s %llu records of cluster collection '%s'; write token %s\n", what,
                static_cast<unsigned long long>(count), collection.c_str(), text.c_str());
  }
}

struct ClusterUpsertArgs {
  ClusterArgs cluster;
  UpsertFileArgs file;
};

void RunClusterUpsert(CommandContext& ctx, const ClusterUpsertArgs& a) {
  auto w = CliWriter::Open(a.cluster);
  if (!w.ok()) return Fail(ctx, w.status());
  cluster::WriteToken token;
  double seconds = 0;
  auto written = UpsertFileInBatches(
      a.file, (*w)->settings().collection.metric == Metric::kHamming,
      [&](const std::vector<Record>& batch) -> Status {
        auto reached = (*w)->writer().Upsert(batch);
        if (!reached.ok()) return reached.status().WithContext(a.file.file);
        token.Merge(*reached);
        return Status::OK();
      },
      &seconds);
  if (!written.ok()) return Fail(ctx, written.status());
  PrintWritten(ctx, "upserted", *written, a.cluster.collection, token);
}

struct ClusterDeleteArgs {
  ClusterArgs cluster;
  std::vector<uint64_t> ids;
};

void RunClusterDelete(CommandContext& ctx, const ClusterDeleteArgs& a) {
  auto w = CliWriter::Open(a.cluster);
  if (!w.ok()) return Fail(ctx, w.status());
  auto token = (*w)->writer().Delete(a.ids);
  if (!token.ok()) return Fail(ctx, token.status());
  PrintWritten(ctx, "deleted", a.ids.size(), a.cluster.collection, *token);
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
  node->add_option("--shards", node_args->shards,
                   "Pin the node to these shards, e.g. 0-31 or 0,4,8-11 (default: follow the "
                   "shard map, which the cluster's controller writes)");
  node->add_option("--node-id", node_args->node_id,
                   "This node's id among the collection's nodes (default: host name and process "
                   "id)");
  node->add_option("--heartbeat-ms", node_args->heartbeat_ms,
                   "How often the node writes its heartbeat (under the collection's TTL)")
      ->capture_default_str();
  AddShardOptionArgs(node, node_args->shard_options,
                     " (optional: read from the collection's settings; if given, must match)");
  node->callback([&ctx, node, node_args] { RunNode(ctx, *node, *node_args); });

  CLI::App* cluster = app.add_subcommand(
      "cluster", "A vector database collection spread over alike nodes, on NATS JetStream");
  cluster->require_subcommand(1);
  AddJobsCommand(*cluster, ctx);
  AddWorkerCommand(app, ctx);

  auto create_args = std::make_shared<CreateArgs>();
  CLI::App* create = cluster->add_subcommand(
      "create",
      "Create a cluster collection: its settings (refused if it exists with others), its "
      "membership bucket and its shard streams");
  AddClusterArgs(create, create_args->cluster);
  AddShardOptionArgs(create, create_args->shard_options, "");
  create->get_option("--metric")->description("l2 | ip | cosine | hamming (default: cosine)");
  create->get_option("--index")->description("hnsw | flat | sq8 (default: hnsw)");
  create->get_option("--dim")->required();
  create->add_option("--shard-count", create_args->shard_count, "Shards of the collection")
      ->capture_default_str();
  create
      ->add_option("--replicas", create_args->replicas,
                   "JetStream replicas of each shard's stream and of the buckets")
      ->capture_default_str();
  create
      ->add_option("--heartbeat-ttl-ms", create_args->heartbeat_ttl_ms,
                   "A node whose heartbeat is older than this counts as dead")
      ->capture_default_str();
  create
      ->add_option("--max-replica-lag", create_args->lag_limit.max_lag,
                   "Writes to a shard wait, then fail, while a live replica lags more messages "
                   "than this behind its stream (0: no limit)")
      ->capture_default_str();
  create
      ->add_option("--lag-wait-ms", create_args->lag_wait_ms,
                   "How long a write waits for a lagging replica before it fails")
      ->capture_default_str();
  create
      ->add_option("--shard-replicas", create_args->shard_replicas,
                   "Nodes that serve each shard, as the shard map places them")
      ->capture_default_str();
  create
      ->add_option("--node-grace-ms", create_args->node_grace_ms,
                   "A node dead for longer than this has its shards placed on other nodes")
      ->capture_default_str();
  create->callback([&ctx, create, create_args] { RunCreate(ctx, *create, *create_args); });

  auto status_args = std::make_shared<ClusterArgs>();
  CLI::App* status = cluster->add_subcommand(
      "status",
      "A cluster collection's settings, live nodes (heartbeat age, shards, lag) and "
      "each shard's serving replicas and placement in the shard map");
  AddClusterArgs(status, *status_args);
  status->callback([&ctx, status_args] { RunStatus(ctx, *status_args); });

  auto rebalance_args = std::make_shared<ClusterArgs>();
  CLI::App* rebalance = cluster->add_subcommand(
      "rebalance",
      "Place the shards on the live nodes now (compare-and-swap on the shard map, as the "
      "controller does, but without waiting for a dead node's grace period) and print the map");
  AddClusterArgs(rebalance, *rebalance_args);
  rebalance->callback([&ctx, rebalance_args] { RunRebalance(ctx, *rebalance_args); });

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
  search->add_option("--token", sa->token,
                     "Write token (printed by cluster upsert/delete): see those writes "
                     "(read-your-writes), or fail when a shard did not apply them in time");
  search->callback([&ctx, sa] { RunSearch(ctx, *sa); });

  auto drop_args = std::make_shared<ClusterArgs>();
  CLI::App* drop = cluster->add_subcommand(
      "drop",
      "Delete a cluster collection: its shard streams (every record), its membership bucket and "
      "its settings; its nodes stop serving it");
  AddClusterArgs(drop, *drop_args);
  drop->callback([&ctx, drop_args] { RunDrop(ctx, *drop_args); });

  auto upsert_args = std::make_shared<ClusterUpsertArgs>();
  CLI::App* upsert = cluster->add_subcommand(
      "upsert",
      "Insert or replace records from a vector file (the formats of vectors upsert); prints the "
      "write token");
  AddClusterArgs(upsert, upsert_args->cluster);
  AddUpsertFileOptions(*upsert, upsert_args->file);
  upsert->callback([&ctx, upsert_args] { RunClusterUpsert(ctx, *upsert_args); });

  auto delete_args = std::make_shared<ClusterDeleteArgs>();
  CLI::App* del = cluster->add_subcommand("delete", "Delete records by id; prints the write token");
  AddClusterArgs(del, delete_args->cluster);
  del->add_option("ids", delete_args->ids, "Ids to delete")->required();
  del->callback([&ctx, delete_args] { RunClusterDelete(ctx, *delete_args); });
}

}  // namespace alike::cli
