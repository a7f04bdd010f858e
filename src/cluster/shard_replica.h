// A shard replica: what a node runs for each shard it holds. An ordinary local collection
// (through the public Database/Collection API) that replays the shard's stream.
//
// The replica pulls the stream from the collection's replicated_seq() + 1 and hands each message
// to Collection::ApplyReplicated with its stream sequence. That call checks the record (framing,
// checksum, dimensions) before writing anything, and logs the write and its sequence as one
// record of the collection's write-ahead log. So there is no crash window between applying a
// message and persisting how far the replica got: after kill -9 or power loss (with the
// database's SyncPolicy::kAlways) the collection holds exactly the messages up to its
// replicated_seq(), and a restarted replica resumes at the next one; nothing acknowledged by the
// collection is lost and nothing is applied twice (ApplyReplicated also refuses a sequence it is
// past). A message that fails the checks is reported to on_skipped and recorded as consumed
// (SkipReplicated), never applied.
//
// What the replica cannot repair by itself is reported when it starts: a stream that no longer
// holds the next sequence (aged out or purged), or one behind the collection (recreated); the
// node restores such a shard from another replica's snapshot (shard_restore.h).
//
// Thread-safety and lifetime: one thread at a time drives a ShardReplica (Poll, CatchUpTo), which
// must not outlive the NatsConnection it was given. The collection may be searched from any
// thread meanwhile, and searches see whole messages applied or none.
#ifndef ALIKE_CLUSTER_SHARD_REPLICA_H_
#define ALIKE_CLUSTER_SHARD_REPLICA_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "alike/vector_db.h"
#include "cluster/nats_client.h"

namespace alike::cluster {

struct ShardReplicaOptions {
  int fetch_batch = 256;  // messages per fetch
  // Called for each message skipped as corrupt, with its stream sequence and why.
  std::function<void(uint64_t seq, const Status& why)> on_skipped;
};

// OK when `stream`, in `state`, holds the sequence after `applied` or ends at `applied`: a copy of
// its shard that applied that far can continue from it. Else FailedPrecondition says why not.
Status CheckResumable(const StreamState& state, const std::string& stream, uint64_t applied);

class ShardReplica {
 public:
  // Checks that `stream` still holds what `collection` needs next (CheckResumable).
  static Result<std::unique_ptr<ShardReplica>> Open(NatsConnection& nats, std::string stream,
                                                    std::string subject,
                                                    std::shared_ptr<Collection> collection,
                                                    ShardReplicaOptions options = {});

  // Fetches one batch (waiting at most `wait` for it) and applies it. Returns how many stream
  // positions were consumed (applied or skipped); 0 when none came in time.
  Result<size_t> Poll(std::chrono::milliseconds wait);
  // Polls until the collection applied `seq`, or fails once `timeout` passed.
  Status CatchUpTo(uint64_t seq, std::chrono::milliseconds timeout);

  uint64_t applied_seq() const { return collection_->replicated_seq(); }
  uint64_t skipped_count() const { return skipped_; }
  const std::string& stream() const { return stream_; }

 private:
  ShardReplica(NatsConnection& nats, std::string stream, std::string subject,
               std::shared_ptr<Collection> collection, ShardReplicaOptions options);
  Status Consume(const StreamMessage& message);

  NatsConnection& nats_;
  const std::string stream_;
  const std::string subject_;
  const std::shared_ptr<Collection> collection_;
  const ShardReplicaOptions options_;
  // Created on demand from applied_seq() + 1, and dropped after a failed fetch so that the next
  // poll starts a fresh one (the server that held it may be gone).
  std::unique_ptr<PullConsumer> consumer_;
  uint64_t skipped_ = 0;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SHARD_REPLICA_H_
