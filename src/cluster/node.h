// A cluster node: the process-wide part of `alike node`. It holds some shards of one cluster
// collection, each an ordinary local collection in one local database, kept up to date from the
// shard's stream (ShardReplica) and searchable through the shard query service.
//
// Start opens (or creates) the database in data_dir, with one collection per shard named
// "<collection>-<shard>", and refuses a directory that holds another cluster collection's data
// or collections of other options (dimension, metric, index): a node that served them would
// answer wrong hits. Then, for each shard, it opens the replica, catches up to the stream's
// last sequence as of now (bounded by catch_up_timeout), and only then joins the shard's
// queue group, so a node never answers from a state older than when it started. One thread per
// shard keeps polling the stream afterwards, and wakes read-your-writes requests waiting on it.
//
// Shards are assigned statically for now (NodeOptions::shards); a later step reads the shard map
// from a JetStream KV bucket.
//
// Thread-safety: a Node's methods may be called from any thread. Destroying it leaves the queue
// groups first (so routers retry on other replicas), waits for requests in hand, stops and joins
// the polling threads, then closes the database and the NATS connection.
#ifndef ALIKE_CLUSTER_NODE_H_
#define ALIKE_CLUSTER_NODE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alike/status.h"
#include "alike/vector_db.h"
#include "cluster/nats_client.h"

namespace alike::cluster {

struct NodeOptions {
  NatsOptions nats;
  std::string data_dir;
  std::string collection;  // the cluster collection
  CollectionOptions collection_options;
  std::vector<uint32_t> shards;  // which shards this node holds
  DatabaseOptions database;
  std::chrono::milliseconds catch_up_timeout{60000};  // per shard, at start
  // How long a poll waits for new messages; also bounds how long stopping takes.
  std::chrono::milliseconds poll_wait{500};
  // Problems met while polling (a lost server, a corrupt message skipped): what and which
  // shard. Called from the polling threads; may be empty.
  std::function<void(uint32_t shard, const Status& problem)> on_problem;
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
  // The stream sequence the node's copy of `shard` applied; 0 for a shard it does not hold.
  uint64_t applied_seq(uint32_t shard) const;

 private:
  struct Shard;
  explicit Node(NodeOptions options);
  Status Open();
  void PollLoop(Shard& shard);

  const NodeOptions options_;
  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<Database> database_;
  std::vector<std::unique_ptr<Shard>> shards_;  // in options_.shards' order
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_NODE_H_
