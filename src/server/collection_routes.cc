// Generic vector collections beside the image spaces: create, list, describe, drop, upsert,
// get, delete and search. The image spaces ("image.<embedder>") belong to the library: they
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

// The collection named by the route, or an error answer (and null).
std::shared_ptr<Collection> Named(Api& api, const httplib::Request& req, httplib::Response& res,
                                  bool for_writing) {
  const std::string name = req.matches[1].str();
  if (for_writing && Reserved(name)) {
    SetError(res, 403, "forbidden",
             "collection " + name + " belongs to the image library; change it with /v1/images");
    return nullptr;
  }
  auto collection = api.library.database().GetCollection(name);
  if (!collection.ok()) {
    SetError(res, collection.status());
    return nullptr;
  }
  return *collection;
}

// The named collection and the JSON body, or an error answer (and false).
bool NamedWithBody(Api& api, const httplib::Request& req, httplib::Response& res, bool for_writing,
                   std::shared_ptr<Collection>& collection, json& body) {
  collection = Named(api, req, res, for_writing);
  if (!collection) return false;
  auto parsed = JsonBody(req);
  if (!parsed.ok()) {
    SetError(res, parsed.status());
    return false;
  }
  body = std::move(*parsed);
  return true;
}

bool IsBinary(const Collection& c) { return c.options().metric == Metric::kHamming; }

void ListCollections(Api& api, const httplib::Request&, httplib::Response& res) {
  json list = json::array();
  for (const std::string& name : api.library.database().ListCollections()) {
    if (auto c = api.library.database().GetCollection(name); c.ok()) {
      list.push_back(CollectionInfoJson((*c)->Info()));
    }
  }
  SetJson(res, {{"collections", std::move(list)}});
}

void CreateCollection(Api& api, const httplib::Request& req, httplib::Response& res) {
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
  auto created = api.library.database().CreateCollection(name, options);
  if (!created.ok()) return SetError(res, created.status());
  SetJson(res, CollectionInfoJson((*created)->Info()), 201);
}

void DescribeCollection(Api& api, const httplib::Request& req, httplib::Response& res) {
  if (auto c = Named(api, req, res, false)) SetJson(res, CollectionInfoJson(c->Info()));
}

void DropCollection(Api& api, const httplib::Request& req, httplib::Response& res) {
  if (!Named(api, req, res, true)) return;
  const std::string name = req.matches[1].str();
  const Status dropped = api.library.database().DropCollection(name);
  if (!dropped.ok()) return SetError(res, dropped);
  SetJson(res, {{"dropped", name}});
}

void Upsert(Api& api, const httplib::Request& req, httplib::Response& res) {
  std::shared_ptr<Collection> c;
  json body;
  if (!NamedWithBody(api, req, res, true, c, body)) return;
  const json& given = body["records"];
  if (!given.is_array()) return SetError(res, 400, "invalid_argument", "\"records\" is required");
  std::vector<Record> records;
  for (const json& r : given) {
    auto record = RecordFromJson(r, IsBinary(*c));
    if (!record.ok()) return SetError(res, record.status());
    records.push_back(std::move(*record));
  }
  const Status written = c->Upsert(records);
  if (!written.ok()) return SetError(res, written);
  SetJson(res, {{"upserted", records.size()}});
}

void GetRecord(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto c = Named(api, req, res, false);
  if (!c) return;
  auto id = PathId(req, 2);
  if (!id.ok()) return SetError(res, id.status());
  auto record = c->Get(*id);
  if (!record.ok()) return SetError(res, record.status());
  SetJson(res, RecordJson(*record));
}

void DeleteRecords(Api& api, const httplib::Request& req, httplib::Response& res) {
  std::shared_ptr<Collection> c;
  json body;
  if (!NamedWithBody(api, req, res, true, c, body)) return;
  if (body.contains("ids") == body.contains("filter")) {
    return SetError(res, 400, "invalid_argument", "give \"ids\" or \"filter\", not both");
  }
  auto deleted = body.contains("ids") ? c->Delete(body["ids"].get<std::vector<uint64_t>>())
                                      : c->DeleteWhere(body["filter"].dump());
  if (!deleted.ok()) return SetError(res, deleted.status());
  SetJson(res, {{"deleted", *deleted}});
}

void SearchCollection(Api& api, const httplib::Request& req, httplib::Response& res) {
  std::shared_ptr<Collection> c;
  json body;
  if (!NamedWithBody(api, req, res, false, c, body)) return;
  SearchOptions options{.k = body.value("k", size_t{10}),
                        .ef = body.value("ef", 0u),
                        .exact = body.value("exact", false),
                        .with_payload = body.value("with_payload", true)};
  if (options.k < 1 || options.k > api.options.max_k) {
    return SetError(res, 400, "invalid_argument",
                    "k must be from 1 to " + std::to_string(api.options.max_k));
  }
  if (body.contains("filter")) options.filter = body["filter"].dump();
  if (body.contains("max_distance")) options.max_distance = body["max_distance"].get<float>();
  // From a stored record, or from the vector given.
  Record stored;
  std::vector<float> floats;
  std::vector<uint8_t> bits;
  if (body.contains("id")) {
    auto record = c->Get(body["id"].get<uint64_t>());
    if (!record.ok()) return SetError(res, record.status());
    stored = std::move(*record);
    floats = stored.vector;
    bits = stored.binary;
  } else if (const Status s = QueryFromJson(body, IsBinary(*c), floats, bits); !s.ok()) {
    return SetError(res, s);
  }
  auto hits = c->Search({.vector = floats, .binary = bits}, options);
  if (!hits.ok()) return SetError(res, hits.status());
  json results = json::array();
  for (const Hit& h : *hits) {
    json hit{{"id", h.id}, {"distance", h.distance}};
    if (options.with_payload) hit["payload"] = PayloadJson(h.payload);
    results.push_back(std::move(hit));
  }
  SetJson(res, {{"results", std::move(results)}});
}

}  // namespace

void AddCollectionRoutes(Router& router, Api& api) {
  router.Add("GET", "/v1/collections", Scope::kRead, With(api, ListCollections));
  router.Add("POST", "/v1/collections", Scope::kWrite, With(api, CreateCollection));
  router.Add("GET", "/v1/collections/{name}", Scope::kRead, With(api, DescribeCollection));
  router.Add("DELETE", "/v1/collections/{name}", Scope::kWrite, With(api, DropCollection));
  router.Add("POST", "/v1/collections/{name}/records", Scope::kWrite, With(api, Upsert));
  router.Add("GET", "/v1/collections/{name}/records/{id}", Scope::kRead, With(api, GetRecord));
  router.Add("POST", "/v1/collections/{name}/delete", Scope::kWrite, With(api, DeleteRecords));
  router.Add("POST", "/v1/collections/{name}/search", Scope::kRead, With(api, SearchCollection));
}

}  // namespace alike::server
