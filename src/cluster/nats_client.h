// A small RAII layer over the NATS C client (libnats): one connection with its JetStream context,
// the stream calls alike cluster needs, publishing with a message id, and pull consumers.
//
// Errors are alike::Status values, never exceptions or aborts. Every call is bounded in time: a
// connection attempt by NatsOptions::timeout, each JetStream request (stream management, publish
// acknowledgement, consumer creation) by the same timeout or the one passed, and a fetch by its
// wait. Codes: IOError for what may pass on a retry (a timeout, no responder while a stream
// elects a leader, a lost connection); NotFound for a missing stream; InvalidArgument for a
// message the stream refuses for its size; FailedPrecondition for other JetStream refusals.
//
// Core NATS request-reply is here too: Subscribe (optionally in a queue group, so that one member
// of the group takes each message) with a handler called on libnats' delivery thread,
// PublishRequest / Respond to send a request naming where its reply goes, and Request to send one
// and wait for its reply.
//
// Key-value buckets (JetStream KV) hold small shared state: a collection's settings, node
// heartbeats. KeyValueBucket creates or binds a bucket; a KeyValue gets, puts and creates keys
// (Create only where the key is absent, Update only over the revision the writer read: the
// compare-and-swaps that keep two writers from both winning), and a KvWatcher follows every key's
// latest value. A bucket's TTL expires values that were not written again in time (a dead node's
// heartbeat); expiry is silent (no delete marker reaches a watcher), so readers judge an entry's
// age by its `created` time.
//
// Thread-safety: a NatsConnection may be used from many threads at once (libnats connections and
// JetStream contexts are thread-safe), and so may a KeyValue. A PullConsumer or a KvWatcher is used
// by one thread at a time; a Subscription's handler runs on one libnats thread per subscription,
// one message at a time. Lifetimes: a PullConsumer, Subscription, KeyValue or KvWatcher, like every
// object given a NatsConnection&, must not outlive the connection (a KvWatcher not its KeyValue).
#ifndef ALIKE_CLUSTER_NATS_CLIENT_H_
#define ALIKE_CLUSTER_NATS_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

namespace alike::cluster {

struct NatsOptions {
  // One or more server URLs, comma-separated ("nats://127.0.0.1:4222,nats://127.0.0.1:4223"); the
  // connection fails over between them and the servers of the cluster it learns about.
  std::string servers;
  // Bounds connecting and each JetStream request.
  std::chrono::milliseconds timeout{5000};
  std::string client_name = "alike";
};

struct StreamConfig {
  std::string name;
  std::string subject;  // the one subject the stream stores
  int replicas = 3;
  // Within this window JetStream drops a message whose Nats-Msg-Id it stored already.
  std::chrono::seconds duplicate_window{120};
  // Largest message the stream accepts; 0 leaves the server's limit (max_payload, 1 MiB).
  int32_t max_message_bytes = 0;
  // Work-queue retention: a message is removed once a consumer acknowledged it (and each message
  // goes to one consumer); otherwise messages stay until purged.
  bool work_queue = false;
};

struct StreamState {
  uint64_t messages = 0;
  uint64_t first_seq = 0;  // 0 while the stream never held a message
  uint64_t last_seq = 0;
  std::string leader;  // the server_name of the replica that leads the stream; empty if none
};

struct PublishAck {
  uint64_t sequence = 0;   // where the stream stored the message (or stored it before)
  bool duplicate = false;  // the stream held this message id already and stored nothing
};

// One message of NatsConnection::PublishAll. `data` must stay valid until PublishAll returns.
struct OutgoingMessage {
  std::string subject;
  std::string_view data;
  std::string msg_id;  // the Nats-Msg-Id header; empty: none (the stream keeps every copy)
};

struct StreamMessage {
  uint64_t sequence = 0;
  std::string data;
};

class PullConsumer;
class WorkConsumer;
class Subscription;
class KeyValue;
class KvWatcher;

struct KeyValueConfig {
  std::string bucket;  // letters, digits, '_' and '-'
  // Values not written again within this long expire; 0 keeps them.
  std::chrono::milliseconds ttl{0};
  int replicas = 3;
};

// One key's value as the bucket holds it.
struct KvEntry {
  std::string key;
  std::string value;
  uint64_t revision = 0;
  std::chrono::system_clock::time_point created;  // the server's clock when it was written
  bool deleted = false;                           // a delete or purge marker, not a value
};

// A message delivered to a Subscription's handler.
struct IncomingMessage {
  std::string_view subject;
  std::string_view reply;  // where a reply goes; empty if the sender expects none
  std::string_view data;
  // The server's "no responders" notice (NATS 2.2+), delivered to a request's reply subject when
  // nobody subscribed to the request's subject: `subject` says which request it answers.
  bool no_responders = false;
};
// Called on libnats' delivery thread; the views are valid only during the call.
using MessageHandler = std::function<void(const IncomingMessage&)>;

class NatsConnection {
 public:
  // Connects, failing within options.timeout when no server answers.
  static Result<std::unique_ptr<NatsConnection>> Connect(const NatsOptions& options);
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  // Creates the stream (file storage, limits retention); OK when one with this name exists.
  Status AddStream(const StreamConfig& config);
  Status DeleteStream(const std::string& name);
  Result<StreamState> GetStreamState(const std::string& name);
  // Deletes the stream's messages before sequence `keep_from` (0: every message); the sequence
  // numbers of the rest, and of later messages, stay as they were.
  Status PurgeStream(const std::string& name, uint64_t keep_from);

