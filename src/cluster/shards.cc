#include "cluster/shards.h"

#include <cctype>

namespace alike::cluster {

uint64_t Mix64(uint64_t id) {
  // SplitMix64's finaliser (Steele, Lea and Flood, 2014). These constants are part of the
  // cluster's data layout: changing them moves every record to another shard.
  id ^= id >> 30;
  id *= 0xbf58476d1ce4e5b9ull;
  id ^= id >> 27;
  id *= 0x94d049bb133111ebull;
  id ^= id >> 31;
  return id;
}

Status ValidateClusterCollectionName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!ok) {
    return Status::InvalidArgument("invalid cluster collection name '" + name +
                                   "': use 1-64 letters, digits, '_' or '-'");
  }
  return Status::OK();
}

std::string ShardStreamName(const std::string& collection, uint32_t shard) {
  return "alike-" + collection + "-" + std::to_string(shard);
}

std::string ShardSubject(const std::string& collection, uint32_t shard) {
  return "alike." + collection + "." + std::to_string(shard);
}

Status AddShardStreams(NatsConnection& nats, const ShardLayout& layout) {
  ALIKE_RETURN_IF_ERROR(ValidateClusterCollectionName(layout.collection));
  if (layout.shard_count == 0) return Status::InvalidArgument("a cluster needs at least one shard");
  for (uint32_t shard = 0; shard < layout.shard_count; ++shard) {
    StreamConfig config;
    config.name = ShardStreamName(layout.collection, shard);
    config.subject = ShardSubject(layout.collection, shard);
    config.replicas = layout.replicas;
    ALIKE_RETURN_IF_ERROR(nats.AddStream(config));
  }
  return Status::OK();
}

}  // namespace alike::cluster
