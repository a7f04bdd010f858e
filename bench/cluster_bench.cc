// alike-bench cluster: alike cluster (src/cluster) on this machine against one local collection
// holding the same records, measured in the same run.
//
//   alike-bench cluster [--records 50000] [--dim 128] [--batch 100] [--writers 1] [--shards 8]
//                       [--nodes 3] [--shard-replicas 2] [--index hnsw] [--queries 1000] [--k 10]
//                       [--catch-up-records 20000] [--move-records 100000] [--quick]
//
// It starts three clustered nats-servers (cluster/local_nats_cluster.h, as the cluster tests do)
// and --nodes `alike node` processes following the shard map, all on 127.0.0.1, and creates a
// cluster collection of --shards shards, each on --shard-replicas nodes. Then, in order:
//   1. writes: --records synthetic unit vectors (dataset.h MakeSynthetic, shaped like
//      embeddings; cosine, ids 0..n-1, empty payloads) in batches of --batch, on --writers
//      threads, first to a local collection (Database, fsync per write, as the nodes' own
//      collections), then through a ShardWriter (acknowledged by JetStream, throttled on replica
//      lag as `alike serve --cluster` is); records/s of each and their ratio, and the time until
//      every replica applied the cluster's writes;
//   2. searches: --queries queries of the same distribution, k --k, one at a time, each asked of
//      the local collection and then through a Router (scatter to one replica of every shard,
//      gather, merge); p50/p99 of each and their ratios;
//   3. catch-up: the first node is killed (SIGKILL) and started again on its directory, the time
//      until its heartbeat shows its shards served again (what reopening costs: a killed node
//      replays its write-ahead log into its indexes); then killed again, --catch-up-records more
//      records are written, and it is started again: records of its shards written while it was
//      down, divided by the extra time it took to serve them;
//   4. a shard move: the cluster's nodes are killed, a collection of one shard on one node is
//      filled with --move-records records, a second node joins, and the shard map is changed by
//      compare-and-swap to give the shard to it (as the controller moves a shard); the time until
//      the new node serves the shard (its heartbeat lists it, caught up), and until the old one
//      dropped it. Whatever moves shards (log replay, a snapshot) is what is measured.
// Absolute numbers depend on the machine (here everything shares its cores); the ratios are the
// point. Each phase fails, with the node's log, if it does not finish within its time limit.
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alike/vector_db.h"
#include "bench_util.h"
#include "cluster/lag_throttle.h"
#include "cluster/local_nats_cluster.h"
#include "cluster/membership.h"
#include "cluster/nats_client.h"
#include "cluster/router.h"
#include "cluster/settings.h"
#include "cluster/shard_map.h"
#include "cluster/shard_writer.h"
#include "cluster/shards.h"
#include "cluster/subprocess.h"
#include "commands.h"
#include "dataset.h"
#include "table.h"

