// The placement rule: which nodes should serve each shard, given the map as it is and which nodes
// are alive. A pure function, so that the controller, `alike cluster rebalance` and the tests
// compute the same map from the same inputs.
//
// The rule, in three passes over the current map:
//   1. keep: each shard keeps the replicas that are live or within their grace period (a node
//      that is restarting keeps its shards), at most `replicas` of them, without duplicates;
//   2. fill: a shard with fewer than `replicas` replicas gets the live nodes that hold the fewest
//      shards (ties: the smaller id), never twice the same node, so every shard ends on
//      min(replicas, live nodes) distinct live nodes plus those in grace;
//   3. balance: while the live node holding the most shards holds two more than the one holding
//      the fewest, one shard moves from the first to the second (the lowest-numbered shard that
//      the second does not hold already).
// Only the third pass moves a shard that has its replicas, and each move narrows the gap between
// two nodes, so a map that is balanced over the live nodes comes back unchanged and a join moves
// the fewest shards that balance needs (a fourth node among three holding 8 shards twice: 4).
// Nodes in grace are neither given shards nor balanced.
//
// Thread-safety: pure.
#ifndef ALIKE_CLUSTER_PLACEMENT_H_
#define ALIKE_CLUSTER_PLACEMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/shard_map.h"

namespace alike::cluster {

struct PlacementInput {
  uint32_t shard_count = 0;
  int replicas = 0;                   // nodes per shard (the settings' shard_replicas)
  std::vector<std::string> live;      // nodes that may serve shards
  std::vector<std::string> in_grace;  // dead nodes that keep their shards for now
};

ShardMap PlaceShards(const ShardMap& current, const PlacementInput& input);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_PLACEMENT_H_
