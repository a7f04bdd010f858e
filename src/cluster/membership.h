// Cluster membership: which nodes are alive, which shards each serves and how far behind each
// shard's stream it is. Every node writes a heartbeat to the collection's membership bucket
// (settings.h: "alike-<collection>-nodes", key = the node's id) about once a second; the
// bucket's TTL expires the heartbeat of a node that stopped writing (killed, hung, cut off), so a
// dead node disappears without anyone deleting it.
//
// A heartbeat (JSON): {"node": "n1", "pinned": false,
//                      "shards": [{"shard": 0, "applied": 120, "last": 125}, ...]}:
// whether the node serves the shards it was told (`alike node --shards`) rather than the shard
// map's (pinned nodes are left out of placement), and per shard the stream sequence the node
// applied and the stream's last sequence when it looked, so lag = last - applied. A heartbeat lists
// only shards the node serves (caught up, answering queries): its first lists those it held when it
// started, and a shard taken later appears once served, which is what an old holder waits for
// before it drops the shard (node.h).
//
// Membership follows the bucket with a watcher on its own thread and answers which nodes are
// alive: those whose latest heartbeat is younger than the TTL by the server's clock as this
// machine reads it (the watcher is told nothing when a value expires, so age is what counts;
// clocks of machines apart should agree within a fraction of the TTL).
//
// Thread-safety: the functions are pure; a Membership's methods may be called from any thread.
// Lifetime: a Membership must not outlive the NatsConnection it was given; destroying it stops
// and joins its thread (within its poll interval).
#ifndef ALIKE_CLUSTER_MEMBERSHIP_H_
#define ALIKE_CLUSTER_MEMBERSHIP_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "alike/status.h"
#include "cluster/nats_client.h"

namespace alike::cluster {

struct ShardHeartbeat {
  uint32_t shard = 0;
  uint64_t applied = 0;  // stream sequence the node's copy applied
  uint64_t last = 0;     // the stream's last sequence when the node looked
  uint64_t lag() const { return last > applied ? last - applied : 0; }
};

struct Heartbeat {
  std::string node;
  bool pinned = false;                            // serves fixed shards, not the map's
  std::vector<ShardHeartbeat> shards;             // by shard
  std::chrono::system_clock::time_point written;  // by the server's clock; set when read

  bool Holds(uint32_t shard) const;
};

// Node ids are keys and subject tokens: 1-64 letters, digits, '_' or '-'.
Status ValidateNodeId(const std::string& id);
std::string EncodeHeartbeat(const Heartbeat& heartbeat);
// Corruption names what is malformed.
Result<Heartbeat> DecodeHeartbeat(std::string_view text);

class Membership {
 public:
  // Follows `collection`'s membership bucket (NotFound when the collection was not created);
  // heartbeats older than `ttl` count as dead.
  static Result<std::unique_ptr<Membership>> Watch(NatsConnection& nats,
                                                   const std::string& collection,
                                                   std::chrono::milliseconds ttl);
  ~Membership();
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // The live nodes, by id.
  std::vector<Heartbeat> Live() const;
  // Waits until every heartbeat in the bucket when watching began was read, at most `timeout`;
  // says whether they were.
  bool WaitUntilCaughtUp(std::chrono::milliseconds timeout);

 private:
  Membership(std::unique_ptr<KeyValue> bucket, std::unique_ptr<KvWatcher> watcher,
             std::chrono::milliseconds ttl);
  void Follow();

  const std::unique_ptr<KeyValue> bucket_;
  const std::unique_ptr<KvWatcher> watcher_;  // driven by thread_ only
  const std::chrono::milliseconds ttl_;
  mutable std::mutex mutex_;
  std::condition_variable caught_up_changed_;
  std::map<std::string, Heartbeat> latest_;  // guarded by mutex_
  bool caught_up_ = false;                   // guarded by mutex_
  bool stop_ = false;                        // guarded by mutex_
  std::thread thread_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_MEMBERSHIP_H_