namespace alike::bench {
namespace {

using std::chrono::milliseconds;

struct ClusterArgs {
  size_t records = 50'000;
  uint32_t dim = 128;
  size_t batch = 100;
  unsigned writers = 1;
  uint32_t shards = 8;
  int nodes = 3;
  int shard_replicas = 2;
  std::string index = "hnsw";
  size_t queries = 1000;
  size_t k = 10;
  size_t catch_up_records = 20'000;
  size_t move_records = 100'000;
  uint64_t seed = 42;
  std::string alike = ALIKE_BENCH_CLI;
  std::string nats_server = ALIKE_BENCH_NATS_SERVER;
  bool quick = false;
};

constexpr milliseconds kHeartbeatInterval{250};
constexpr milliseconds kHeartbeatTtl{5000};
// Long enough that a killed node keeps its shards until it is back (no re-replication meanwhile).
constexpr milliseconds kNodeGrace{600'000};
constexpr milliseconds kPhaseTimeout{600'000};

// Records first_id.. of the data set's base vectors begin..begin+count-1 (empty payloads).
std::vector<Record> Records(const Dataset& data, size_t begin, size_t count, uint64_t first_id) {
  std::vector<Record> out(count);
  for (size_t i = 0; i < count; ++i) {
    out[i].id = first_id + i;
    out[i].vector.assign(data.vector(begin + i), data.vector(begin + i) + data.dim);
  }
  return out;
}

// Writes `records` in batches of `batch` on `writers` threads through `write`; returns the
// seconds it took.
double WriteAll(const std::vector<Record>& records, size_t batch, unsigned writers,
                const std::function<void(std::span<const Record>)>& write) {
  const size_t batches = (records.size() + batch - 1) / batch;
  Stopwatch clock;
  ParallelFor(batches, writers, [&](size_t b) {
    const size_t begin = b * batch;
    write(std::span(records).subspan(begin, std::min(batch, records.size() - begin)));
  });
  return clock.Seconds();
}

std::string ReadLog(const std::string& path) {
  std::ifstream in(path);
  std::string text(std::istreambuf_iterator<char>(in), {});
  return text.size() > 4000 ? "..." + text.substr(text.size() - 4000) : text;
}

// An `alike node` process following the shard map of one collection, its output in a log file.
class NodeProcess {
 public:
  NodeProcess(const ClusterArgs& args, std::string urls, std::string collection, std::string id,
              const std::string& dir)
      : args_(args),
        urls_(std::move(urls)),
        collection_(std::move(collection)),
        id_(std::move(id)),
        data_(dir + "/" + id_),
        log_(dir + "/" + id_ + ".log") {
    Start();
  }

  void Start() {
    auto process = cluster::Subprocess::Start(
        {args_.alike, "node", "--nats", urls_, "--collection", collection_, "--data", data_,
         "--node-id", id_, "--heartbeat-ms", std::to_string(kHeartbeatInterval.count())},
        log_);
    CheckOk(process.status(), "starting " + args_.alike + " node");
    process_ = std::move(*process);
  }
  void Kill() { process_->Kill(); }
  const std::string& id() const { return id_; }
  // Why a wait for this node failed: its log's end.
  std::string Describe() { return "node " + id_ + "'s log (" + log_ + "):\n" + ReadLog(log_); }

 private:
  const ClusterArgs& args_;
  const std::string urls_, collection_, id_, data_, log_;
  std::unique_ptr<cluster::Subprocess> process_;
};

using Heartbeats = std::vector<cluster::Heartbeat>;

// Polls the live heartbeats until `done` holds for them, every 20 ms; fails, saying `what` and
// `why` (a node's log), when it does not within kPhaseTimeout. Returns the seconds it took.
double WaitFor(const cluster::Membership& membership,
               const std::function<bool(const Heartbeats&)>& done, const std::string& what,
               const std::function<std::string()>& why) {
  Stopwatch clock;
  while (!done(membership.Live())) {
    if (clock.Seconds() * 1000 > kPhaseTimeout.count()) {
      Fail("timed out waiting for " + what + "\n" + why());
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return clock.Seconds();
}

const cluster::Heartbeat* Find(const Heartbeats& live, const std::string& node) {
  for (const cluster::Heartbeat& h : live) {
    if (h.node == node) return &h;
  }
  return nullptr;
}

// Whether `node` serves every shard of `token` and applied it there (shards: all it lists).
bool Applied(const cluster::Heartbeat& node, const cluster::WriteToken& token) {
  for (const cluster::ShardHeartbeat& shard : node.shards) {
    const auto reached = token.shard_seq.find(shard.shard);
    if (reached != token.shard_seq.end() && shard.applied < reached->second) return false;
  }
  return true;
}

// Every shard on `replicas` live nodes, each of which applied `token`.
bool Replicated(const Heartbeats& live, uint32_t shards, int replicas,
                const cluster::WriteToken& token) {
  std::vector<int> holders(shards, 0);
  for (const cluster::Heartbeat& node : live) {
    if (!Applied(node, token)) return false;
    for (const cluster::ShardHeartbeat& shard : node.shards) ++holders[shard.shard];
  }
  return std::all_of(holders.begin(), holders.end(), [&](int n) { return n >= replicas; });
}

struct Bench {
  const ClusterArgs& args;
  std::string dir;
  std::unique_ptr<cluster::LocalNatsCluster> nats_cluster;
  std::unique_ptr<cluster::NatsConnection> nats;
  // Base vectors: the records, then those written while a node is down, then the moved shard's.
  Dataset data;
  Table table{{"measure", "cluster", "one machine", "cluster / one machine"}};
};

cluster::ClusterSettings Settings(const ClusterArgs& args, uint32_t shards, int shard_replicas) {
  auto index = ParseIndexKind(args.index);
  CheckOk(index.status(), "--index");
  return {.collection = {.dimension = args.dim, .metric = Metric::kCosine, .index = *index},
          .shard_count = shards,
          .heartbeat_ttl = kHeartbeatTtl,
          .shard_replicas = shard_replicas,
          .node_grace = kNodeGrace};
}

std::string Secs(double seconds) { return FormatFixed(seconds, 2) + " s"; }
std::string Ratio(double value) { return FormatFixed(value, 2) + "x"; }

// Phases 1-3 on the collection "bench".
void WriteSearchCatchUp(Bench& bench) {
  const ClusterArgs& args = bench.args;
  const cluster::ClusterSettings settings = Settings(args, args.shards, args.shard_replicas);
  CheckOk(cluster::CreateClusterCollection(*bench.nats, "bench", settings), "cluster create");
  std::vector<std::unique_ptr<NodeProcess>> nodes;
  for (int i = 0; i < args.nodes; ++i) {
    nodes.push_back(std::make_unique<NodeProcess>(args, bench.nats_cluster->urls(), "bench",
                                                  "node-" + std::to_string(i), bench.dir));
  }
  auto router = cluster::Router::Create(*bench.nats, {.collection = "bench"});
  CheckOk(router.status(), "router");
  const cluster::Membership& membership = (*router)->membership();
  auto node_logs = [&] {
    std::string out;
    for (auto& node : nodes) out += node->Describe();
    return out;
  };
  const double placed = WaitFor(
      membership,
      [&](const Heartbeats& live) {
        return Replicated(live, args.shards, args.shard_replicas, {});
      },
      "every shard on " + std::to_string(args.shard_replicas) + " nodes", node_logs);
  std::printf("%d nodes serve %u shards, each on %d, after %.1f s\n", args.nodes, args.shards,
              args.shard_replicas, placed);

  auto db = Database::Open(bench.dir + "/one-machine");
  CheckOk(db.status(), "one-machine database");
  auto local = (*db)->CreateCollection("bench", settings.collection);
  CheckOk(local.status(), "one-machine collection");

  // 1. Writes.
  const std::vector<Record> records = Records(bench.data, 0, args.records, 0);
  const double local_s = WriteAll(records, args.batch, args.writers, [&](auto batch) {
    CheckOk((*local)->Upsert(batch), "one-machine upsert");
  });
  cluster::LagThrottle throttle(membership, "bench", settings.lag_limit);
  cluster::ShardWriter writer(*bench.nats, {.collection = "bench", .shard_count = args.shards},
                              settings.collection, {.throttle = &throttle});
  cluster::WriteToken written;
  std::mutex written_mutex;
  auto write = [&](std::span<const Record> batch) {
    auto token = writer.Upsert(batch);
    CheckOk(token.status(), "cluster upsert");
    std::lock_guard lock(written_mutex);
    written.Merge(*token);
  };
  Stopwatch replicated_clock;
  const double cluster_s = WriteAll(records, args.batch, args.writers, write);
  WaitFor(
      membership,
      [&](const Heartbeats& live) {
        return Replicated(live, args.shards, args.shard_replicas, written);
      },
      "every replica to apply the writes", node_logs);
  const double replicated_s = replicated_clock.Seconds();
  const double n = static_cast<double>(args.records);
  bench.table.AddRow({"acknowledged writes, records/s", FormatRate(n / cluster_s),
                      FormatRate(n / local_s), Ratio(local_s / cluster_s)});
  bench.table.AddRow({"  applied by every replica, records/s", FormatRate(n / replicated_s),
                      FormatRate(n / local_s), Ratio(local_s / replicated_s)});

  // 2. Searches, each query asked of both, one after the other, so that both see the same load.
  const SearchOptions options{.k = args.k};
  std::vector<double> local_ms, routed_ms;
  for (size_t i = 0; i < args.queries; ++i) {
    // A view of the query in the data set: a Query holds no vector of its own.
    const Query query{.vector = std::span<const float>(bench.data.query(i), args.dim)};
    Stopwatch clock;
    CheckOk((*local)->Search(query, options).status(), "one-machine search");
    local_ms.push_back(clock.Seconds() * 1000);
    clock.Restart();
    auto routed = (*router)->Search(query, options);
    CheckOk(routed.status(), "routed search");
    routed_ms.push_back(clock.Seconds() * 1000);
  }
  for (double p : {50.0, 99.0}) {
    const double cluster_p = Percentile(routed_ms, p), local_p = Percentile(local_ms, p);
    bench.table.AddRow({"search p" + FormatFixed(p, 0) + ", k " + std::to_string(args.k),
                        FormatFixed(cluster_p, 2) + " ms", FormatFixed(local_p, 2) + " ms",
                        Ratio(cluster_p / local_p)});
  }

  // 3. Catch-up of a node killed while writes go on, after a restart with nothing missed: a
  // killed node's start replays its own write-ahead log into its indexes first, which is not
  // catching up.
  NodeProcess& victim = *nodes[0];
  std::set<uint32_t> victim_shards;
  if (const cluster::Heartbeat* h = Find(membership.Live(), victim.id())) {
    for (const cluster::ShardHeartbeat& shard : h->shards) victim_shards.insert(shard.shard);
  }
  // Kills the node, runs `while_down`, starts it again; returns the seconds from its start until
  // its heartbeat shows its shards served, caught up to `token`.
  auto restart = [&](const std::function<void()>& while_down, const cluster::WriteToken& token) {
    victim.Kill();
    while_down();
    // Its old heartbeat must be gone first: the restarted node's first heartbeat already lists
    // the shards it caught up on.
    WaitFor(
        membership, [&](const Heartbeats& live) { return Find(live, victim.id()) == nullptr; },
        "the killed node's heartbeat to expire", node_logs);
    victim.Start();
    return WaitFor(
        membership,
        [&](const Heartbeats& live) {
          const cluster::Heartbeat* h = Find(live, victim.id());
          return h != nullptr && h->shards.size() == victim_shards.size() && Applied(*h, token);
        },
        "the restarted node to catch up", [&] { return victim.Describe(); });
  };
  const double restart_s = restart([] {}, written);
  const std::vector<Record> more =
      Records(bench.data, args.records, args.catch_up_records, args.records);
  cluster::WriteToken missed;
  const double catch_up_s = restart(
      [&] {
        for (size_t begin = 0; begin < more.size(); begin += args.batch) {
          auto token = writer.Upsert(
              std::span(more).subspan(begin, std::min(args.batch, more.size() - begin)));
          CheckOk(token.status(), "cluster upsert while a node is down");
          missed.Merge(*token);
        }
      },
      missed);
  const size_t behind = std::count_if(more.begin(), more.end(), [&](const Record& r) {
    return victim_shards.count(cluster::ShardOf(r.id, args.shards)) > 0;
  });
  bench.table.AddRow({"restart of a killed node, nothing missed", Secs(restart_s), "", ""});
  bench.table.AddRow(
      {"  after missing " + std::to_string(behind) + " records", Secs(catch_up_s), "", ""});
  bench.table.AddRow(
      {"  catch-up, records/s",
       FormatRate(static_cast<double>(behind) / std::max(catch_up_s - restart_s, 1e-3)), "", ""});
}

// Phase 4 on the collection "move": one shard, moved from one node to another.
void MoveShard(Bench& bench) {
  const ClusterArgs& args = bench.args;
  const cluster::ClusterSettings settings = Settings(args, 1, 1);
  CheckOk(cluster::CreateClusterCollection(*bench.nats, "move", settings), "cluster create");
  auto membership = cluster::Membership::Watch(*bench.nats, "move", kHeartbeatTtl);
  CheckOk(membership.status(), "membership of 'move'");
  NodeProcess from(args, bench.nats_cluster->urls(), "move", "move-from", bench.dir);
  WaitFor(
      **membership,
      [&](const Heartbeats& live) {
        const cluster::Heartbeat* h = Find(live, from.id());
        return h != nullptr && h->Holds(0);
      },
      "the first node to serve the shard", [&] { return from.Describe(); });
  cluster::ShardWriter writer(*bench.nats, {.collection = "move", .shard_count = 1},
                              settings.collection);
  cluster::WriteToken written;
  const std::vector<Record> records =
      Records(bench.data, args.records + args.catch_up_records, args.move_records, 0);
  WriteAll(records, args.batch, 1, [&](auto batch) {
    auto token = writer.Upsert(batch);
    CheckOk(token.status(), "upsert to 'move'");
    written.Merge(*token);
  });
  WaitFor(
      **membership,
      [&](const Heartbeats& live) {
        const cluster::Heartbeat* h = Find(live, from.id());
        return h != nullptr && h->Holds(0) && Applied(*h, written);
      },
      "the first node to apply the writes", [&] { return from.Describe(); });
  NodeProcess to(args, bench.nats_cluster->urls(), "move", "move-to", bench.dir);
  WaitFor(
      **membership, [&](const Heartbeats& live) { return Find(live, to.id()) != nullptr; },
      "the second node's first heartbeat", [&] { return to.Describe(); });

  auto bucket = cluster::OpenShardMapBucket(*bench.nats, "move");
  CheckOk(bucket.status(), "map bucket of 'move'");
  Stopwatch clock;
  for (;;) {
    auto map = cluster::ReadShardMap(**bucket, 1);
    CheckOk(map.status(), "reading the shard map");
    map->map.replicas = {{to.id()}};
    auto written_map = cluster::WriteShardMap(**bucket, map->map, map->revision);
    if (written_map.ok()) break;
    // Another writer (a controller) changed the map since it was read: read it again, for as
    // long as any phase may take.
    if (written_map.status().code() != Status::Code::kFailedPrecondition ||
        clock.Seconds() * 1000 > kPhaseTimeout.count()) {
      CheckOk(written_map.status(), "writing the shard map");
    }
  }
  WaitFor(
      **membership,
      [&](const Heartbeats& live) {
        const cluster::Heartbeat* h = Find(live, to.id());
        return h != nullptr && h->Holds(0) && Applied(*h, written);
      },
      "the new node to serve the shard", [&] { return to.Describe(); });
  const double served_s = clock.Seconds();
  WaitFor(
      **membership,
      [&](const Heartbeats& live) {
        const cluster::Heartbeat* h = Find(live, from.id());
        return h != nullptr && !h->Holds(0);
      },
      "the old node to drop the shard", [&] { return from.Describe(); });
  const double dropped_s = clock.Seconds();
  const std::string size = std::to_string(args.move_records) + " x " + std::to_string(args.dim);
  bench.table.AddRow({"shard move (" + size + "): new node serves it",
                      Secs(served_s) + " (" +
                          FormatRate(static_cast<double>(args.move_records) / served_s) +
                          " records/s)",
                      "", ""});
  bench.table.AddRow({"  old node dropped it", Secs(dropped_s), "", ""});
}

int RunCluster(const ClusterArgs& args) {
  if (args.records == 0 || args.batch == 0 || args.queries == 0 || args.shards == 0 ||
      args.nodes < args.shard_replicas || args.shard_replicas < 1 || args.writers == 0) {
    Fail(
        "--records, --batch, --queries, --shards, --writers must be positive, and --nodes at "
        "least --shard-replicas (at least 1)");
  }
  if (args.nats_server.empty()) Fail("nats-server was not found at configure time: --nats-server");
  std::printf("alike-bench cluster: %s\n", Now().c_str());
  std::printf("machine: %s, %u hardware threads\n", CpuModel().c_str(),
              std::thread::hardware_concurrency());
  std::printf(
      "%zu records of %u-d (cosine, %s) in batches of %zu on %u writer(s); %u shards on %d "
      "nodes, %d per shard; 3 nats-servers; %zu queries, k %zu; catch-up after %zu records; "
      "moved: a shard of %zu (0: none)\n",
      args.records, args.dim, args.index.c_str(), args.batch, args.writers, args.shards, args.nodes,
      args.shard_replicas, args.queries, args.k, args.catch_up_records, args.move_records);
  std::string pattern = std::filesystem::temp_directory_path() / "alike-bench-cluster-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) Fail("cannot make a temporary directory");
  Bench bench{.args = args, .dir = pattern};
  const unsigned threads = std::thread::hardware_concurrency();
  bench.data = MakeSynthetic(args.records + args.catch_up_records + args.move_records, args.dim,
                             args.queries, args.seed, threads);
  auto nats_cluster = cluster::LocalNatsCluster::Start(args.nats_server, bench.dir);
  CheckOk(nats_cluster.status(), "starting 3 nats-servers");
  bench.nats_cluster = std::move(*nats_cluster);
  auto nats = cluster::NatsConnection::Connect({.servers = bench.nats_cluster->urls()});
  CheckOk(nats.status(), "connecting");
  bench.nats = std::move(*nats);

  WriteSearchCatchUp(bench);
  if (args.move_records > 0) MoveShard(bench);
  bench.table.Print(stdout);

  bench.nats.reset();
  bench.nats_cluster.reset();
  std::error_code ignored;
  std::filesystem::remove_all(bench.dir, ignored);
  return 0;
}

}  // namespace

Command AddClusterCommand(CLI::App& app) {
  auto args = std::make_shared<ClusterArgs>();
  CLI::App* cmd = app.add_subcommand(
      "cluster",
      "alike cluster (3 nats-servers and `alike node`s on this machine) against one local "
      "collection: write throughput, search latency, catch-up of a restarted node, a shard move");
  CLI::Option* records = cmd->add_option("--records", args->records, "Records written and searched")
                             ->capture_default_str();
  cmd->add_option("--dim", args->dim, "Vector dimension")->capture_default_str();
  cmd->add_option("--batch", args->batch, "Records per write")->capture_default_str();
  cmd->add_option("--writers", args->writers, "Threads writing batches, on both sides")
      ->capture_default_str();
  cmd->add_option("--shards", args->shards, "Shards of the cluster collection")
      ->capture_default_str();
  cmd->add_option("--nodes", args->nodes, "alike node processes")->capture_default_str();
  cmd->add_option("--shard-replicas", args->shard_replicas, "Nodes serving each shard")
      ->capture_default_str();
  cmd->add_option("--index", args->index, "flat, hnsw or sq8")->capture_default_str();
  CLI::Option* queries =
      cmd->add_option("--queries", args->queries, "Search queries")->capture_default_str();
  cmd->add_option("--k", args->k, "Hits per search")->capture_default_str();
  CLI::Option* catch_up = cmd->add_option("--catch-up-records", args->catch_up_records,
                                          "Records written while a node is down")
                              ->capture_default_str();
  CLI::Option* move = cmd->add_option("--move-records", args->move_records,
                                      "Records of the shard that moves (0: no move)")
                          ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the synthetic vectors")->capture_default_str();
  cmd->add_option("--alike", args->alike, "The alike program (runs the nodes)")
      ->capture_default_str();
  cmd->add_option("--nats-server", args->nats_server, "The nats-server program")
      ->capture_default_str();
  cmd->add_flag("--quick", args->quick,
                "A short run: 5000 records, 200 queries, 2000 catch-up, a shard of 10000");
  auto run = [args, records, queries, catch_up, move] {
    if (args->quick) {
      if (records->count() == 0) args->records = 5000;
      if (queries->count() == 0) args->queries = 200;
      if (catch_up->count() == 0) args->catch_up_records = 2000;
      if (move->count() == 0) args->move_records = 10000;
    }
    return RunCluster(*args);
  };
  return {cmd, run};
}

}  // namespace alike::bench
