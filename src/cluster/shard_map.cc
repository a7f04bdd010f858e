#include "cluster/shard_map.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cluster/membership.h"

namespace alike::cluster {

std::vector<uint32_t> ShardMap::ShardsOf(const std::string& node) const {
  std::vector<uint32_t> shards;
  for (uint32_t s = 0; s < replicas.size(); ++s) {
    if (std::find(replicas[s].begin(), replicas[s].end(), node) != replicas[s].end()) {
      shards.push_back(s);
    }
  }
  return shards;
}

std::string EncodeShardMap(const ShardMap& map) {
  return nlohmann::json{{"shards", map.replicas}}.dump();
}

Result<ShardMap> DecodeShardMap(std::string_view text, uint32_t shard_count) {
  ShardMap map;
  try {
    map.replicas =
        nlohmann::json::parse(text).at("shards").get<std::vector<std::vector<std::string>>>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed shard map: ") + e.what());
  }
  if (map.replicas.size() != shard_count) {
    return Status::Corruption("the shard map lists " + std::to_string(map.replicas.size()) +
                              " shards; the collection has " + std::to_string(shard_count));
  }
  for (const auto& nodes : map.replicas) {
    for (const std::string& node : nodes) {
      const Status valid = ValidateNodeId(node);
      if (!valid.ok()) return Status::Corruption("shard map: " + valid.message());
    }
  }
  return map;
}

Result<VersionedShardMap> ReadShardMap(KeyValue& bucket, uint32_t shard_count) {
  auto entry = bucket.Get(kShardMapKey);
  if (!entry.ok() && entry.status().code() == Status::Code::kNotFound) {
    return VersionedShardMap{
        .map = {.replicas = std::vector<std::vector<std::string>>(shard_count)}};
  }
  if (!entry.ok()) return entry.status();
  auto map = DecodeShardMap(entry->value, shard_count);
  if (!map.ok()) return map.status().WithContext(bucket.bucket());
  return VersionedShardMap{.map = std::move(*map), .revision = entry->revision};
}

Result<uint64_t> WriteShardMap(KeyValue& bucket, const ShardMap& map, uint64_t revision) {
  if (revision != 0) return bucket.Update(kShardMapKey, EncodeShardMap(map), revision);
  auto created = bucket.Create(kShardMapKey, EncodeShardMap(map));
  if (!created.ok() && created.status().code() == Status::Code::kAlreadyExists) {
    return Status::FailedPrecondition("another writer wrote the first shard map of " +
                                      bucket.bucket());
  }
  return created;
}

}  // namespace alike::cluster
