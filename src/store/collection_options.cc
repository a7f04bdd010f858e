#include "store/collection_options.h"

namespace alike::store {

nlohmann::json CollectionOptionsToJson(const CollectionOptions& o) {
  return {{"dimension", o.dimension},
          {"metric", MetricName(o.metric)},
          {"index", IndexKindName(o.index)},
          {"hnsw",
           {{"m", o.hnsw.m},
            {"ef_construction", o.hnsw.ef_construction},
            {"ef_search", o.hnsw.ef_search}}}};
}

namespace {

Status ReadUint(const nlohmann::json& obj, const char* key, uint32_t* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::OK();  // keep the default
  if (!it->is_number_unsigned() || it->get<uint64_t>() > UINT32_MAX) {
    return Status::InvalidArgument(std::string("'") + key + "' must be a non-negative integer");
  }
  *out = it->get<uint32_t>();
  return Status::OK();
}

Status CheckKeys(const nlohmann::json& obj, std::initializer_list<const char*> known) {
  for (const auto& [key, value] : obj.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) return Status::InvalidArgument("unknown option '" + key + "'");
  }
  return Status::OK();
}

}  // namespace

Result<CollectionOptions> CollectionOptionsFromJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::Corruption("collection options are not a JSON object");
  ALIKE_RETURN_IF_ERROR(CheckKeys(j, {"dimension", "metric", "index", "hnsw"}));
  CollectionOptions o;
  ALIKE_RETURN_IF_ERROR(ReadUint(j, "dimension", &o.dimension));
  if (auto it = j.find("metric"); it != j.end()) {
    if (!it->is_string()) return Status::InvalidArgument("'metric' must be a string");
    auto m = ParseMetric(it->get<std::string>());
    if (!m.ok()) return m.status();
    o.metric = *m;
  }
  if (auto it = j.find("index"); it != j.end()) {
    if (!it->is_string()) return Status::InvalidArgument("'index' must be a string");
    auto k = ParseIndexKind(it->get<std::string>());
    if (!k.ok()) return k.status();
    o.index = *k;
  }
  if (auto it = j.find("hnsw"); it != j.end()) {
    if (!it->is_object()) return Status::InvalidArgument("'hnsw' must be an object");
    ALIKE_RETURN_IF_ERROR(CheckKeys(*it, {"m", "ef_construction", "ef_search"}));
    ALIKE_RETURN_IF_ERROR(ReadUint(*it, "m", &o.hnsw.m));
    ALIKE_RETURN_IF_ERROR(ReadUint(*it, "ef_construction", &o.hnsw.ef_construction));
    ALIKE_RETURN_IF_ERROR(ReadUint(*it, "ef_search", &o.hnsw.ef_search));
  }
  return o;
}

}  // namespace alike::store
