// The shard query service: how a search reaches the replicas of one shard, and how they answer.
//
// Every replica of shard s of collection C subscribes to ShardQuerySubject(C, s) in the queue
// group ShardQueryGroup(C, s), so NATS hands each request to one replica of the shard, any one;
// a replica that stops (its subscription closed, or its process gone) no longer receives any.
// Each replica also answers on its own subject, ShardNodeQuerySubject(C, s, node), outside any
// group: a router that knows the live replicas (membership.h) sends a request to one it chose,
// and its retry to another, so a replica that hangs while still subscribed (a stopped process
// that NATS has not dropped yet) cannot take both tries as a queue group's random pick can.
//
// Requests and replies are JSON (the data are a few queries and k hits, and JSON keeps them
// readable with `nats req`). A request:
//   {"queries": [[float, ...], ...]         float collections, or
//    "binary": [[byte, ...], ...],          hamming collections (dimension/8 bytes each)
//    "k": 10, "filter": "{...}" (filter text), "ef": 0, "exact": false, "with_payload": true,
//    "max_distance": 0.5 (optional),
//    "min_seq": 123 (optional), "wait_ms": 1000 (optional)}
// min_seq asks for read-your-writes: the replica answers only once it applied that stream
// sequence, waiting at most wait_ms for it, else it answers the error "not caught up". Floats
// travel as JSON numbers printed to round-trip exactly, so distances equal the local ones.
// A reply: {"results": [[{"id": 7, "distance": 0.25, "payload": "{...}"}, ...], ...]}, one list
// of hits per query, or
//          {"error": {"code": "invalid_argument", "message": "..."}} (Status::CodeName).
// A get request asks for one record instead: {"get": 7, "min_seq"/"wait_ms" as above}; its reply
// is {"record": {"id": 7, "vector": [...] or "binary": [...], "payload": "{...}"}} or an error
// (not_found when the shard does not hold the id).
//
// Thread-safety: the functions are pure; a ShardQueryService answers on libnats' delivery threads
// of its two subscriptions, one request at a time on each, and may be destroyed from any thread
// (it waits for the requests in hand). Lifetime: it must not outlive the NatsConnection it was
// given.
#ifndef ALIKE_CLUSTER_SHARD_QUERY_H_
#define ALIKE_CLUSTER_SHARD_QUERY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alike/vector_db.h"
#include "cluster/nats_client.h"

namespace alike::cluster {

std::string ShardQuerySubject(const std::string& collection, uint32_t shard);
std::string ShardQueryGroup(const std::string& collection, uint32_t shard);
std::string ShardNodeQuerySubject(const std::string& collection, uint32_t shard,
                                  const std::string& node);

// A decoded request: a search, or with `get` a get; `queries` views the vectors it owns.
struct ShardQueryRequest {
  std::optional<uint64_t> get;
  std::vector<std::vector<float>> vectors;
  std::vector<std::vector<uint8_t>> binaries;
  std::vector<Query> queries;
  SearchOptions options;
  uint64_t min_seq = 0;
  std::chrono::milliseconds wait{0};

  ShardQueryRequest() = default;
  // Not copyable: `queries` points into the vectors.
  ShardQueryRequest(const ShardQueryRequest&) = delete;
  ShardQueryRequest& operator=(const ShardQueryRequest&) = delete;
  ShardQueryRequest(ShardQueryRequest&&) = default;
  ShardQueryRequest& operator=(ShardQueryRequest&&) = default;
};

std::string EncodeShardQuery(std::span<const Query> queries, const SearchOptions& options,
                             uint64_t min_seq, std::chrono::milliseconds wait);
std::string EncodeShardGet(uint64_t id, uint64_t min_seq, std::chrono::milliseconds wait);
// A search or a get; InvalidArgument names what is malformed.
Result<ShardQueryRequest> DecodeShardQuery(std::string_view text);

std::string EncodeShardReply(const Result<std::vector<std::vector<Hit>>>& results);
// The hits, or the error the replica answered (its code kept), or Corruption for a reply that
// does not decode.
Result<std::vector<std::vector<Hit>>> DecodeShardReply(std::string_view text);
// A get's reply, as DecodeShardReply decodes a search's.
std::string EncodeShardRecordReply(const Result<Record>& record);
Result<Record> DecodeShardRecordReply(std::string_view text);

// Answers shard `shard`'s queries from `collection`. `wait_for` blocks until the collection
// applied the given stream sequence or the deadline passed, and says whether it did; the node
// implements it with the thread that applies the stream.
class ShardQueryService {
 public:
  using WaitFor = std::function<bool(uint64_t seq, std::chrono::steady_clock::time_point deadline)>;

  // Answers on the shard's queue group and on `node`'s own subject.
  static Result<std::unique_ptr<ShardQueryService>> Start(NatsConnection& nats,
                                                          const std::string& collection_name,
                                                          uint32_t shard, const std::string& node,
                                                          std::shared_ptr<Collection> collection,
                                                          WaitFor wait_for);
  // Leaves the queue group and the node's subject; returns once no request is being answered.
  ~ShardQueryService();
  ShardQueryService(const ShardQueryService&) = delete;
  ShardQueryService& operator=(const ShardQueryService&) = delete;

 private:
  ShardQueryService(NatsConnection& nats, uint32_t shard, std::shared_ptr<Collection> collection,
                    WaitFor wait_for);
  void Answer(const IncomingMessage& request);
  // Waits, within the request's bounds, until the collection applied the sequence it asks for.
  Status CatchUp(const ShardQueryRequest& request) const;

  NatsConnection& nats_;
  const uint32_t shard_;
  const std::shared_ptr<Collection> collection_;
  const WaitFor wait_for_;
  // Last: destroyed first, so that no request is answered while the rest is torn down.
  std::unique_ptr<Subscription> group_subscription_;
  std::unique_ptr<Subscription> node_subscription_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SHARD_QUERY_H_
