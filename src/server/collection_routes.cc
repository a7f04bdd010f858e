// Generic vector collections beside the image spaces: create, list, describe, drop, upsert,
// get, delete and search, over a CollectionService (this machine's database, or a cluster for
// `alike serve --cluster`). The image spaces ("image.<embedder>") belong to the library: they
// can be searched here but not written, or the catalog and its vectors would disagree.
#include <string>
#include <vector>

#include "server/api.h"
#include "server/api_error.h"
#include "server/collection_json.h"
#include "server/http_input.h"

namespace alike::server {
namespace {

using nlohmann::json;

constexpr std::string_view kReservedPrefix = "image.";

bool Reserved(const std::string& name) { return name.starts_with(kReservedPrefix); }

struct Collections {
  CollectionService& service;
  const uint32_t max_k;
};

using CollectionHandler = void (*)(Collections&, const httplib::Request&, httplib::Response&);

// What every route of a collection reads first: its name, options and the JSON body.
struct Target {
  std::string name;
  CollectionOptions options;
  json body;
  bool binary() const { return options.metric == Metric::kHamming; }
};

// The collection named by the route (and the body when `with_body`), or an error answer (and
// false).
bool Resolve(Collections& c, const httplib::Request& req, httplib::Response& res, bool for_writing,
             bool with_body, Target& target) {
  target.name = req.matches[1].str();
  if (for_writing && Reserved(target.name)) {
    SetError(
        res, 403, "forbidden",
        "collection " + target.name + " belongs to the image library; change it with /v1/images");
    return false;
  }
  auto options = c.service.Options(target.name);
  if (!options.ok()) {
    SetError(res, options.status());
    return false;
  }
  target.options = *options;
  if (!with_body) return true;
  auto parsed = JsonBody(req);
  if (!parsed.ok()) {
    SetError(res, parsed.status());
    return false;
  }
  target.body = std::move(*parsed);
  return true;
}

json DescriptionJson(const CollectionDescription& d) {
  json j = CollectionInfoJson(d.info);
  if (!d.sizes_known) {
    for (const char* size :
         {"count", "deleted", "memory_bytes", "mapped_bytes", "disk_bytes", "log_bytes"}) {
      j[size] = nullptr;
    }
  }
  if (!d.cluster.is_null()) j["cluster"] = d.cluster;
  return j;
}

// {"upserted": n} or {"deleted": n} (null where the count is not known), with the write token
// where the service gives one.
json ReceiptJson(const char* what, const WriteReceipt& receipt) {
  json j{{what, receipt.count ? json(*receipt.count) : json(nullptr)}};
  if (!receipt.write_token.empty()) j["write_token"] = receipt.write_token;
  return j;
}

void ListCollections(Collections& c, const httplib::Request&, httplib::Response& res) {
  auto names = c.service.List();
  if (!names.ok()) return SetError(res, names.status());
  json list = json::array();
  for (const std::string& name : *names) {
    if (auto d = c.service.Describe(name); d.ok()) list.push_back(DescriptionJson(*d));
  }
  SetJson(res, {{"collections", std::move(list)}});
}

void CreateCollection(Collections& c, const httplib::Request& req, httplib::Response& res) {
  auto body = JsonBody(req);
  if (!body.ok()) return SetError(res, body.status());
  const std::string name = body->value("name", "");
  if (Reserved(name)) {
    return SetError(res, 403, "forbidden", "names starting with image. belong to the library");
  }
  auto metric = ParseMetric(body->value("metric", "cosine"));
  if (!metric.ok()) return SetError(res, metric.status());
  auto index = ParseIndexKind(body->value("index", "hnsw"));
  if (!index.ok()) return SetError(res, index.status());
  CollectionOptions options{
      .dimension = body->value("dimension", 0u), .metric = *metric, .index = *index};
  options.hnsw.m = body->value("m", options.hnsw.m);
  options.hnsw.ef_construction = body->value("ef_construction", options.hnsw.ef_construction);
  options.hnsw.ef_search = body->value("ef_search", options.hnsw.ef_search);
  auto created = c.service.Create(name, options, *body);
  if (!created.ok()) return SetError(res, created.status());
  SetJson(res, DescriptionJson(*created), 201);
}

void DescribeCollection(Collections& c, const httplib::Request& req, httplib::Response& res) {
  auto d = c.service.Describe(req.matches[1].str());
  if (!d.ok()) return SetError(res, d.status());
  SetJson(res, DescriptionJson(*d));
}

void DropCollection(Collections& c, const httplib::Request& req, httplib::Response& res) {
  Target t;
  if (!Resolve(c, req, res, true, false, t)) return;
  const Status dropped = c.service.Drop(t.name);
  if (!dropped.ok()) return SetError(res, dropped);
  SetJson(res, {{"dropped", t.name}});
}

void Upsert(Collections& c, const httplib::Request& req, httplib::Response& res) {
  Target t;
  if (!Resolve(c, req, res, true, true, t)) return;
  const json& given = t.body["records"];
  if (!given.is_array()) return SetError(res, 400, "invalid_argument", "\"records\" is required");
  std::vector<Record> records;
  for (const json& r : given) {
    auto record = RecordFromJson(r, t.binary());
    if (!record.ok()) return SetError(res, record.status());
    records.push_back(std::move(*record));
  }
  auto written = c.service.Upsert(t.name, records);
  if (!written.ok()) return SetError(res, written.status());
  SetJson(res, ReceiptJson("upserted", *written));
}

void GetRecord(Collections& c, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req, 2);
  if (!id.ok()) return SetError(res, id.status());
  auto record = c.service.Get(req.matches[1].str(), *id);
  if (!record.ok()) return SetError(res, record.status());
  SetJson(res, RecordJson(*record));
}

void DeleteRecords(Collections& c, const httplib::Request& req, httplib::Response& res) {
  Target t;
  if (!Resolve(c, req, res, true, true, t)) return;
  if (t.body.contains("ids") == t.body.contains("filter")) {
    return SetError(res, 400, "invalid_argument", "give \"ids\" or \"filter\", not both");
  }
  auto deleted = t.body.contains("ids")
                     ? c.service.Delete(t.name, t.body["ids"].get<std::vector<uint64_t>>())
                     : c.service.DeleteWhere(t.name, t.body["filter"].dump());
  if (!deleted.ok()) return SetError(res, deleted.status());
  SetJson(res, ReceiptJson("deleted", *deleted));
}

// The queries of a search request: a stored record's ("id"), a list ("queries", each with
// "vector" or "binary"), or one vector ("vector" or "binary"). Writes an error answer and
// returns false when they are missing or malformed.
bool ParseQueries(Collections& c, const Target& t, httplib::Response& res,
                  std::vector<Query>& queries, std::vector<Record>& storage) {
  if (t.body.contains("id")) {
    auto record = c.service.Get(t.name, t.body["id"].get<uint64_t>());
    if (!record.ok()) {
      SetError(res, record.status());
      return false;
    }
    storage.push_back(std::move(*record));
  } else if (t.body.contains("queries")) {
    const json& given = t.body["queries"];
    if (!given.is_array() || given.empty()) {
      SetError(res, 400, "invalid_argument", "\"queries\" must be a non-empty array");
      return false;
    }
    for (const json& q : given) {
      Record& r = storage.emplace_back();
      if (const Status s = QueryFromJson(q, t.binary(), r.vector, r.binary); !s.ok()) {
        SetError(res, s.WithContext("query " + std::to_string(storage.size() - 1)));
        return false;
      }
    }
  } else {
    Record& r = storage.emplace_back();
    if (const Status s = QueryFromJson(t.body, t.binary(), r.vector, r.binary); !s.ok()) {
      SetError(res, s);
      return false;
    }
  }
  for (const Record& r : storage) queries.push_back({.vector = r.vector, .binary = r.binary});
  return true;
}

json HitsJson(const std::vector<Hit>& hits, bool with_payload) {
  json results = json::array();
  for (const Hit& h : hits) {
    json hit{{"id", h.id}, {"distance", h.distance}};
    if (with_payload) hit["payload"] = PayloadJson(h.payload);
    results.push_back(std::move(hit));
  }
  return results;
}

void SearchCollection(Collections& c, const httplib::Request& req, httplib::Response& res) {
  Target t;
  if (!Resolve(c, req, res, false, true, t)) return;
  const json& body = t.body;
  SearchOptions options{.k = body.value("k", size_t{10}),
                        .ef = body.value("ef", 0u),
                        .exact = body.value("exact", false),
                        .with_payload = body.value("with_payload", true)};
  if (options.k < 1 || options.k > c.max_k) {
    return SetError(res, 400, "invalid_argument", "k must be from 1 to " + std::to_string(c.max_k));
  }
  if (body.contains("filter")) options.filter = body["filter"].dump();
  if (body.contains("max_distance")) options.max_distance = body["max_distance"].get<float>();
  const bool allow_partial = body.value("allow_partial", false);
  std::vector<Query> queries;
  std::vector<Record> storage;
  if (!ParseQueries(c, t, res, queries, storage)) return;
  auto found = c.service.Search(
      t.name,
      {.queries = queries, .options = options, .after = body.value("write_token", std::string())});
  if (!found.ok()) return SetError(res, found.status());
  if (!found->missing_shards.empty() && !allow_partial) {
    std::string why;
    for (const auto& [shard, reason] : found->missing_shards) {
      why +=
          (why.empty() ? "" : "; ") + std::string("shard ") + std::to_string(shard) + ": " + reason;
    }
    return SetError(res, 503, "unavailable",
                    std::to_string(found->missing_shards.size()) + " shards of collection '" +
                        t.name + "' did not answer (" + why +
                        "); \"allow_partial\": true returns the other shards' hits");
  }
  json out;
  if (body.contains("queries")) {
    json& per_query = out["queries"] = json::array();
    for (const std::vector<Hit>& hits : found->hits) {
      per_query.push_back({{"results", HitsJson(hits, options.with_payload)}});
    }
  } else {
    out["results"] = HitsJson(found->hits.at(0), options.with_payload);
  }
  if (!found->missing_shards.empty()) {
    json& missing = out["missing_shards"] = json::array();
    for (const auto& [shard, reason] : found->missing_shards) {
      missing.push_back({{"shard", shard}, {"error", reason}});
    }
  }
  SetJson(res, out);
}

}  // namespace

void AddCollectionRoutes(Router& router, CollectionService& service, uint32_t max_k) {
  // Shared by every handler for the server's lifetime, which the router's routes do not outlive.
  auto collections = std::make_shared<Collections>(Collections{service, max_k});
  const auto with = [&collections](CollectionHandler fn) -> Handler {
    return [collections, fn](const httplib::Request& req, httplib::Response& res) {
      fn(*collections, req, res);
    };
  };
  router.Add("GET", "/v1/collections", Scope::kRead, with(ListCollections));
  router.Add("POST", "/v1/collections", Scope::kWrite, with(CreateCollection));
  router.Add("GET", "/v1/collections/{name}", Scope::kRead, with(DescribeCollection));
  router.Add("DELETE", "/v1/collections/{name}", Scope::kWrite, with(DropCollection));
  router.Add("POST", "/v1/collections/{name}/records", Scope::kWrite, with(Upsert));
  router.Add("GET", "/v1/collections/{name}/records/{id}", Scope::kRead, with(GetRecord));
  router.Add("POST", "/v1/collections/{name}/delete", Scope::kWrite, with(DeleteRecords));
  router.Add("POST", "/v1/collections/{name}/search", Scope::kRead, with(SearchCollection));
}

}  // namespace alike::server
