// The OpenAPI 3 description of every route. It is written by hand, not generated from the
// route table, so that tests/server/openapi_test.cc can hold the two against each other.
#include "server/api.h"

namespace alike::server {

const char* OpenApiDocument() {
  return R"json({
  "openapi": "3.0.3",
  "info": {
    "title": "alike",
    "version": "1",
    "description": "Image search on your own machine. Errors are JSON: {\"error\": {\"code\": \"not_found\", \"message\": \"...\"}} with a stable code. With API keys configured, send Authorization: Bearer KEY (or X-API-Key: KEY); write routes need a write key."
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "uint64"}},
      "name": {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]+$"}},
      "k": {"name": "k", "in": "query", "schema": {"type": "integer", "default": 10, "minimum": 1, "maximum": 1000}},
      "by": {"name": "by", "in": "query", "description": "Embedder space to search (cnn, color, ...); default: the library's first.", "schema": {"type": "string"}},
      "filter": {"name": "filter", "in": "query", "description": "JSON filter on image fields (docs/filters.md).", "schema": {"type": "string"}},
      "min_score": {"name": "min_score", "in": "query", "schema": {"type": "number"}}
    },
    "requestBodies": {
      "picture": {
        "required": true,
        "description": "The picture as the raw body, or as the form field \"image\".",
        "content": {
          "image/*": {"schema": {"type": "string", "format": "binary"}},
          "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
          "multipart/form-data": {"schema": {"type": "object", "properties": {"image": {"type": "string", "format": "binary"}}}}
        }
      }
    },
    "schemas": {
      "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
      "Hits": {"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "score": {"type": "number"}, "distance": {"type": "number"},
        "paths": {"type": "array", "items": {"type": "string"}}, "payload": {"type": "object"}}}}}},
      "Image": {"type": "object", "properties": {
        "id": {"type": "integer"}, "sha256": {"type": "string"}, "bytes": {"type": "integer"},
        "width": {"type": "integer"}, "height": {"type": "integer"}, "format": {"type": "string"},
        "taken": {"type": "string"}, "camera": {"type": "string"},
        "location": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
        "paths": {"type": "array", "items": {"type": "string"}}, "tags": {"type": "array", "items": {"type": "string"}}}},
      "Collection": {"type": "object", "properties": {
        "name": {"type": "string"}, "dimension": {"type": "integer"}, "metric": {"type": "string", "enum": ["l2", "ip", "cosine", "hamming"]},
        "index": {"type": "string", "enum": ["flat", "hnsw", "sq8"]}, "hnsw": {"type": "object"},
        "count": {"type": "integer"}, "deleted": {"type": "integer"}, "memory_bytes": {"type": "integer"},
        "mapped_bytes": {"type": "integer"}, "disk_bytes": {"type": "integer"}, "log_bytes": {"type": "integer"}}},
      "Record": {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "integer"}, "vector": {"type": "array", "items": {"type": "number"}},
        "binary": {"type": "string", "description": "hex bytes, for hamming collections"}, "payload": {"type": "object"}}}
    },
    "responses": {
      "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Hits": {"description": "Results, best first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Hits"}}}},
      "Image": {"description": "What the catalog knows of an image", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Image"}}}},
      "Collection": {"description": "A collection", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Collection"}}}},
      "Json": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    }
  },
  "security": [{"bearer": []}, {}],
  "paths": {
    "/healthz": {"get": {"summary": "Liveness", "security": [], "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics: requests by route and status, latency histogram, collection sizes", "responses": {"200": {"description": "text/plain; version=0.0.4"}}}},
    "/v1/library": {"get": {"summary": "Library statistics: images, files, bytes, spaces", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/search": {"post": {"summary": "Images similar to an uploaded picture", "parameters": [
        {"$ref": "#/components/parameters/k"}, {"$ref": "#/components/parameters/by"},
        {"$ref": "#/components/parameters/filter"}, {"$ref": "#/components/parameters/min_score"}],
      "requestBody": {"$ref": "#/components/requestBodies/picture"},
      "responses": {"200": {"$ref": "#/components/responses/Hits"}, "413": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images": {"post": {"summary": "Add an uploaded picture to the library (stored under the uploads folder)",
      "requestBody": {"$ref": "#/components/requestBodies/picture"},
      "responses": {"201": {"description": "indexed", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string", "enum": ["indexed", "duplicate", "unchanged"]}, "image": {"$ref": "#/components/schemas/Image"}}}}}},
                    "200": {"description": "already in the library (status duplicate or unchanged)"},
                    "422": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
    "/v1/index": {"post": {"summary": "Index server-side files and folders under the configured roots",
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["paths"], "properties": {
        "paths": {"type": "array", "items": {"type": "string"}}, "embedders": {"type": "array", "items": {"type": "string"}}, "prune": {"type": "boolean"}}}}}},
      "responses": {"200": {"description": "counts, and whether the run was cut short (cancelled) by shutdown or the time limit", "content": {"application/json": {"schema": {"type": "object"}}}},
                    "403": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {"summary": "An image's facts", "responses": {"200": {"$ref": "#/components/responses/Image"}, "404": {"$ref": "#/components/responses/Error"}}},
      "delete": {"summary": "Forget an image (its uploaded copy is deleted; other files stay on disk)", "responses": {"200": {"$ref": "#/components/responses/Json"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images/{id}/similar": {"get": {"summary": "Images similar to an indexed image (itself excluded)", "parameters": [
        {"$ref": "#/components/parameters/id"}, {"$ref": "#/components/parameters/k"}, {"$ref": "#/components/parameters/by"},
        {"$ref": "#/components/parameters/filter"}, {"$ref": "#/components/parameters/min_score"}],
      "responses": {"200": {"$ref": "#/components/responses/Hits"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images/{id}/thumbnail": {"get": {"summary": "The image's thumbnail (JPEG, 256 px)", "parameters": [{"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "JPEG", "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images/{id}/tags": {"post": {"summary": "Add and remove tags", "parameters": [{"$ref": "#/components/parameters/id"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
        "add": {"type": "array", "items": {"type": "string"}}, "remove": {"type": "array", "items": {"type": "string"}}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/collections": {
      "get": {"summary": "Every collection (image spaces included)", "responses": {"200": {"$ref": "#/components/responses/Json"}}},
      "post": {"summary": "Create a collection", "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "dimension"], "properties": {
          "name": {"type": "string"}, "dimension": {"type": "integer"}, "metric": {"type": "string", "default": "cosine"},
          "index": {"type": "string", "default": "hnsw"}, "m": {"type": "integer"}, "ef_construction": {"type": "integer"}, "ef_search": {"type": "integer"}}}}}},
        "responses": {"201": {"$ref": "#/components/responses/Collection"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/collections/{name}": {
      "parameters": [{"$ref": "#/components/parameters/name"}],
      "get": {"summary": "A collection's options and sizes", "responses": {"200": {"$ref": "#/components/responses/Collection"}, "404": {"$ref": "#/components/responses/Error"}}},
      "delete": {"summary": "Drop a collection (image.* spaces are refused)", "responses": {"200": {"$ref": "#/components/responses/Json"}, "403": {"$ref": "#/components/responses/Error"}}}},
    "/v1/collections/{name}/records": {"post": {"summary": "Insert or replace records, atomically", "parameters": [{"$ref": "#/components/parameters/name"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"records": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Json"}, "400": {"$ref": "#/components/responses/Error"}}}},
    "/v1/collections/{name}/records/{id}": {"get": {"summary": "One record", "parameters": [{"$ref": "#/components/parameters/name"}, {"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "the record", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Record"}}}}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/v1/collections/{name}/delete": {"post": {"summary": "Delete records by id or by filter", "parameters": [{"$ref": "#/components/parameters/name"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
        "ids": {"type": "array", "items": {"type": "integer"}}, "filter": {"type": "object"}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/collections/{name}/search": {"post": {"summary": "Nearest neighbours of a vector, or of a stored record (id)", "parameters": [{"$ref": "#/components/parameters/name"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
        "vector": {"type": "array", "items": {"type": "number"}}, "binary": {"type": "string"}, "id": {"type": "integer"},
        "k": {"type": "integer", "default": 10}, "filter": {"type": "object"}, "max_distance": {"type": "number"},
        "ef": {"type": "integer"}, "exact": {"type": "boolean"}, "with_payload": {"type": "boolean", "default": true}}}}}},
      "responses": {"200": {"description": "hits, closest first: id, distance, payload", "content": {"application/json": {"schema": {"type": "object"}}}}}}}
  }
})json";
}

}  // namespace alike::server
