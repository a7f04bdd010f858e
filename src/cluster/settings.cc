#include "cluster/settings.h"

#include <nlohmann/json.hpp>
#include <set>

#include "cluster/retry.h"

namespace alike::cluster {

bool ClusterSettings::SameAs(const ClusterSettings& other) const {
  return collection.dimension == other.collection.dimension &&
         collection.metric == other.collection.metric &&
         collection.index == other.collection.index && shard_count == other.shard_count &&
         stream_replicas == other.stream_replicas && heartbeat_ttl == other.heartbeat_ttl &&
         lag_limit.max_lag == other.lag_limit.max_lag && lag_limit.wait == other.lag_limit.wait &&
         shard_replicas == other.shard_replicas && node_grace == other.node_grace;
}

std::string ClusterSettings::Describe() const {
  return "dimension " + std::to_string(collection.dimension) + ", metric " +
         MetricName(collection.metric) + ", index " + IndexKindName(collection.index) + ", " +
         std::to_string(shard_count) + " shards, " + std::to_string(stream_replicas) +
         " stream replicas, heartbeat TTL " + std::to_string(heartbeat_ttl.count()) +
         " ms, replica lag bound " + std::to_string(lag_limit.max_lag) + " messages (wait " +
         std::to_string(lag_limit.wait.count()) + " ms), " + std::to_string(shard_replicas) +
         " nodes per shard, node grace " + std::to_string(node_grace.count()) + " ms";
}

std::string EncodeClusterSettings(const ClusterSettings& s) {
  return nlohmann::json{
      {"dimension", s.collection.dimension},        {"metric", MetricName(s.collection.metric)},
      {"index", IndexKindName(s.collection.index)}, {"shard_count", s.shard_count},
      {"stream_replicas", s.stream_replicas},       {"heartbeat_ttl_ms", s.heartbeat_ttl.count()},
      {"max_replica_lag", s.lag_limit.max_lag},     {"lag_wait_ms", s.lag_limit.wait.count()},
      {"shard_replicas", s.shard_replicas},         {"node_grace_ms", s.node_grace.count()}}
      .dump();
}

Result<ClusterSettings> DecodeClusterSettings(std::string_view text) {
  ClusterSettings s;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    s.collection.dimension = j.at("dimension").get<uint32_t>();
    auto metric = ParseMetric(j.at("metric").get<std::string>());
    if (!metric.ok()) return Status::Corruption("cluster settings: " + metric.status().message());
    s.collection.metric = *metric;
    auto index = ParseIndexKind(j.at("index").get<std::string>());
    if (!index.ok()) return Status::Corruption("cluster settings: " + index.status().message());
    s.collection.index = *index;
    s.shard_count = j.at("shard_count").get<uint32_t>();
    s.stream_replicas = j.at("stream_replicas").get<int>();
    s.heartbeat_ttl = std::chrono::milliseconds(j.at("heartbeat_ttl_ms").get<int64_t>());
    // Settings written before lag throttling or placement existed hold none of these: the
    // defaults.
    s.lag_limit.max_lag = j.value("max_replica_lag", s.lag_limit.max_lag);
    s.lag_limit.wait = std::chrono::milliseconds(j.value("lag_wait_ms", s.lag_limit.wait.count()));
    s.shard_replicas = j.value("shard_replicas", kDefaultShardReplicas);
    s.node_grace = std::chrono::milliseconds(j.value("node_grace_ms", s.node_grace.count()));
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed cluster settings: ") + e.what());
  }
  if (s.shard_count == 0 || s.collection.dimension == 0 || s.heartbeat_ttl.count() <= 0 ||
      s.lag_limit.wait.count() < 0 || s.shard_replicas <= 0 || s.node_grace.count() < 0) {
    return Status::Corruption(
        "cluster settings hold zero shards, dimensions, TTL or replicas, or a negative wait");
  }
  return s;
}

std::string MembershipBucketName(const std::string& collection) {
  return "alike-" + collection + "-nodes";
}

namespace {

Result<ClusterSettings> ReadOnce(NatsConnection& nats, const std::string& collection);

Status CreateOnce(NatsConnection& nats, const std::string& collection,
                  const ClusterSettings& settings) {
  if (settings.shard_count == 0 || settings.collection.dimension == 0 ||
      settings.heartbeat_ttl.count() <= 0 || settings.lag_limit.wait.count() < 0 ||
      settings.shard_replicas <= 0 || settings.node_grace.count() < 0) {
    return Status::InvalidArgument(
        "a cluster collection needs shards, a dimension, a TTL, nodes per shard and waits of 0 "
        "or more");
  }
  auto bucket =
      nats.KeyValueBucket({.bucket = kSettingsBucket, .replicas = settings.stream_replicas});
  if (!bucket.ok()) return bucket.status();
  auto created = (*bucket)->Create(collection, EncodeClusterSettings(settings));
  if (!created.ok() && created.status().code() != Status::Code::kAlreadyExists) {
    return created.status();
  }
  if (!created.ok()) {
    auto existing = ReadOnce(nats, collection);
    if (!existing.ok()) return existing.status();
    if (!existing->SameAs(settings)) {
      return Status::FailedPrecondition("cluster collection '" + collection + "' exists with " +
                                        existing->Describe() + "; asked to create it with " +
                                        settings.Describe());
    }
  }
  auto membership = nats.KeyValueBucket({.bucket = MembershipBucketName(collection),
                                         .ttl = settings.heartbeat_ttl,
                                         .replicas = settings.stream_replicas});
  if (!membership.ok()) return membership.status();
  auto map = nats.KeyValueBucket(
      {.bucket = ShardMapBucketName(collection), .replicas = kControlBucketReplicas});
  if (!map.ok()) return map.status();
  auto lease = nats.KeyValueBucket({.bucket = LeaseBucketName(collection),
                                    .ttl = settings.heartbeat_ttl,
                                    .replicas = kControlBucketReplicas});
  if (!lease.ok()) return lease.status();
  return AddShardStreams(nats, {.collection = collection,
                                .shard_count = settings.shard_count,
                                .replicas = settings.stream_replicas});
}

Result<ClusterSettings> ReadOnce(NatsConnection& nats, const std::string& collection) {
  const auto not_created = [&] {
    return Status::NotFound("cluster collection '" + collection +
                            "' has no settings: create it first (alike cluster create)");
  };
  auto bucket = nats.ExistingKeyValueBucket(kSettingsBucket);
  if (!bucket.ok()) {
    return bucket.status().code() == Status::Code::kNotFound ? not_created() : bucket.status();
  }
  auto entry = (*bucket)->Get(collection);
  if (!entry.ok()) {
    return entry.status().code() == Status::Code::kNotFound ? not_created() : entry.status();
  }
  auto settings = DecodeClusterSettings(entry->value);
  if (!settings.ok()) return settings.status().WithContext("cluster collection " + collection);
  return settings;
}

// Settings calls are few and idempotent (creating what exists keeps it); a request that timed out
// while a bucket or stream elected its leader is worth a few more tries.
}  // namespace

