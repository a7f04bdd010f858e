#include "cluster/collection_writer.h"

namespace alike::cluster {

Result<std::unique_ptr<CollectionWriter>> CollectionWriter::Open(
    NatsConnection& nats, const std::string& collection,
    std::chrono::milliseconds membership_wait) {
  std::unique_ptr<CollectionWriter> w(new CollectionWriter);
  auto settings = ReadClusterSettings(nats, collection);
  if (!settings.ok()) return settings.status();
  w->settings_ = *settings;
  auto membership = Membership::Watch(nats, collection, settings->heartbeat_ttl);
  if (!membership.ok()) return membership.status();
  w->membership_ = std::move(*membership);
  w->membership_->WaitUntilCaughtUp(membership_wait);
  w->throttle_ = std::make_unique<LagThrottle>(*w->membership_, collection, settings->lag_limit);
  w->writer_ = std::make_unique<ShardWriter>(nats,
                                             ShardLayout{.collection = collection,
                                                         .shard_count = settings->shard_count,
                                                         .replicas = settings->stream_replicas},
                                             settings->collection,
                                             ShardWriterOptions{.throttle = w->throttle_.get()});
  return w;
}

}  // namespace alike::cluster
