#include "server/collection_json.h"

#include <cmath>

#include "util/text.h"

namespace alike::server {

using nlohmann::json;

json PayloadJson(const std::string& text) {
  auto payload = json::parse(text, nullptr, false);
  return payload.is_discarded() ? json::object() : payload;
}

json RecordJson(const Record& r) {
  json j{{"id", r.id}};
  if (!r.binary.empty()) {
    j["binary"] = HexString(r.binary);
  } else {
    j["vector"] = r.vector;
  }
  j["payload"] = PayloadJson(r.payload);
  return j;
}

json CollectionInfoJson(const CollectionInfo& info) {
  return {{"name", info.name},
          {"dimension", info.options.dimension},
          {"metric", MetricName(info.options.metric)},
          {"index", IndexKindName(info.options.index)},
          {"hnsw",
           {{"m", info.options.hnsw.m},
            {"ef_construction", info.options.hnsw.ef_construction},
            {"ef_search", info.options.hnsw.ef_search}}},
          {"count", info.count},
          {"deleted", info.deleted},
          {"memory_bytes", info.memory_bytes},
          {"mapped_bytes", info.mapped_bytes},
          {"disk_bytes", info.disk_bytes},
          {"log_bytes", info.log_bytes}};
}

Status QueryFromJson(const json& j, bool binary, std::vector<float>& floats,
                     std::vector<uint8_t>& bits) {
  if (binary) {
    const auto hex = j.find("binary");
    if (hex == j.end() || !hex->is_string()) {
      return Status::InvalidArgument(
          "\"binary\" (a hex string) is required: the collection is "
          "binary");
    }
    auto bytes = ParseHex(hex->get<std::string>(), "\"binary\"");
    if (!bytes.ok()) return bytes.status();
    bits = std::move(*bytes);
    return Status::OK();
  }
  const auto vector = j.find("vector");
  if (vector == j.end() || !vector->is_array()) {
    return Status::InvalidArgument("\"vector\" (an array of numbers) is required");
  }
  floats.clear();
  for (const json& c : *vector) {
    if (!c.is_number() || !std::isfinite(c.get<double>())) {
      return Status::InvalidArgument("\"vector\" component " + std::to_string(floats.size()) +
                                     " is not a finite number");
    }
    floats.push_back(c.get<float>());
  }
  return Status::OK();
}

Result<Record> RecordFromJson(const json& j, bool binary) {
  if (!j.is_object()) return Status::InvalidArgument("a record must be a JSON object");
  const auto id = j.find("id");
  if (id == j.end() || !id->is_number_unsigned()) {
    return Status::InvalidArgument("\"id\" (a non-negative integer) is required");
  }
  Record record{.id = id->get<uint64_t>()};
  ALIKE_RETURN_IF_ERROR(QueryFromJson(j, binary, record.vector, record.binary)
                            .WithContext("record " + std::to_string(record.id)));
  const auto payload = j.find("payload");
  if (payload != j.end() && !payload->is_null()) {
    if (!payload->is_object()) {
      return Status::InvalidArgument("record " + std::to_string(record.id) +
                                     ": \"payload\" must be a JSON object");
    }
    record.payload = payload->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return record;
}

}  // namespace alike::server