  // Publishes `data` with the header Nats-Msg-Id: `msg_id` and waits, at most `timeout`, for the
  // stream's acknowledgement, which JetStream sends once the message is stored on a majority of
  // the stream's replicas.
  Result<PublishAck> Publish(const std::string& subject, std::string_view data,
                             const std::string& msg_id, std::chrono::milliseconds timeout);

  // Publishes every message without waiting between them (in this order on the connection), then
  // waits, at most `timeout` in all, until JetStream acknowledged each one: one acknowledgement
  // per message, in the messages' order. Otherwise the first error, or IOError naming how many
  // were not acknowledged in time; messages acknowledged before a failure stay stored, and
  // publishing the same messages again is safe where their ids make it so.
  Result<std::vector<PublishAck>> PublishAll(std::span<const OutgoingMessage> messages,
                                             std::chrono::milliseconds timeout);

  // An ephemeral pull consumer of `stream` (whose subject is `subject`) that starts at stream
  // sequence `start_seq`, created within `timeout`.
  Result<std::unique_ptr<PullConsumer>> PullFrom(const std::string& stream,
                                                 const std::string& subject, uint64_t start_seq,
                                                 std::chrono::milliseconds timeout);

  // Creates the durable pull consumer `durable` of `stream`'s `subject`, with explicit
  // acknowledgements: a message not acknowledged within `ack_wait` is delivered again. OK when it
  // exists with this configuration; an error when it exists with another.
  Status AddWorkConsumer(const std::string& stream, const std::string& subject,
                         const std::string& durable, std::chrono::milliseconds ack_wait);
  // Binds to the durable pull consumer `durable` of `stream` (created as AddWorkConsumer does,
  // with `ack_wait`, when absent; an existing one keeps its own), shared by every process that
  // binds to it: each message goes to one of them and comes again, to any of them, when it is not
  // acknowledged within the consumer's ack wait.
  Result<std::unique_ptr<WorkConsumer>> SharedPullConsumer(const std::string& stream,
                                                           const std::string& subject,
                                                           const std::string& durable,
                                                           std::chrono::milliseconds ack_wait);

  // Subscribes to `subject` (wildcards allowed); with a non-empty `queue_group`, each message goes
  // to one member of the group only. The subscription is registered on the server when this
  // returns (flushed, bounded by the connection's timeout), so a request published next reaches it.
  Result<std::unique_ptr<Subscription>> Subscribe(const std::string& subject,
                                                  const std::string& queue_group,
                                                  MessageHandler handler);
  // Publishes `data` to `subject` with the reply subject `reply` (not waiting for anything).
  Status PublishRequest(const std::string& subject, const std::string& reply,
                        std::string_view data);
  // Publishes `data` to `subject` and waits at most `timeout` for the first reply; IOError when
  // none came in time or nobody subscribes to `subject` ("no responders").
  Result<std::string> Request(const std::string& subject, std::string_view data,
                              std::chrono::milliseconds timeout);
  // Publishes `data` to `reply`, a request's reply subject.
  Status Respond(std::string_view reply, std::string_view data);
  // A new unique subject prefix for replies ("_INBOX.<random>").
  Result<std::string> NewInbox();

  // Creates the bucket, or binds to it when one of this name and configuration exists
  // (FailedPrecondition when it exists with another configuration, e.g. another TTL).
  Result<std::unique_ptr<KeyValue>> KeyValueBucket(const KeyValueConfig& config);
  // Binds to an existing bucket; NotFound when there is none.
  Result<std::unique_ptr<KeyValue>> ExistingKeyValueBucket(const std::string& bucket);
  // Deletes the bucket and every value in it; NotFound when there is none.
  Status DeleteKeyValueBucket(const std::string& bucket);

  // The largest message the connected server accepts.
  int64_t max_payload() const;
  // Whether the connection is up now (false while it reconnects after losing its server).
  bool connected() const;
  std::chrono::milliseconds timeout() const { return options_.timeout; }

 private:
  struct Handles;  // libnats' handles, so that this header need not include <nats/nats.h>
  NatsConnection(NatsOptions options, std::unique_ptr<Handles> handles);

