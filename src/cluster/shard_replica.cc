#include "cluster/shard_replica.h"

#include <algorithm>

namespace alike::cluster {
namespace {

constexpr std::chrono::milliseconds kConsumerCreationTimeout{1000};

}  // namespace

ShardReplica::ShardReplica(NatsConnection& nats, std::string stream, std::string subject,
                           std::shared_ptr<Collection> collection, ShardReplicaOptions options)
    : nats_(nats),
      stream_(std::move(stream)),
      subject_(std::move(subject)),
      collection_(std::move(collection)),
      options_(std::move(options)) {}

Status CheckResumable(const StreamState& state, const std::string& stream, uint64_t applied) {
  const std::string who = "a copy that applied up to sequence " + std::to_string(applied);
  if (applied > state.last_seq) {
    return Status::FailedPrecondition("stream " + stream + " ends at sequence " +
                                      std::to_string(state.last_seq) + ", before " + who +
                                      "; it was recreated or belongs to another cluster");
  }
  // first_seq is 0 while the stream never held a message; past a purge of every message it is
  // last_seq + 1.
  if (state.first_seq > applied + 1) {
    return Status::FailedPrecondition("stream " + stream + " starts at sequence " +
                                      std::to_string(state.first_seq) +
                                      " and no longer holds the one that follows " + who +
                                      "; it must be restored from a snapshot");
  }
  return Status::OK();
}

Result<std::unique_ptr<ShardReplica>> ShardReplica::Open(NatsConnection& nats, std::string stream,
                                                         std::string subject,
                                                         std::shared_ptr<Collection> collection,
                                                         ShardReplicaOptions options) {
  auto state = nats.GetStreamState(stream);
  if (!state.ok()) return state.status();
  ALIKE_RETURN_IF_ERROR(CheckResumable(*state, stream, collection->replicated_seq())
                            .WithContext("replica of collection '" + collection->name() + "'"));
  return std::unique_ptr<ShardReplica>(new ShardReplica(nats, std::move(stream), std::move(subject),
                                                        std::move(collection), std::move(options)));
}

Status ShardReplica::Consume(const StreamMessage& message) {
  // A redelivery, or a message a consumer created before a restart delivered again.
  if (message.sequence <= applied_seq()) return Status::OK();
  const Status applied = collection_->ApplyReplicated(message.data, message.sequence);
  if (applied.code() != Status::Code::kCorruption) return applied;
  ++skipped_;
  if (options_.on_skipped) options_.on_skipped(message.sequence, applied);
  return collection_->SkipReplicated(message.sequence);
}

Result<size_t> ShardReplica::Poll(std::chrono::milliseconds wait) {
  if (consumer_ == nullptr) {
    // For seconds after a server died, nats-server 2.9 may place a new ephemeral consumer on it
    // (seen in the failover test: creations time out, then one succeeds); a short timeout and
    // the caller's retry reach a live peer sooner than one long wait.
    auto consumer = nats_.PullFrom(stream_, subject_, applied_seq() + 1,
                                   std::min(nats_.timeout(), kConsumerCreationTimeout));
    if (!consumer.ok()) return consumer.status();
    consumer_ = std::move(*consumer);
  }
  auto messages = consumer_->Fetch(options_.fetch_batch, wait);
  if (!messages.ok()) {
    consumer_.reset();
    return messages.status();
  }
  const uint64_t before = applied_seq();
  for (const StreamMessage& message : *messages) {
    ALIKE_RETURN_IF_ERROR(Consume(message).WithContext("stream " + stream_ + " sequence " +
                                                       std::to_string(message.sequence)));
  }
  return static_cast<size_t>(applied_seq() - before);
}

Status ShardReplica::CatchUpTo(uint64_t seq, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last_error;
  while (applied_seq() < seq) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Status::IOError(
          "replica of stream " + stream_ + " reached sequence " + std::to_string(applied_seq()) +
          ", not " + std::to_string(seq) + ", within " + std::to_string(timeout.count()) + " ms" +
          (last_error.ok() ? "" : " (last error: " + last_error.message() + ")"));
    }
    auto consumed = Poll(std::min(left, nats_.timeout()));
    if (!consumed.ok()) {
      // Transport errors pass (the connection fails over, the consumer is recreated); a refusal
      // of the collection does not.
      if (consumed.status().code() != Status::Code::kIOError) return consumed.status();
      last_error = consumed.status();
    } else if (*consumed == 0) {
      // Behind the target and nothing came: the consumer may have died with its server.
      consumer_.reset();
    }
  }
  return Status::OK();
}

}  // namespace alike::cluster
