// Vector records and collections as JSON, the one form shared by the HTTP API and
// `alike vectors`:
//   {"id": 7, "vector": [0.1, 0.2], "payload": {...}}      float collections
//   {"id": 7, "binary": "9f00a1", "payload": {...}}         hamming collections (hex bytes)
//
// Thread-safety: stateless functions.
#ifndef ALIKE_SERVER_COLLECTION_JSON_H_
#define ALIKE_SERVER_COLLECTION_JSON_H_

#include <nlohmann/json.hpp>
#include <string>

#include "alike/status.h"
#include "alike/vector_db.h"

namespace alike::server {

nlohmann::json RecordJson(const Record& record);
nlohmann::json CollectionInfoJson(const CollectionInfo& info);
// A stored payload (a JSON object as text, or empty) as JSON.
nlohmann::json PayloadJson(const std::string& text);

// A record from its JSON form; `binary` says which vector field the collection takes.
Result<Record> RecordFromJson(const nlohmann::json& j, bool binary);

// A query vector from "vector" (floats) or "binary" (hex), into the caller's storage.
Status QueryFromJson(const nlohmann::json& j, bool binary, std::vector<float>& floats,
                     std::vector<uint8_t>& bits);

}  // namespace alike::server

#endif  // ALIKE_SERVER_COLLECTION_JSON_H_