std::chrono::milliseconds ControlBudget(const NatsConnection& nats) { return nats.timeout() * 3; }

Status CreateClusterCollection(NatsConnection& nats, const std::string& collection,
                               const ClusterSettings& settings) {
  ALIKE_RETURN_IF_ERROR(ValidateClusterCollectionName(collection));
  return RetryWhileTransient(ControlBudget(nats),
                             [&](auto) { return CreateOnce(nats, collection, settings); });
}

Status DropClusterCollection(NatsConnection& nats, const std::string& collection) {
  auto settings = ReadClusterSettings(nats, collection);
  if (!settings.ok()) return settings.status();
  const auto gone = [](const Status& s) {
    return s.ok() || s.code() == Status::Code::kNotFound ? Status::OK() : s;
  };
  for (uint32_t shard = 0; shard < settings->shard_count; ++shard) {
    ALIKE_RETURN_IF_ERROR(RetryWhileTransient(ControlBudget(nats), [&](auto) {
      return gone(nats.DeleteStream(ShardStreamName(collection, shard)));
    }));
  }
  for (const std::string& bucket : {MembershipBucketName(collection),
                                    ShardMapBucketName(collection), LeaseBucketName(collection)}) {
    ALIKE_RETURN_IF_ERROR(RetryWhileTransient(
        ControlBudget(nats), [&](auto) { return gone(nats.DeleteKeyValueBucket(bucket)); }));
  }
  return RetryWhileTransient(ControlBudget(nats), [&](auto) -> Status {
    auto bucket = nats.ExistingKeyValueBucket(kSettingsBucket);
    if (!bucket.ok()) return gone(bucket.status());
    return (*bucket)->Delete(collection);
  });
}

Result<ClusterSettings> ReadClusterSettings(NatsConnection& nats, const std::string& collection) {
  ALIKE_RETURN_IF_ERROR(ValidateClusterCollectionName(collection));
  return RetryWhileTransient(ControlBudget(nats), [&](auto) { return ReadOnce(nats, collection); });
}

Result<std::vector<std::string>> ListClusterCollections(NatsConnection& nats) {
  return RetryWhileTransient(ControlBudget(nats), [&](auto) -> Result<std::vector<std::string>> {
    auto bucket = nats.ExistingKeyValueBucket(kSettingsBucket);
    if (!bucket.ok() && bucket.status().code() == Status::Code::kNotFound) {
      return std::vector<std::string>();
    }
    if (!bucket.ok()) return bucket.status();
    auto watcher = (*bucket)->WatchAll();
    if (!watcher.ok()) return watcher.status();
    // The watch's initial values are every key's latest (a dropped collection's is a delete
    // marker).
    std::set<std::string> names;
    const auto deadline = std::chrono::steady_clock::now() + nats.timeout();
    while (!(*watcher)->caught_up()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::IOError("the settings bucket " + std::string(kSettingsBucket) +
                               " was not read within " + std::to_string(nats.timeout().count()) +
                               " ms");
      }
      auto entry = (*watcher)->Next(std::chrono::milliseconds(100));
      if (!entry.ok()) return entry.status();
      if (*entry && !(*entry)->deleted) names.insert((*entry)->key);
    }
    return std::vector<std::string>(names.begin(), names.end());
  });
}

std::string ShardMapBucketName(const std::string& collection) {
  return "alike-" + collection + "-map";
}

std::string LeaseBucketName(const std::string& collection) {
  return "alike-" + collection + "-lease";
}

namespace {

Result<std::unique_ptr<KeyValue>> OpenBucket(NatsConnection& nats, const std::string& bucket) {
  return RetryWhileTransient(ControlBudget(nats),
                             [&](auto) { return nats.ExistingKeyValueBucket(bucket); });
}

}  // namespace

Result<std::unique_ptr<KeyValue>> OpenMembershipBucket(NatsConnection& nats,
                                                       const std::string& collection) {
  return OpenBucket(nats, MembershipBucketName(collection));
}

Result<std::unique_ptr<KeyValue>> OpenShardMapBucket(NatsConnection& nats,
                                                     const std::string& collection) {
  return OpenBucket(nats, ShardMapBucketName(collection));
}

Result<std::unique_ptr<KeyValue>> OpenLeaseBucket(NatsConnection& nats,
                                                  const std::string& collection) {
  return OpenBucket(nats, LeaseBucketName(collection));
}

}  // namespace alike::cluster
