// The controller of a cluster collection: the one node at a time that writes the shard map.
//
// Every node that follows the map (node.h: started without fixed shards) runs a Controller, and
// the one holding the lease leads. The lease is the key "controller" of the collection's lease
// bucket (settings.h), whose values expire after the heartbeat TTL: a node takes it with
// KeyValue::Create (only where no live lease is), and renews it every `interval` with
// KeyValue::Update over the revision it holds, so a renewal fails once another node took an
// expired lease. When the leader dies, its lease expires within the TTL and another node's next
// try takes it.
//
// Each round the leader places the shards (placement.h) on the live nodes that follow the map
// (membership.h), keeping the shards of a node of the map that has been dead for less than the
// settings' node_grace (timed from its last heartbeat this controller saw, or from when it first
// missed it), and writes the map only if it changed, by compare-and-swap. The lease only saves
// work: two controllers that both believe they lead (a renewal late on a loaded machine) both
// compute the map from the same rule and their writes are serialized by the CAS, so neither
// overwrites a map it did not read. A controller whose membership is not read yet, or that sees
// no live node, writes nothing (it would take every shard away).
//
// Thread-safety: a Controller runs on its own thread; leading() may be called from any thread.
// PlaceOnce is a pure function over thread-safe KeyValue calls. Lifetime: a Controller must not
// outlive the NatsConnection and Membership it was given; destroying it stops and joins its
// thread (within `interval`) and lets its lease expire.
#ifndef ALIKE_CLUSTER_CONTROLLER_H_
#define ALIKE_CLUSTER_CONTROLLER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alike/status.h"
#include "cluster/membership.h"
#include "cluster/nats_client.h"
#include "cluster/settings.h"
#include "cluster/shard_map.h"

namespace alike::cluster {

inline constexpr char kControllerLeaseKey[] = "controller";

// One placement: reads the map, places the shards on `live` keeping those of `in_grace`, and
// writes the map if it changed. Returns the map as it now is; FailedPrecondition when another
// writer changed the map between the read and the write.
Result<ShardMap> PlaceOnce(KeyValue& map_bucket, const ClusterSettings& settings,
                           const std::vector<std::string>& live,
                           const std::vector<std::string>& in_grace);

// The live nodes of `membership` that follow the map (not pinned), by id.
std::vector<std::string> PlaceableNodes(const Membership& membership);

struct ControllerOptions {
  std::string node_id;
  std::chrono::milliseconds interval{1000};  // between rounds; well under the heartbeat TTL
  // Problems of a round (a lease or map call that failed); may be empty.
  std::function<void(const Status& problem)> on_problem;
};

class Controller {
 public:
  static Result<std::unique_ptr<Controller>> Start(NatsConnection& nats,
                                                   const std::string& collection,
                                                   const ClusterSettings& settings,
                                                   Membership& membership,
                                                   ControllerOptions options);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Whether this node held the lease at its last round.
  bool leading() const { return lease_revision_.load() != 0; }

 private:
  Controller(const ClusterSettings& settings, Membership& membership,
             std::unique_ptr<KeyValue> lease, std::unique_ptr<KeyValue> map,
             ControllerOptions options);
  void Loop();
  Status HoldLease();
  Status Place();

  const ClusterSettings settings_;
  Membership& membership_;
  const std::unique_ptr<KeyValue> lease_;
  const std::unique_ptr<KeyValue> map_;
  const ControllerOptions options_;
  std::atomic<uint64_t> lease_revision_{0};  // 0 while not leading
  // When each node of the map was last seen live, by this controller (thread_ only).
  std::map<std::string, std::chrono::steady_clock::time_point> last_seen_;
  std::mutex mutex_;
  std::condition_variable stop_changed_;
  bool stop_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_CONTROLLER_H_
