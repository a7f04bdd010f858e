// A cluster collection's state as people and tools read it: its settings, the live nodes
// (heartbeat age, shards, applied sequence and lag), each shard's replicas and where the shard
// map places it. `alike cluster
// status` prints it and the router's GET /v1/cluster answers it, both from ClusterStatusJson.
//
// Thread-safety: pure functions over the thread-safe NatsConnection.
#ifndef ALIKE_CLUSTER_CLUSTER_STATUS_H_
#define ALIKE_CLUSTER_CLUSTER_STATUS_H_

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "alike/status.h"
#include "cluster/membership.h"
#include "cluster/nats_client.h"
#include "cluster/settings.h"
#include "cluster/shard_map.h"

namespace alike::cluster {

struct ClusterStatus {
  std::string collection;
  ClusterSettings settings;
  std::vector<Heartbeat> nodes;  // live, by id
  // Per shard, its live replicas: node id and that node's heartbeat for the shard.
  std::vector<std::vector<std::pair<std::string, ShardHeartbeat>>> replicas;
  // Per shard, the nodes the shard map places it on (shard_map.h), and the map's revision.
  std::vector<std::vector<std::string>> placed_on;
  uint64_t map_revision = 0;
  std::chrono::system_clock::time_point read_at;

  // How old a node's heartbeat was when the status was read.
  int64_t HeartbeatAgeMs(const Heartbeat& node) const;
};

// Reads the settings, the shard map and the heartbeats, waiting at most `read_timeout` for those
// already in the membership bucket. NotFound when the collection was never created.
Result<ClusterStatus> ReadClusterStatus(NatsConnection& nats, const std::string& collection,
                                        std::chrono::milliseconds read_timeout);

// {"collection", "settings", "nodes": [{"id", "heartbeat_age_ms", "shards": [{"shard",
// "applied", "lag"}]}], "shards": [{"shard", "replicas": [{"node", "applied", "lag"}],
// "placed_on": [node ids]}], "map_revision"}.
nlohmann::json ClusterStatusJson(const ClusterStatus& status);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_CLUSTER_STATUS_H_