  const NatsOptions options_;
  std::unique_ptr<Handles> handles_;
};

class PullConsumer {
 public:
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  // Up to `max` messages in stream order, waiting at most `wait` for them; empty when none came
  // in that time. Messages are acknowledged as they are returned: the caller's own record of
  // what it applied, not the consumer, is what survives a restart.
  Result<std::vector<StreamMessage>> Fetch(int max, std::chrono::milliseconds wait);

 private:
  friend class NatsConnection;
  struct Handles;
  explicit PullConsumer(std::unique_ptr<Handles> handles);

  std::unique_ptr<Handles> handles_;
};

// One message of a WorkConsumer, held until acknowledged: destroying it unacknowledged leaves it
// to come again after the consumer's ack_wait. It must not outlive its WorkConsumer.
class WorkMessage {
 public:
  ~WorkMessage();
  WorkMessage(WorkMessage&&) noexcept;
  WorkMessage& operator=(WorkMessage&&) noexcept;

  uint64_t sequence() const { return sequence_; }
  // How many times it was delivered, this time included (1 the first time).
  uint64_t deliveries() const { return deliveries_; }
  std::string_view data() const;

  // Done with it: waits (the connection's timeout) until the server confirmed, so that OK means
  // it will not come again.
  Status Ack();
  // Never deliver it again (a message that cannot be worked on).
  Status Terminate();
  // Still working on it: its ack_wait starts again.
  Status InProgress();

 private:
  friend class WorkConsumer;
  struct Handles;
  WorkMessage(std::unique_ptr<Handles> handles, uint64_t sequence, uint64_t deliveries);

  std::unique_ptr<Handles> handles_;
  uint64_t sequence_ = 0;
  uint64_t deliveries_ = 0;
};

class WorkConsumer {
 public:
  ~WorkConsumer();
  WorkConsumer(const WorkConsumer&) = delete;
  WorkConsumer& operator=(const WorkConsumer&) = delete;

  // Up to `max` messages, waiting at most `wait` for them; empty when none came in that time.
  Result<std::vector<WorkMessage>> Fetch(int max, std::chrono::milliseconds wait);

 private:
  friend class NatsConnection;
  struct Handles;
  explicit WorkConsumer(std::unique_ptr<Handles> handles);

  std::unique_ptr<Handles> handles_;
};

// An active subscription (NatsConnection::Subscribe). Destroying it unsubscribes and waits until
// its handler has returned for the last time, so that whatever the handler uses may be destroyed
// right after it.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

 private:
  friend class NatsConnection;
  struct Handles;
  explicit Subscription(std::unique_ptr<Handles> handles);

  std::unique_ptr<Handles> handles_;
};

class KeyValue {
 public:
  ~KeyValue();
  KeyValue(const KeyValue&) = delete;
  KeyValue& operator=(const KeyValue&) = delete;

  // The key's latest value; NotFound when it has none (never written, deleted or expired).
  Result<KvEntry> Get(const std::string& key);
  // Writes the key whatever it holds; returns the new revision.
  Result<uint64_t> Put(const std::string& key, std::string_view value);
  // Writes the key only if it holds no value; AlreadyExists when it does (also when another
  // writer got there first).
  Result<uint64_t> Create(const std::string& key, std::string_view value);
  // Deletes the key's value (a delete marker: Get answers NotFound, Create may write it again).
  Status Delete(const std::string& key);
  // Writes the key only if its latest revision is still `last_revision` (compare-and-swap);
  // FailedPrecondition when another writer changed it since (or it expired): of two writers
  // that read the same revision, one wins.
  Result<uint64_t> Update(const std::string& key, std::string_view value, uint64_t last_revision);
  // Follows every key: first each key's latest value, then each change as it is written.
  Result<std::unique_ptr<KvWatcher>> WatchAll();
  // The subject a Put of `key` publishes to: a message published there (with
  // NatsConnection::PublishAll, among others at once) is a Put of its data.
  std::string PutSubject(const std::string& key) const;

  const std::string& bucket() const;

 private:
  friend class NatsConnection;
  struct Handles;
  explicit KeyValue(std::unique_ptr<Handles> handles);

  std::unique_ptr<Handles> handles_;
};

class KvWatcher {
 public:
  ~KvWatcher();
  KvWatcher(const KvWatcher&) = delete;
  KvWatcher& operator=(const KvWatcher&) = delete;

  // The next entry, or nullopt when none came within `wait` (or for the marker that ends the
  // initial values: caught_up() says when that came).
  Result<std::optional<KvEntry>> Next(std::chrono::milliseconds wait);
  // Whether every key's value as of the watch's start was returned.
  bool caught_up() const { return caught_up_; }

 private:
  friend class KeyValue;
  struct Handles;
  explicit KvWatcher(std::unique_ptr<Handles> handles);

  std::unique_ptr<Handles> handles_;
  bool caught_up_ = false;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_NATS_CLIENT_H_
