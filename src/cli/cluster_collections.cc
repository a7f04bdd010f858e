#include "cli/cluster_collections.h"

#include "cluster/cluster_status.h"

namespace alike::cli {
namespace {

// How long GET /v1/cluster waits to read the heartbeats already in a membership bucket.
constexpr std::chrono::milliseconds kStatusReadTimeout{2000};

// A write's answer: `count` records (nullopt: not known), and the token of what it reached.
Result<server::WriteReceipt> ReceiptOf(const Result<cluster::WriteToken>& token,
                                       std::optional<uint64_t> count) {
  if (!token.ok()) return token.status();
  return server::WriteReceipt{.count = count, .write_token = cluster::EncodeWriteToken(*token)};
}

}  // namespace

Result<cluster::WriteToken> DecodeWriteToken(std::string_view text, uint32_t shard_count) {
  auto token = cluster::ParseWriteToken(text);
  if (!token.ok()) {
    return Status::InvalidArgument("\"write_token\" " + token.status().message() +
                                   " (give a token a write answered)");
  }
  for (const auto& [shard, seq] : token->shard_seq) {
    if (shard >= shard_count) {
      return Status::InvalidArgument(
          "\"write_token\" " + std::string(text) + ": shard " + std::to_string(shard) +
          " is not below the collection's shard count " + std::to_string(shard_count) +
          " (give a token a write answered)");
    }
  }
  return token;
}

Result<std::shared_ptr<ClusterCollections::Opened>> ClusterCollections::Open(
    const std::string& name) {
  {
    std::lock_guard lock(mutex_);
    if (const auto it = opened_.find(name); it != opened_.end()) return it->second;
  }
  // Made outside the lock (it reads buckets); of two made at once, the first stored is kept.
  auto settings = cluster::ReadClusterSettings(nats_, name);
  if (!settings.ok()) return settings.status();
  auto router = cluster::Router::Create(nats_, {.collection = name,
                                                .deadline = options_.search_deadline,
                                                .attempt_timeout = options_.attempt_timeout,
                                                .allow_partial = true});
  if (!router.ok()) return router.status();
  auto opened = std::make_shared<Opened>();
  opened->settings = *settings;
  opened->router = std::move(*router);
  opened->throttle = std::make_unique<cluster::LagThrottle>(opened->router->membership(), name,
                                                            settings->lag_limit);
  opened->writer = std::make_unique<cluster::ShardWriter>(
      nats_,
      cluster::ShardLayout{.collection = name,
                           .shard_count = settings->shard_count,
                           .replicas = settings->stream_replicas},
      settings->collection, cluster::ShardWriterOptions{.throttle = opened->throttle.get()});
  std::lock_guard lock(mutex_);
  return opened_.emplace(name, std::move(opened)).first->second;
}

Result<std::vector<std::string>> ClusterCollections::List() {
  return cluster::ListClusterCollections(nats_);
}

Result<server::CollectionDescription> ClusterCollections::Describe(const std::string& name) {
  auto opened = Open(name);
  if (!opened.ok()) return opened.status();
  const cluster::ClusterSettings& s = (*opened)->settings;
  server::CollectionDescription d;
  d.info.name = name;
  d.info.options = s.collection;
  d.sizes_known = false;
  d.cluster = nlohmann::json::parse(cluster::EncodeClusterSettings(s));
  return d;
}

Result<CollectionOptions> ClusterCollections::Options(const std::string& name) {
  auto opened = Open(name);
  if (!opened.ok()) return opened.status();
  return (*opened)->settings.collection;
}

Result<server::CollectionDescription> ClusterCollections::Create(const std::string& name,
                                                                 const CollectionOptions& options,
                                                                 const nlohmann::json& request) {
  const HnswParams defaults;
  if (options.hnsw.m != defaults.m || options.hnsw.ef_construction != defaults.ef_construction ||
      options.hnsw.ef_search != defaults.ef_search) {
    return Status::InvalidArgument(
        "a cluster collection's shards use the default HNSW parameters: leave out m, "
        "ef_construction and ef_search");
  }
  cluster::ClusterSettings settings{.collection = options};
  settings.shard_count = request.value("shard_count", settings.shard_count);
  settings.stream_replicas = request.value("replicas", settings.stream_replicas);
  settings.heartbeat_ttl = std::chrono::milliseconds(
      request.value("heartbeat_ttl_ms", static_cast<int64_t>(settings.heartbeat_ttl.count())));
  ALIKE_RETURN_IF_ERROR(cluster::CreateClusterCollection(nats_, name, settings));
  return Describe(name);
}

Status ClusterCollections::Drop(const std::string& name) {
  ALIKE_RETURN_IF_ERROR(cluster::DropClusterCollection(nats_, name));
  // Requests in flight keep the dropped collection's router and writer until they end.
  std::lock_guard lock(mutex_);
  opened_.erase(name);
  return Status::OK();
}

Result<server::WriteReceipt> ClusterCollections::Upsert(const std::string& name,
                                                        std::span<const Record> records) {
  auto opened = Open(name);
  if (!opened.ok()) return opened.status();
  return ReceiptOf((*opened)->writer->Upsert(records), records.size());
}

Result<server::WriteReceipt> ClusterCollections::Delete(const std::string& name,
                                                        std::span<const uint64_t> ids) {
  auto opened = Open(name);
  if (!opened.ok()) return opened.status();
  return ReceiptOf((*opened)->writer->Delete(ids), ids.size());
}

Result<server::WriteReceipt> ClusterCollections::DeleteWhere(const std::string& name,
                                                             const std::string& filter) {
  auto opened = Open(name);
  if (!opened.ok()) return opened.status();
  return ReceiptOf((*opened)->writer->DeleteWhere(filter), std::nullopt);
}

Result<Record> ClusterCollections::Get(const std::string& name, uint64_t id) {
  auto opened = Open(name);
  if (!opened.ok()) return opened.status();
  return (*opened)->router->Get(id);
}

Result<server::CollectionHits> ClusterCollections::Search(const std::string& name,
                                                          const server::CollectionSearch& search) {
  auto opened = Open(name);
  if (!opened.ok()) return opened.status();
  cluster::WriteToken after;
  if (!search.after.empty()) {
    auto decoded = DecodeWriteToken(search.after, (*opened)->settings.shard_count);
    if (!decoded.ok()) return decoded.status();
    after = std::move(*decoded);
  }
  auto routed = (*opened)->router->SearchBatch(search.queries, search.options,
                                               search.after.empty() ? nullptr : &after);
  if (!routed.ok()) return routed.status();
  server::CollectionHits out{.hits = std::move(routed->hits)};
  for (const auto& [shard, why] : routed->missing_shards) out.missing_shards[shard] = why.message();
  return out;
}

Result<nlohmann::json> ClusterStateJson(cluster::NatsConnection& nats) {
  auto names = cluster::ListClusterCollections(nats);
  if (!names.ok()) return names.status();
  nlohmann::json collections = nlohmann::json::array();
  for (const std::string& name : *names) {
    auto status = cluster::ReadClusterStatus(nats, name, kStatusReadTimeout);
    if (!status.ok()) return status.status().WithContext("cluster collection " + name);
    collections.push_back(cluster::ClusterStatusJson(*status));
  }
  return nlohmann::json{{"collections", std::move(collections)}};
}

}  // namespace alike::cli
