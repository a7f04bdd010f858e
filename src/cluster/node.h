// A cluster node: the process-wide part of `alike node`. It holds some shards of one cluster
// collection, each an ordinary local collection in one local database, kept up to date from the
// shard's stream (ShardReplica) and searchable through the shard query service.
//
// Start reads the collection's settings from the cluster (settings.h: dimension, metric, index,
// shard count; options that a caller gives must match them), then opens (or creates) the
// database in data_dir, with one collection per shard named
// "<collection>-<shard>", and refuses a directory that holds another cluster collection's data
// or collections of other options (dimension, metric, index): a node that served them would
// answer wrong hits. Then, for each shard, it opens the replica, catches up to the stream's
// last sequence as of now (bounded by catch_up_timeout), and only then joins the shard's
// queue group (and answers on its own subject for the shard), so a node never answers from a
// state older than when it started. One thread per shard keeps polling the stream afterwards,
// and wakes read-your-writes requests waiting on it. Once every shard serves, a heartbeat thread
// writes the node's heartbeat (membership.h: its shards, applied sequences, stream last
// sequences) every heartbeat_interval.
//
// A shard whose stream is gone (the collection was dropped: settings.h DropClusterCollection, or
// the stream was deleted) stops being served: the heartbeat thread, which reads every shard's
// stream state anyway, notices, leaves the shard's queue group, stops polling it, reports it to
// on_problem and leaves it out of later heartbeats; once no shard is left, on_all_shards_gone is
// called (and no heartbeat is written any more).
//
// Shards are assigned statically for now (NodeOptions::shards); a later step reads the shard map
// from a JetStream KV bucket.
//
// Thread-safety: a Node's methods may be called from any thread. Destroying it stops the
// heartbeats, leaves the queue groups (so routers retry on other replicas), waits for requests in
// hand, stops and joins the polling threads, then closes the database and the NATS connection.
// Its heartbeat stays in the bucket until the TTL expires it.
#ifndef ALIKE_CLUSTER_NODE_H_
#define ALIKE_CLUSTER_NODE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alike/status.h"
#include "alike/vector_db.h"
#include "cluster/nats_client.h"
#include "cluster/settings.h"

namespace alike::cluster {

struct NodeOptions {
  NatsOptions nats;
  std::string data_dir;
  std::string collection;  // the cluster collection
  // Unique among the collection's nodes: its heartbeat's key and its query subjects' last token.
  std::string node_id;
  // When given, must equal the collection's settings (dimension, metric, index): a check of what
  // the caller expects, not a choice.
  std::optional<CollectionOptions> collection_options;
  std::vector<uint32_t> shards;  // which shards this node holds
  DatabaseOptions database;
  std::chrono::milliseconds catch_up_timeout{60000};  // per shard, at start
  // How long a poll waits for new messages; also bounds how long stopping takes.
  std::chrono::milliseconds poll_wait{500};
  // How often the node writes its heartbeat; well under the collection's heartbeat TTL.
  std::chrono::milliseconds heartbeat_interval{1000};
  // Problems met while polling (a lost server, a corrupt message skipped: which shard) or writing
  // heartbeats (no shard). Called from the polling and heartbeat threads; may be empty.
  std::function<void(std::optional<uint32_t> shard, const Status& problem)> on_problem;
  // Called once, from the heartbeat thread, when every shard's stream is gone; may be empty.
  std::function<void()> on_all_shards_gone;
};

// "0-31", "0,2,5-7": sorted, without duplicates; every shard below shard_count.
Result<std::vector<uint32_t>> ParseShardList(const std::string& text, uint32_t shard_count);
// "<collection>-<shard>": the local collection holding a shard.
std::string LocalShardName(const std::string& collection, uint32_t shard);

class Node {
 public:
  static Result<std::unique_ptr<Node>> Start(NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::vector<uint32_t>& shards() const { return options_.shards; }
  const ClusterSettings& settings() const { return settings_; }
  // The stream sequence the node's copy of `shard` applied; 0 for a shard it does not hold.
  uint64_t applied_seq(uint32_t shard) const;

 private:
  struct Shard;
  explicit Node(NodeOptions options);
  Status Open();
  void PollLoop(Shard& shard);
  void HeartbeatLoop();
  Status WriteHeartbeat();
  // Leaves the shard's queue group and stops polling it, for good.
  void StopServing(Shard& shard, const Status& why);

  const NodeOptions options_;
  ClusterSettings settings_;  // read at Start
  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<KeyValue> membership_;
  std::unique_ptr<Database> database_;
  std::vector<std::unique_ptr<Shard>> shards_;  // in options_.shards' order
  std::mutex heartbeat_mutex_;
  std::condition_variable heartbeat_stop_changed_;
  bool heartbeat_stop_ = false;   // guarded by heartbeat_mutex_
  bool all_shards_gone_ = false;  // heartbeat thread only
  std::thread heartbeat_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_NODE_H_
