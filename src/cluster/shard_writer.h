// Writes to a cluster collection: each write is cut by shard into messages of the shards' streams,
// each message body one write-ahead-log record (EncodeUpsertLogRecord / EncodeDeleteLogRecord,
// checksummed), published with a Nats-Msg-Id and acknowledged to the caller only after JetStream
// acknowledged every message.
//
// Message ids: "<writer>-<write>-<part>", where <writer> is random per ShardWriter, <write>
// counts the writer's writes and <part> numbers the messages of one write. An id names one
// write, not its content: publishing a PreparedWrite again (a retry after a timeout, which may
// or may not have stored the message) is dropped by JetStream's duplicate window, while a later
// write of equal content is a new write and is applied (content-derived ids would drop it, and
// "set x=1, set x=2, set x=1" would end at 2).
//
// Atomicity: each message is atomic (a replica applies its records all or none, as a local
// collection applies one Upsert). A batch spanning several shards, or larger than one message,
// is several messages: not atomic across them. If Publish fails part-way, some messages may be
// stored; publishing the same PreparedWrite again within the duplicate window completes it
// without applying any message twice. Order is kept per shard (a shard's messages are published
// in order), which is all a record's history needs, since all writes of an id go to one shard.
//
// Lag: with a LagThrottle (lag_throttle.h), each message waits until no live replica of its shard
// lags more than the collection's bound, and the write fails (FailedPrecondition, naming the node
// and its lag) when one still does after the bound's wait; messages of the write published before
// stay published (see atomicity above).
//
// Thread-safety: a ShardWriter may be used from many threads at once. It must not outlive the
// NatsConnection or the LagThrottle it was given.
#ifndef ALIKE_CLUSTER_SHARD_WRITER_H_
#define ALIKE_CLUSTER_SHARD_WRITER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alike/vector_db.h"
#include "cluster/lag_throttle.h"
#include "cluster/nats_client.h"
#include "cluster/shards.h"

namespace alike::cluster {

// What a write reached: for each shard it wrote, the stream sequence of its last message. A
// replica that applied that sequence holds the write (read-your-writes waits on it).
struct WriteToken {
  std::map<uint32_t, uint64_t> shard_seq;

  // Records that the write reached `seq` on `shard` (a later sequence than one known replaces it).
  void Reach(uint32_t shard, uint64_t seq);
  // Adds what `later` reached: a token covering both writes.
  void Merge(const WriteToken& later);
};

// "shard:seq,shard:seq" ("0:12,3:40"), what `alike cluster upsert` prints and `cluster search
// --token` reads; "" for a token of no shard.
std::string EncodeWriteToken(const WriteToken& token);
// InvalidArgument naming what is malformed.
Result<WriteToken> ParseWriteToken(std::string_view text);

struct ShardMessage {
  uint32_t shard = 0;
  std::string msg_id;
  std::string body;  // one write-ahead-log record
};

// A write encoded and cut into messages, ready to publish (and to publish again on a retry).
struct PreparedWrite {
  std::vector<ShardMessage> messages;
};

struct ShardWriterOptions {
  // Largest message body; 0 = the connected server's max_payload less room for headers.
  size_t max_message_bytes = 0;
  // How long Publish keeps retrying a message whose publish failed in a way that may pass (no
  // stream leader during an election, a lost server, a timeout).
  std::chrono::milliseconds publish_deadline{10000};
  // Holds writes back while a replica lags too far; null: no throttling.
  LagThrottle* throttle = nullptr;
};

class ShardWriter {
 public:
  // `options` are the collection's (dimension, metric), which encoding validates against.
  ShardWriter(NatsConnection& nats, ShardLayout layout, CollectionOptions options,
              ShardWriterOptions writer_options = {});

  // Validates and encodes; nothing is published. InvalidArgument names a bad record, or one
  // record too large for a message.
  Result<PreparedWrite> PrepareUpsert(std::span<const Record> records);
  Result<PreparedWrite> PrepareDelete(std::span<const uint64_t> ids);
  // One message to every shard: each replica deletes what the filter matches when it applies it.
  // InvalidArgument for a malformed filter.
  Result<PreparedWrite> PrepareDeleteWhere(std::string_view filter);

  // Publishes every message in order, retrying until publish_deadline; returns once all are
  // acknowledged. Safe to call again with the same write (see the header comment).
  Result<WriteToken> Publish(const PreparedWrite& write);
  // Publishes the messages of every write at once, in order on the connection, without waiting
  // for one acknowledgement before sending the next message (one round trip for all, not one per
  // message); retries the lot, its ids dropping what was stored, until publish_deadline. A
  // retry may store a message after one published later in the first attempt: writes given
  // together must not depend on each other's order.
  Result<WriteToken> PublishAll(std::span<const PreparedWrite> writes);

  Result<WriteToken> Upsert(std::span<const Record> records);
  Result<WriteToken> Delete(std::span<const uint64_t> ids);
  Result<WriteToken> DeleteWhere(std::string_view filter);

  const ShardLayout& layout() const { return layout_; }

 private:
  // Splits one shard's records into messages no larger than max_message_bytes_.
  Status AppendUpsertMessages(uint32_t shard, std::span<const Record> records,
                              std::vector<std::string>* bodies) const;
  PreparedWrite NameMessages(std::vector<std::pair<uint32_t, std::string>> bodies);

  NatsConnection& nats_;
  const ShardLayout layout_;
  const CollectionOptions options_;
  const ShardWriterOptions writer_options_;
  const size_t max_message_bytes_;
  const std::string writer_id_;
  std::atomic<uint64_t> next_write_{1};
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SHARD_WRITER_H_
