// A cluster node: the process-wide part of `alike node`. It holds some shards of one cluster
// collection, each an ordinary local collection in one local database, kept up to date from the
// shard's stream (ShardReplica) and searchable through the shard query service.
//
// Start reads the collection's settings from the cluster (settings.h: dimension, metric, index,
// shard count; options that a caller gives must match them), then opens (or creates) the
// database in data_dir, with one collection per shard named "<collection>-<shard>", and refuses
// a directory that holds another cluster collection's data or collections of other options
// (dimension, metric, index): a node that served them would answer wrong hits.
//
// Serving a shard: the node opens its local collection and replica, catches up to the stream's
// last sequence as of then (bounded by catch_up_timeout), and only then joins the shard's queue
// group (and answers on its own subject for the shard), so a node never answers from a state
// older than when it took the shard. One thread per shard keeps polling the stream afterwards,
// and wakes read-your-writes requests waiting on it. A heartbeat thread writes the node's
// heartbeat (membership.h: the shards it serves, applied sequences, stream last sequences) every
// heartbeat_interval, the first before Start returns.
//
// Which local collection: the one the directory holds, when the stream still holds the sequence
// after the one it applied (CheckResumable). Otherwise (the stream's head was purged or aged out
// past it), and for a shard the directory does not hold (a join, a move), one restored from a
// snapshot of a live replica serving the shard (shard_restore.h; the furthest applied replica
// first, all within restore_timeout), accepted only with the settings' options and if the stream
// holds what follows it; the replica pulls the tail from there. A shard new to the node that no
// replica gives is replayed from the stream's start if the stream still holds it. A shard that
// neither way can give is not served, with an error naming it and each replica asked (a pinned
// node fails to start; a node following the map tries again every interval). Every node serves
// snapshots of the shards it serves (snapshot_service.h). Snapshots in transit live under
// <data_dir>/transfers, emptied when the node starts.
//
// A shard whose stream is gone (the collection was dropped: settings.h DropClusterCollection, or
// the stream was deleted) stops being served: the heartbeat thread, which reads every shard's
// stream state anyway, notices, leaves the shard's queue group, stops polling it (its local
// collection stays), reports it to on_problem and leaves it out of later heartbeats; once no
// shard is left that way, on_all_shards_gone is called (and no heartbeat is written any more).
//
// Which shards: with NodeOptions::shards the node is pinned to them, serves them from Start on
// and ignores the shard map. Without, it follows the shard map (shard_map.h): at Start it serves
// the shards its directory holds (a restarted node resumes what it had), then every
// heartbeat_interval it reads the map, serves each shard the map gives it that it does not serve
// yet, and drops a shard the map no longer gives it only once every node the map lists for that
// shard is live and its heartbeat says it serves the shard: it leaves the queue group first (a
// search in hand is answered), stops polling, then deletes the local collection. Such a node also
// runs a Controller (controller.h), so that any of them may lead the placement.
//
// Thread-safety: a Node's methods may be called from any thread. Destroying it stops the
// controller, the map follower and the heartbeats (a shard being restored or caught up finishes
// or times out first), stops serving snapshots, leaves the queue groups (so routers retry on other
// replicas), waits for requests in hand, stops and joins the polling threads, then closes the
// database and the NATS connection. Its heartbeat stays in the bucket until the TTL expires it.
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
#include "cluster/snapshot_service.h"

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
  // Pins the node to these shards; empty: the node follows the shard map.
  std::vector<uint32_t> shards;
  DatabaseOptions database;
  std::chrono::milliseconds catch_up_timeout{60000};  // per shard, at start
  std::chrono::milliseconds restore_timeout{600000};  // per shard, every replica asked
  SnapshotServiceOptions snapshots;                   // serving snapshots to other nodes
  // How long a poll waits for new messages; also bounds how long stopping takes.
  std::chrono::milliseconds poll_wait{500};
  // How often the node writes its heartbeat; well under the collection's heartbeat TTL.
  std::chrono::milliseconds heartbeat_interval{1000};
  // Problems met while polling (a lost server, a corrupt message skipped: which shard) or writing
  // heartbeats (no shard). Called from the polling and heartbeat threads; may be empty.
  std::function<void(std::optional<uint32_t> shard, const Status& problem)> on_problem;
  // Called once, from the heartbeat thread, when every shard it served lost its stream; may be
  // empty.
  std::function<void()> on_all_shards_gone;
};

struct ShardMap;
class Controller;
class Membership;

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

  // The shards the node serves now, in order.
  std::vector<uint32_t> shards() const;
  bool pinned() const { return !options_.shards.empty(); }
  const std::string& node_id() const { return options_.node_id; }
  const ClusterSettings& settings() const { return settings_; }
  // The stream sequence the node's copy of `shard` applied; 0 for a shard it does not serve.
  uint64_t applied_seq(uint32_t shard) const;
  // Whether this node's controller leads the placement (never for a pinned node).
  bool leading() const;

 private:
  struct Shard;
  explicit Node(NodeOptions options);
  Status Open();
  // The shard numbers of the local collections that data_dir holds, checked as Start says.
  Result<std::vector<uint32_t>> LocalShards();
  Status Serve(uint32_t index);
  // The local collection to serve `index` from, held or restored (see the comment at the top).
  Result<std::shared_ptr<Collection>> ShardCollection(uint32_t index);
  // The live nodes other than this one that serve `shard`, the furthest applied first.
  std::vector<std::string> ReplicasOf(uint32_t shard) const;
  std::string TransfersDir() const { return options_.data_dir + "/transfers"; }
  // Stops serving the shard and deletes its local collection.
  Status Drop(uint32_t index);
  // Takes the shard out of those served (null if not served); destroying it leaves the queue
  // group, then stops polling.
  std::unique_ptr<Shard> Unserve(uint32_t index);
  // Stops serving a shard whose stream is gone, for good; keeps its local collection.
  void StopServing(uint32_t index, const Status& why);
  void PollLoop(Shard& shard);
  void HeartbeatLoop();
  Status WriteHeartbeat();
  void FollowMapLoop();
  Status FollowMap();
  // Whether every node `map` lists for `shard` is live and serves it.
  bool HoldersServe(const ShardMap& map, uint32_t shard) const;
  // Waits `interval` or until the node stops; says whether it stops.
  bool Stopping(std::chrono::milliseconds interval);

  const NodeOptions options_;
  ClusterSettings settings_;  // read at Start
  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<KeyValue> membership_bucket_;
  std::unique_ptr<Database> database_;
  mutable std::mutex shards_mutex_;
  std::vector<std::unique_ptr<Shard>> shards_;  // served, by shard number; guarded by shards_mutex_
  std::unique_ptr<Membership> membership_;      // the live nodes: replicas to restore shards from
  std::unique_ptr<ShardSnapshotService> snapshots_;
  // Following the map (not pinned): the map, the controller.
  std::unique_ptr<KeyValue> map_bucket_;
  std::unique_ptr<Controller> controller_;
  std::mutex stop_mutex_;
  std::condition_variable stop_changed_;
  bool stop_ = false;             // guarded by stop_mutex_
  bool streams_gone_ = false;     // some shard's stream is gone; heartbeat thread only
  bool all_shards_gone_ = false;  // reported on_all_shards_gone; heartbeat thread only
  std::thread heartbeat_;
  std::thread follower_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_NODE_H_
