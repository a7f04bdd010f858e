// A cluster collection's settings and where the cluster keeps its shared state: JetStream KV
// buckets, so that nodes, routers and the CLI read one truth rather than repeat flags.
//
// The settings bucket "alike-collections" holds one key per cluster collection, its settings as
// JSON (dimension, metric, index, shard count, stream replicas, heartbeat TTL, replica lag bound,
// shard replicas, node grace period). They are written once, with KeyValue::Create, so of two
// `alike cluster create` racing with different settings one wins and the other is refused;
// creating again with equal settings is a no-op. Each collection also has a membership bucket
// "alike-<collection>-nodes" (membership.h) whose values expire after the heartbeat TTL, a bucket
// "alike-<collection>-map" holding its shard map (shard_map.h) and a bucket
// "alike-<collection>-lease" holding its controller's lease (controller.h), whose value also
// expires after the heartbeat TTL.
//
// Thread-safety: pure functions over the thread-safe NatsConnection.
#ifndef ALIKE_CLUSTER_SETTINGS_H_
#define ALIKE_CLUSTER_SETTINGS_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"
#include "alike/vector_db.h"
#include "cluster/nats_client.h"
#include "cluster/shards.h"

namespace alike::cluster {

inline constexpr char kSettingsBucket[] = "alike-collections";
inline constexpr int kDefaultShardReplicas = 2;
// The map and lease buckets live on one server: nats-server before 2.9.21 (Debian 12 ships
// 2.9.10) checks a replicated stream's expected-last-subject-sequence before proposing the write,
// not as part of it, so two compare-and-swaps over the same revision of a 3-replica bucket can
// both succeed (nats-server#4320; the placement test saw it). On one replica the check and the
// write happen under the stream's lock. The cost: while that server is down the map cannot change
// (nodes keep serving the shards they have; writes and searches go on).
inline constexpr int kControlBucketReplicas = 1;

// How far a live replica may fall behind its shard's stream before writers hold back
// (lag_throttle.h): rather than letting lag grow without bound (milvus#45210), a writer waits up
// to `wait` for the replica to catch up, then refuses the write.
struct LagLimit {
  uint64_t max_lag = 10000;  // messages; 0 = no limit
  std::chrono::milliseconds wait{5000};
};

struct ClusterSettings {
  // Dimension, metric and index of every shard's collection (HNSW parameters: the defaults).
  CollectionOptions collection;
  uint32_t shard_count = kDefaultShardCount;
  int stream_replicas = kDefaultStreamReplicas;  // of the shard streams and the buckets
  // A node's heartbeat older than this is dead: its membership entry expires.
  std::chrono::milliseconds heartbeat_ttl{5000};
  LagLimit lag_limit;
  // How many nodes serve each shard, as the shard map places them (placement.h).
  int shard_replicas = kDefaultShardReplicas;
  // A node of the shard map dead for longer than this has its shards placed on live nodes; a
  // node back sooner (a restart) keeps them and catches up from the streams.
  std::chrono::milliseconds node_grace{30000};

  // Whether a node or router built for `other` serves this collection alike.
  bool SameAs(const ClusterSettings& other) const;
  // "dimension 16, metric cosine, index flat, 4 shards" for messages.
  std::string Describe() const;
};

std::string EncodeClusterSettings(const ClusterSettings& settings);
// Corruption names what is malformed. Settings written before the lag limit existed get the
// default one.
Result<ClusterSettings> DecodeClusterSettings(std::string_view text);

// How long a call on the cluster's shared state (settings, buckets) retries errors that may pass
// (retry.h): three of the connection's timeouts.
std::chrono::milliseconds ControlBudget(const NatsConnection& nats);

// "alike-<collection>-nodes".
std::string MembershipBucketName(const std::string& collection);
// Binds the membership bucket of a created collection (NotFound if it was never created).
Result<std::unique_ptr<KeyValue>> OpenMembershipBucket(NatsConnection& nats,
                                                       const std::string& collection);
// "alike-<collection>-map" and "alike-<collection>-lease".
std::string ShardMapBucketName(const std::string& collection);
std::string LeaseBucketName(const std::string& collection);
// Bind them as OpenMembershipBucket does.
Result<std::unique_ptr<KeyValue>> OpenShardMapBucket(NatsConnection& nats,
                                                     const std::string& collection);
Result<std::unique_ptr<KeyValue>> OpenLeaseBucket(NatsConnection& nats,
                                                  const std::string& collection);

// Writes the settings (FailedPrecondition, naming both, when the collection exists with other
// settings), then creates the membership, map and lease buckets and the shard streams; what exists
// already is kept, so a create interrupted part-way is completed by running it again. Both calls
// retry what fails for a passing reason (cluster/retry.h) for up to three times the connection's
// timeout.
Status CreateClusterCollection(NatsConnection& nats, const std::string& collection,
                               const ClusterSettings& settings);
// Deletes the collection: its shard streams, its membership, map and lease buckets and, last,
// its settings key,
// so that a drop interrupted part-way is completed by running it again (the settings still give
// the shard count). NotFound when there is no such collection. Nodes serving it stop serving
// each shard once its stream is gone (node.h). Retries as CreateClusterCollection does.
Status DropClusterCollection(NatsConnection& nats, const std::string& collection);
// NotFound when the collection was never created.
Result<ClusterSettings> ReadClusterSettings(NatsConnection& nats, const std::string& collection);
// The names of the cluster collections created, sorted; none when no collection was ever created.
Result<std::vector<std::string>> ListClusterCollections(NatsConnection& nats);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SETTINGS_H_
