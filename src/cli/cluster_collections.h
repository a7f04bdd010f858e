// The collection routes over a cluster (`alike serve --cluster`): a collection is a cluster
// collection (settings.h), read and searched through a cluster::Router and written through a
// cluster::ShardWriter, so /v1/collections answers the same JSON as on one machine.
//
// What differs, and why:
//   - Sizes (count, deleted, bytes) are on the nodes: a description answers them as null, with
//     the settings under "cluster".
//   - A write answers a write token, "<shard>:<sequence>,..." (ShardWriter's WriteToken); a
//     search that carries it as "write_token" sees that write, or fails with 503 (a shard whose
//     replicas did not apply it in time).
//   - A delete by ids answers how many ids it was given, and a delete by filter null: the records
//     are on the nodes (a delete by filter is one message to every shard, applied by each replica
//     to what it holds at that point of the shard's history: cluster/shard_writer.h).
//   - Get by id (and search by a stored record's id) asks one replica of the id's shard.
// The router of each collection allows partial results; the routes turn missing shards into a
// 503 unless the request allowed them.
//
// Thread-safety: safe from many threads. It must not outlive the NatsConnection it was given.
#ifndef ALIKE_CLI_CLUSTER_COLLECTIONS_H_
#define ALIKE_CLI_CLUSTER_COLLECTIONS_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "cluster/lag_throttle.h"
#include "cluster/nats_client.h"
#include "cluster/router.h"
#include "cluster/settings.h"
#include "cluster/shard_writer.h"
#include "server/collection_service.h"

namespace alike::cli {

struct ClusterCollectionsOptions {
  std::chrono::milliseconds search_deadline{5000};  // a search's whole deadline, retries included
  std::chrono::milliseconds attempt_timeout{2000};  // a shard's first try before it is retried
};

class ClusterCollections : public server::CollectionService {
 public:
  ClusterCollections(cluster::NatsConnection& nats, ClusterCollectionsOptions options)
      : nats_(nats), options_(options) {}

  Result<std::vector<std::string>> List() override;
  Result<server::CollectionDescription> Describe(const std::string& name) override;
  Result<CollectionOptions> Options(const std::string& name) override;
  // Reads "shard_count", "replicas" and "heartbeat_ttl_ms" from the request; HNSW parameters
  // other than the defaults are refused (the settings do not keep them).
  Result<server::CollectionDescription> Create(const std::string& name,
                                               const CollectionOptions& options,
                                               const nlohmann::json& request) override;
  Status Drop(const std::string& name) override;
  Result<server::WriteReceipt> Upsert(const std::string& name,
                                      std::span<const Record> records) override;
  Result<server::WriteReceipt> Delete(const std::string& name,
                                      std::span<const uint64_t> ids) override;
  Result<server::WriteReceipt> DeleteWhere(const std::string& name,
                                           const std::string& filter) override;
  Result<Record> Get(const std::string& name, uint64_t id) override;
  Result<server::CollectionHits> Search(const std::string& name,
                                        const server::CollectionSearch& search) override;

 private:
  // A collection's settings, router and writer, made on first use and kept: settings are
  // written once and never change.
  struct Opened {
    cluster::ClusterSettings settings;
    // In the order they depend on each other (destroyed in reverse): the writer is throttled on
    // the router's membership.
    std::unique_ptr<cluster::Router> router;
    std::unique_ptr<cluster::LagThrottle> throttle;
    std::unique_ptr<cluster::ShardWriter> writer;
  };
  Result<std::shared_ptr<Opened>> Open(const std::string& name);

  cluster::NatsConnection& nats_;
  const ClusterCollectionsOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Opened>> opened_;  // guarded by mutex_
};

// cluster::ParseWriteToken ("0:12,3:5"), also refusing a shard not below `shard_count`;
// InvalidArgument naming what is wrong.
Result<cluster::WriteToken> DecodeWriteToken(std::string_view text, uint32_t shard_count);

// GET /v1/cluster: {"collections": [each collection as `alike --json cluster status` prints
// it]}.
Result<nlohmann::json> ClusterStateJson(cluster::NatsConnection& nats);

}  // namespace alike::cli

#endif  // ALIKE_CLI_CLUSTER_COLLECTIONS_H_
