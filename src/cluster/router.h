// The router: one search over a cluster collection, scattered to every shard and gathered.
//
// The router reads the collection's settings (settings.h: the shard count) when created, and
// follows its membership (membership.h). A search sends one request per shard to one live
// replica of the shard, chosen from the heartbeats (rotating between a shard's replicas from one
// search to the next), on that replica's own subject; a shard with no live replica known is
// asked on its queue group's subject, where any replica may take it (one that started since the
// last heartbeat read, or all of them while the membership is not read yet). It then gathers
// replies until a deadline and merges each query's hits into the top k by distance (ties by the
// smaller id, so the order is deterministic). Shards hold disjoint ids, and every shard answers
// with its own top k under the same filter and max_distance, so the merge holds exactly the hits
// one machine holding every record would give, as far as each shard's own search is exact (flat,
// exact = true, or a filter that selects few records); HNSW shards give the recall of their own
// graphs.
//
// Failures: a shard whose request found no replica (NATS' "no responders"), whose replica
// answered a transient error (not caught up, an I/O error), or that did not answer within
// attempt_timeout is asked once more, of another live replica than the one tried when there is
// one (else of the queue group): so a replica that hangs while still subscribed (a SIGSTOPped
// process) costs a search one attempt_timeout, never the whole search, and once its heartbeat
// is older than the TTL it is not asked at all. A late answer to the first try still counts. A
// shard still without an answer at the deadline is reported: by default the search fails with
// IOError naming the shards and why; with allow_partial it returns the other shards' hits and
// lists the missing shards. An error that every replica would answer alike (a query of the wrong
// dimension, a malformed filter) fails the search at once with that error.
//
// Read-your-writes: given the WriteToken of a write, each shard's request carries the stream
// sequence the write reached on that shard, and a replica answers only once it applied it
// (waiting at most half of attempt_timeout, else it answers "not caught up" and the shard is
// retried).
//
// Thread-safety: Search and SearchBatch may be called from many threads at once. Lifetime: a
// Router must not outlive the NatsConnection it was given; destroying it waits for its reply
// handler to return.
#ifndef ALIKE_CLUSTER_ROUTER_H_
#define ALIKE_CLUSTER_ROUTER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alike/vector_db.h"
#include "cluster/membership.h"
#include "cluster/nats_client.h"
#include "cluster/settings.h"
#include "cluster/shard_writer.h"

namespace alike::cluster {

struct RouterOptions {
  std::string collection;
  // The whole search, retries included.
  std::chrono::milliseconds deadline{5000};
  // How long a shard's first request may take before it is sent again.
  std::chrono::milliseconds attempt_timeout{2000};
  // Return what the answering shards found when some did not answer (listed in the result),
  // rather than failing.
  bool allow_partial = false;
};

struct RoutedResults {
  std::vector<std::vector<Hit>> hits;  // one list per query, best first
  // Shards that did not answer (only with allow_partial), and why each, in shard order.
  std::map<uint32_t, Status> missing_shards;
};

class Router {
 public:
  static Result<std::unique_ptr<Router>> Create(NatsConnection& nats, RouterOptions options);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // `after`: the write token of writes the search must see (read-your-writes); may be null.
  Result<RoutedResults> SearchBatch(std::span<const Query> queries, const SearchOptions& options,
                                    const WriteToken* after = nullptr);
  Result<RoutedResults> Search(const Query& query, const SearchOptions& options,
                               const WriteToken* after = nullptr);
  // The record `id`, from one replica of the shard that holds it, asked and retried as a search
  // asks a shard: NotFound when the shard does not hold it, IOError when no replica answered.
  // `after` as for a search.
  Result<Record> Get(uint64_t id, const WriteToken* after = nullptr);

  const RouterOptions& options() const { return options_; }
  const ClusterSettings& settings() const { return settings_; }
  // The heartbeats it routes by, which a writer beside it may throttle on (lag_throttle.h).
  const Membership& membership() const { return *membership_; }

 private:
  struct Reply {
    uint32_t shard = 0;
    int attempt = 0;
    bool no_responders = false;
    std::string data;
  };
  struct Gather;  // one call's replies, handed over by OnReply
  // A shard's request body, given the stream sequence it must have applied (0: none).
  using MakeRequest = std::function<std::string(uint32_t shard, uint64_t min_seq)>;
  // Takes a shard's reply: OK keeps it, an error another try may not meet (MayPassOnRetry) has
  // the shard tried again, any other error fails the whole call at once.
  using AcceptReply = std::function<Status(uint32_t shard, std::string_view data)>;

  // Asks each of `shards` (as the header says: a live replica, one retry, the deadline) and
  // returns the shards that did not answer, with why.
  Result<std::map<uint32_t, Status>> Scatter(std::span<const uint32_t> shards,
                                             const WriteToken* after, const MakeRequest& request,
                                             const AcceptReply& accept);

  Router(NatsConnection& nats, RouterOptions options, ClusterSettings settings, std::string inbox);
  void OnReply(const IncomingMessage& message);

  NatsConnection& nats_;
  const RouterOptions options_;
  const ClusterSettings settings_;
  std::unique_ptr<Membership> membership_;
  const std::string inbox_;  // replies come to <inbox>.<call>.<shard>.<attempt>
  std::atomic<uint64_t> next_call_{1};
  std::mutex mutex_;
  std::map<uint64_t, std::shared_ptr<Gather>> calls_;  // in flight; guarded by mutex_
  // Last: destroyed first, so that OnReply is done before the rest goes.
  std::unique_ptr<Subscription> replies_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_ROUTER_H_
