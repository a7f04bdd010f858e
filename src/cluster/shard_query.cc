#include "cluster/shard_query.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cluster/reply_error.h"

namespace alike::cluster {
namespace {

using nlohmann::json;

// The longest a replica holds a request waiting to catch up, whatever the request asks: a
// replica far behind should say so rather than hold its subscription's thread.
constexpr std::chrono::milliseconds kMaxCatchUpWait{10000};

// The read-your-writes part of a request, searches and gets alike: none when min_seq is 0.
void AddCatchUp(json& request, uint64_t min_seq, std::chrono::milliseconds wait) {
  if (min_seq == 0) return;
  request["min_seq"] = min_seq;
  request["wait_ms"] = wait.count();
}

}  // namespace

std::string ShardQuerySubject(const std::string& collection, uint32_t shard) {
  return "alike." + collection + ".q." + std::to_string(shard);
}

std::string ShardQueryGroup(const std::string& collection, uint32_t shard) {
  return "alike-" + collection + "-q-" + std::to_string(shard);
}

std::string ShardNodeQuerySubject(const std::string& collection, uint32_t shard,
                                  const std::string& node) {
  return ShardQuerySubject(collection, shard) + "." + node;
}

std::string EncodeShardQuery(std::span<const Query> queries, const SearchOptions& options,
                             uint64_t min_seq, std::chrono::milliseconds wait) {
  json request{{"k", options.k},
               {"filter", options.filter},
               {"ef", options.ef},
               {"exact", options.exact},
               {"with_payload", options.with_payload}};
  if (options.max_distance) request["max_distance"] = *options.max_distance;
  AddCatchUp(request, min_seq, wait);
  json floats = json::array();
  json binaries = json::array();
  for (const Query& q : queries) {
    if (!q.binary.empty()) {
      binaries.push_back(std::vector<uint8_t>(q.binary.begin(), q.binary.end()));
    } else {
      floats.push_back(std::vector<float>(q.vector.begin(), q.vector.end()));
    }
  }
  if (!floats.empty()) request["queries"] = std::move(floats);
  if (!binaries.empty()) request["binary"] = std::move(binaries);
  return request.dump();
}

std::string EncodeShardGet(uint64_t id, uint64_t min_seq, std::chrono::milliseconds wait) {
  json request{{"get", id}};
  AddCatchUp(request, min_seq, wait);
  return request.dump();
}

Result<ShardQueryRequest> DecodeShardQuery(std::string_view text) {
  ShardQueryRequest request;
  try {
    const json j = json::parse(text);
    if (!j.is_object()) return Status::InvalidArgument("a shard query is a JSON object");
    request.min_seq = j.value("min_seq", uint64_t{0});
    request.wait = std::chrono::milliseconds(j.value("wait_ms", int64_t{0}));
    if (j.contains("get")) {
      request.get = j.at("get").get<uint64_t>();
      return request;
    }
    if (j.contains("queries")) j.at("queries").get_to(request.vectors);
    if (j.contains("binary")) j.at("binary").get_to(request.binaries);
    if (!request.vectors.empty() && !request.binaries.empty()) {
      return Status::InvalidArgument("a shard query has float queries or binary ones, not both");
    }
    request.options.k = j.value("k", request.options.k);
    request.options.filter = j.value("filter", std::string());
    request.options.ef = j.value("ef", 0u);
    request.options.exact = j.value("exact", false);
    request.options.with_payload = j.value("with_payload", true);
    if (j.contains("max_distance"))
      request.options.max_distance = j.at("max_distance").get<float>();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("malformed shard query: ") + e.what());
  }
  for (const auto& v : request.vectors) request.queries.push_back({.vector = v});
  for (const auto& b : request.binaries) request.queries.push_back({.binary = b});
  if (request.queries.empty()) return Status::InvalidArgument("a shard query holds no query");
  return request;
}

std::string EncodeShardReply(const Result<std::vector<std::vector<Hit>>>& results) {
  if (!results.ok()) return EncodeErrorReply(results.status()).dump();
  json lists = json::array();
  for (const std::vector<Hit>& hits : *results) {
    json list = json::array();
    for (const Hit& h : hits) {
      json hit{{"id", h.id}, {"distance", h.distance}};
      if (!h.payload.empty()) hit["payload"] = h.payload;
      list.push_back(std::move(hit));
    }
    lists.push_back(std::move(list));
  }
  return json{{"results", std::move(lists)}}.dump();
}

