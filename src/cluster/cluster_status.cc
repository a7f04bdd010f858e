#include "cluster/cluster_status.h"

#include <algorithm>

namespace alike::cluster {

int64_t ClusterStatus::HeartbeatAgeMs(const Heartbeat& node) const {
  return std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(read_at - node.written).count());
}

Result<ClusterStatus> ReadClusterStatus(NatsConnection& nats, const std::string& collection,
                                        std::chrono::milliseconds read_timeout) {
  auto settings = ReadClusterSettings(nats, collection);
  if (!settings.ok()) return settings.status();
  auto membership = Membership::Watch(nats, collection, settings->heartbeat_ttl);
  if (!membership.ok()) return membership.status();
  auto map_bucket = OpenShardMapBucket(nats, collection);
  if (!map_bucket.ok()) return map_bucket.status();
  auto map = ReadShardMap(**map_bucket, settings->shard_count);
  if (!map.ok()) return map.status();
  (*membership)->WaitUntilCaughtUp(read_timeout);
  ClusterStatus status{.collection = collection,
                       .settings = *settings,
                       .nodes = (*membership)->Live(),
                       .replicas = {},
                       .placed_on = map->map.replicas,
                       .map_revision = map->revision,
                       .read_at = std::chrono::system_clock::now()};
  status.replicas.resize(settings->shard_count);
  for (const Heartbeat& node : status.nodes) {
    for (const ShardHeartbeat& s : node.shards) {
      if (s.shard < status.replicas.size()) status.replicas[s.shard].emplace_back(node.node, s);
    }
  }
  return status;
}

nlohmann::json ClusterStatusJson(const ClusterStatus& status) {
  nlohmann::json out{{"collection", status.collection},
                     {"settings", nlohmann::json::parse(EncodeClusterSettings(status.settings))}};
  nlohmann::json& nodes = out["nodes"] = nlohmann::json::array();
  for (const Heartbeat& n : status.nodes) {
    nlohmann::json shards = nlohmann::json::array();
    for (const ShardHeartbeat& s : n.shards) {
      shards.push_back({{"shard", s.shard}, {"applied", s.applied}, {"lag", s.lag()}});
    }
    nodes.push_back({{"id", n.node},
                     {"heartbeat_age_ms", status.HeartbeatAgeMs(n)},
                     {"shards", std::move(shards)}});
  }
  nlohmann::json& shards = out["shards"] = nlohmann::json::array();
  for (uint32_t shard = 0; shard < status.replicas.size(); ++shard) {
    nlohmann::json held = nlohmann::json::array();
    for (const auto& [node, s] : status.replicas[shard]) {
      held.push_back({{"node", node}, {"applied", s.applied}, {"lag", s.lag()}});
    }
    shards.push_back({{"shard", shard},
                      {"replicas", std::move(held)},
                      {"placed_on", status.placed_on.at(shard)}});
  }
  out["map_revision"] = status.map_revision;
  return out;
}

}  // namespace alike::cluster
