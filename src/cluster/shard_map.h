// The shard map of a cluster collection: which nodes serve each shard. It is one JSON value,
// {"shards": [["n1", "n2"], ["n2", "n3"], ...]} (shard s's replicas, by node id), under the key
// "map" of the collection's map bucket (settings.h: "alike-<collection>-map"), and it is only
// ever changed by compare-and-swap: a writer reads it with its revision and writes over that
// revision, so of two writers that read the same map (two controllers, a controller and
// `alike cluster rebalance`) one wins and the other reads again. The controller (controller.h)
// writes it; nodes follow it (node.h); routers do not need it (they follow the heartbeats).
//
// Thread-safety: pure functions, and the KeyValue calls are thread-safe.
#ifndef ALIKE_CLUSTER_SHARD_MAP_H_
#define ALIKE_CLUSTER_SHARD_MAP_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"
#include "cluster/nats_client.h"

namespace alike::cluster {

inline constexpr char kShardMapKey[] = "map";

struct ShardMap {
  std::vector<std::vector<std::string>> replicas;  // by shard: the node ids serving it

  bool operator==(const ShardMap&) const = default;
  // The shards `node` is listed for, in order.
  std::vector<uint32_t> ShardsOf(const std::string& node) const;
};

std::string EncodeShardMap(const ShardMap& map);
// Corruption names what is malformed (also a map of another shard count than `shard_count`).
Result<ShardMap> DecodeShardMap(std::string_view text, uint32_t shard_count);

struct VersionedShardMap {
  ShardMap map;
  uint64_t revision = 0;  // 0: no map was written yet (`map` then lists no replicas)
};

// The map as `bucket` holds it, or an empty one of `shard_count` shards at revision 0.
Result<VersionedShardMap> ReadShardMap(KeyValue& bucket, uint32_t shard_count);
// Writes `map` only if the bucket still holds `revision` (0: no map yet); returns the new
// revision, or FailedPrecondition when another writer changed the map since.
Result<uint64_t> WriteShardMap(KeyValue& bucket, const ShardMap& map, uint64_t revision);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SHARD_MAP_H_
