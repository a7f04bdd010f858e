// How a cluster collection is cut into shards, and where each shard's log lives.
//
// A cluster collection has a fixed number S of logical shards (default 64: far more than nodes,
// so that shards, not records, are what moves between nodes). A record belongs to shard
//   ShardOf(id, S) = Mix64(id) mod S,
// where Mix64 is the SplitMix64 finaliser: stable across builds and machines (unlike std::hash)
// and mixing, so that sequential ids spread evenly. Each shard is one JetStream stream, named
// "alike-<collection>-<shard>", storing the one subject "alike.<collection>.<shard>".
//
// Thread-safety: pure functions, and AddShardStreams uses only the thread-safe NatsConnection.
#ifndef ALIKE_CLUSTER_SHARDS_H_
#define ALIKE_CLUSTER_SHARDS_H_

#include <cstdint>
#include <string>

#include "alike/status.h"
#include "cluster/nats_client.h"

namespace alike::cluster {

inline constexpr uint32_t kDefaultShardCount = 64;
inline constexpr int kDefaultStreamReplicas = 3;

uint64_t Mix64(uint64_t id);
inline uint32_t ShardOf(uint64_t id, uint32_t shard_count) {
  return static_cast<uint32_t>(Mix64(id) % shard_count);
}

// Cluster collection names are also parts of stream names and subjects: 1-64 letters, digits,
// '_' or '-'.
Status ValidateClusterCollectionName(const std::string& name);
std::string ShardStreamName(const std::string& collection, uint32_t shard);
std::string ShardSubject(const std::string& collection, uint32_t shard);

struct ShardLayout {
  std::string collection;
  uint32_t shard_count = kDefaultShardCount;
  int replicas = kDefaultStreamReplicas;  // JetStream replicas of each shard's stream
};

// Creates every shard's stream (file storage, `replicas` replicas, the duplicate window of
// StreamConfig); streams that exist already are kept.
Status AddShardStreams(NatsConnection& nats, const ShardLayout& layout);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SHARDS_H_
