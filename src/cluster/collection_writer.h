// A ShardWriter for one cluster collection as its settings say (shards, stream replicas, vector
// options), with the collection's membership followed so that writes are held back while a
// replica lags past the settings' bound (lag_throttle.h). What the CLI's writes and the ingest
// workers use.
//
// Thread-safety: writer() may be used from many threads at once (ShardWriter's rules). Must not
// outlive the NatsConnection it was opened on.
#ifndef ALIKE_CLUSTER_COLLECTION_WRITER_H_
#define ALIKE_CLUSTER_COLLECTION_WRITER_H_

#include <chrono>
#include <memory>
#include <string>

#include "alike/status.h"
#include "cluster/lag_throttle.h"
#include "cluster/membership.h"
#include "cluster/nats_client.h"
#include "cluster/settings.h"
#include "cluster/shard_writer.h"

namespace alike::cluster {

class CollectionWriter {
 public:
  // Reads the settings and the heartbeats (for up to `membership_wait`, so that the first write
  // knows the replicas' lag); NotFound when there is no such collection.
  static Result<std::unique_ptr<CollectionWriter>> Open(
      NatsConnection& nats, const std::string& collection,
      std::chrono::milliseconds membership_wait = std::chrono::milliseconds(2000));

  ShardWriter& writer() { return *writer_; }
  const ClusterSettings& settings() const { return settings_; }

 private:
  CollectionWriter() = default;
  // Declared in the order they depend on each other, so destroyed in reverse.
  ClusterSettings settings_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<LagThrottle> throttle_;
  std::unique_ptr<ShardWriter> writer_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_COLLECTION_WRITER_H_