Result<std::vector<std::vector<Hit>>> DecodeShardReply(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (const Status error = DecodeErrorReply(j); !error.ok()) return error;
    std::vector<std::vector<Hit>> results;
    for (const json& list : j.at("results")) {
      std::vector<Hit>& hits = results.emplace_back();
      for (const json& h : list) {
        hits.push_back({.id = h.at("id").get<uint64_t>(),
                        .distance = h.at("distance").get<float>(),
                        .payload = h.value("payload", std::string())});
      }
    }
    return results;
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("malformed shard reply: ") + e.what());
  }
}

std::string EncodeShardRecordReply(const Result<Record>& record) {
  if (!record.ok()) return EncodeErrorReply(record.status()).dump();
  json r{{"id", record->id}, {"payload", record->payload}};
  if (!record->binary.empty()) {
    r["binary"] = record->binary;
  } else {
    r["vector"] = record->vector;
  }
  return json{{"record", std::move(r)}}.dump();
}

Result<Record> DecodeShardRecordReply(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (const Status error = DecodeErrorReply(j); !error.ok()) return error;
    const json& r = j.at("record");
    Record record{.id = r.at("id").get<uint64_t>(), .payload = r.at("payload").get<std::string>()};
    if (r.contains("binary")) r.at("binary").get_to(record.binary);
    if (r.contains("vector")) r.at("vector").get_to(record.vector);
    return record;
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("malformed shard reply: ") + e.what());
  }
}

ShardQueryService::ShardQueryService(NatsConnection& nats, uint32_t shard,
                                     std::shared_ptr<Collection> collection, WaitFor wait_for)
    : nats_(nats),
      shard_(shard),
      collection_(std::move(collection)),
      wait_for_(std::move(wait_for)) {}

Result<std::unique_ptr<ShardQueryService>> ShardQueryService::Start(
    NatsConnection& nats, const std::string& collection_name, uint32_t shard,
    const std::string& node, std::shared_ptr<Collection> collection, WaitFor wait_for) {
  std::unique_ptr<ShardQueryService> service(
      new ShardQueryService(nats, shard, std::move(collection), std::move(wait_for)));
  const auto answer = [s = service.get()](const IncomingMessage& m) { s->Answer(m); };
  // The node's own subject first: once the queue group hands this replica requests, a router
  // that learnt of it from a heartbeat can reach it directly too.
  auto direct = nats.Subscribe(ShardNodeQuerySubject(collection_name, shard, node), "", answer);
  if (!direct.ok()) return direct.status();
  service->node_subscription_ = std::move(*direct);
  auto group = nats.Subscribe(ShardQuerySubject(collection_name, shard),
                              ShardQueryGroup(collection_name, shard), answer);
  if (!group.ok()) return group.status();
  service->group_subscription_ = std::move(*group);
  return service;
}

ShardQueryService::~ShardQueryService() {
  group_subscription_.reset();
  node_subscription_.reset();
}

Status ShardQueryService::CatchUp(const ShardQueryRequest& request) const {
  if (request.min_seq <= collection_->replicated_seq()) return Status::OK();
  const auto wait = std::min(request.wait, kMaxCatchUpWait);
  if (wait_for_(request.min_seq, std::chrono::steady_clock::now() + wait)) return Status::OK();
  return Status::FailedPrecondition(
      "shard " + std::to_string(shard_) + " not caught up: this replica applied sequence " +
      std::to_string(collection_->replicated_seq()) + ", the request needs " +
      std::to_string(request.min_seq) + " (waited " + std::to_string(wait.count()) + " ms)");
}

void ShardQueryService::Answer(const IncomingMessage& message) {
  if (message.reply.empty()) return;  // nobody to answer
  auto request = DecodeShardQuery(message.data);
  Status ready = request.ok() ? CatchUp(*request) : request.status();
  std::string reply;
  if (request.ok() && request->get) {
    reply = EncodeShardRecordReply(ready.ok() ? collection_->Get(*request->get)
                                              : Result<Record>(ready));
  } else {
    reply =
        EncodeShardReply(ready.ok() ? collection_->SearchBatch(request->queries, request->options)
                                    : Result<std::vector<std::vector<Hit>>>(ready));
  }
  // A reply that cannot be sent is the requester's timeout to handle (it retries the shard).
  nats_.Respond(message.reply, reply);
}

}  // namespace alike::cluster
