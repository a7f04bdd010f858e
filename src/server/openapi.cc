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
    "description": "Image search on your own machine. Errors are JSON: {\"error\": {\"code\": \"not_found\", \"message\": \"...\"}} with a stable code. With API keys configured, send Authorization: Bearer KEY (or X-API-Key: KEY); write routes need a write key. A cluster router (alike serve --cluster) answers /v1/collections over the cluster's collections with the same JSON (differences are noted per route), /v1/cluster, /healthz, /metrics and this document; with an image library on the cluster (alike serve --cluster URL --library NAME) also POST /v1/search, GET /v1/images/{id}/similar, GET /v1/images/{id} (facts from the payloads: one path, no tags but the indexed ones), GET /v1/images/{id}/thumbnail (made from the file where the router can read it), POST /v1/search/faces (no persons) and POST /v1/search/copies (verified where the candidate's file is reachable from the router), each answering 503 unavailable (the message naming the shards or servers) when a part of the cluster does not answer; every other route answers 501 not_implemented there."
  },
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "uint64"}},
      "name": {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]+$"}},
      "k": {"name": "k", "in": "query", "schema": {"type": "integer", "default": 10, "minimum": 1, "maximum": 1000}},
      "by": {"name": "by", "in": "query", "description": "Embedder space to search (cnn, color, ...); default: the library's first.", "schema": {"type": "string"}},
      "filter": {"name": "filter", "in": "query", "description": "JSON filter on image fields (docs/filters.md).", "schema": {"type": "string"}},
      "min_score": {"name": "min_score", "in": "query", "schema": {"type": "number"}},
      "min_confidence": {"name": "min_confidence", "in": "query", "description": "Copies less certain than this are left out.", "schema": {"type": "number", "default": 0.5, "minimum": 0, "maximum": 1}},
      "threshold": {"name": "threshold", "in": "query", "description": "Largest squared L2 distance between two faces of the same person; 0 (the default) chooses it for the library's size from strangers.", "schema": {"type": "number", "default": 0, "minimum": 0, "maximum": 4}},
      "strangers": {"name": "strangers", "in": "query", "description": "Faces of other people let through per query face, whatever the library's size (sets the automatic threshold).", "schema": {"type": "number", "default": 0.3, "exclusiveMinimum": 0}},
      "margin": {"name": "margin", "in": "query", "description": "Hits farther than the best hit's distance plus this are dropped; 0: off.", "schema": {"type": "number", "default": 0.06, "minimum": 0, "maximum": 4}},
      "expansion_strangers": {"name": "expansion_strangers", "in": "query", "description": "The query face averaged with its confident hits is searched again, letting through about this many strangers per query face; 0: off.", "schema": {"type": "number", "default": 0.003, "minimum": 0}},
      "by_person": {"name": "by_person", "in": "query", "description": "1: a person with several faces near the query ranks before a lone look-alike; 0: by distance alone.", "schema": {"type": "integer", "default": 0, "minimum": 0, "maximum": 1}}
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
      "IndexJob": {"type": "object", "properties": {
        "id": {"type": "integer"}, "state": {"type": "string", "enum": ["queued", "running", "done", "failed", "cancelled"]},
        "paths": {"type": "array", "items": {"type": "string"}, "description": "as given"},
        "total": {"type": "integer", "nullable": true, "description": "files that need work; null until the walk is over, which is before the first file is done"},
        "done": {"type": "integer", "description": "of total, finished and committed (indexed, duplicates and failed files)"},
        "indexed": {"type": "integer"}, "duplicates": {"type": "integer"}, "unchanged": {"type": "integer", "description": "skipped: same size and mtime"},
        "failed": {"type": "integer"}, "removed": {"type": "integer", "description": "forgotten because gone (prune)"},
        "failures": {"type": "array", "description": "the first 100 failures", "items": {"type": "object", "properties": {"path": {"type": "string"}, "reason": {"type": "string"}}}},
        "rate": {"type": "number", "description": "files done per second since the job started"},
        "eta_seconds": {"type": "number", "nullable": true, "description": "seconds left at that rate, while running"},
        "seconds": {"type": "number", "description": "running time"},
        "stopped_by": {"type": "string", "nullable": true, "enum": ["client", "shutdown", "time_limit"], "description": "who cancelled it (set as soon as asked)"},
        "error": {"type": "object", "nullable": true, "description": "why a failed job failed", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
        "created": {"type": "string", "format": "date-time"}, "started": {"type": "string", "format": "date-time", "nullable": true},
        "finished": {"type": "string", "format": "date-time", "nullable": true}}},
      "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
      "Hits": {"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "score": {"type": "number"}, "distance": {"type": "number"},
        "paths": {"type": "array", "items": {"type": "string"}}, "payload": {"type": "object"}}}}}},
      "Copies": {"type": "object", "properties": {"results": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "confidence": {"type": "number"}, "path": {"type": "string"}, "paths": {"type": "array", "items": {"type": "string"}},
        "pdq_bits": {"type": "integer", "nullable": true, "description": "fewest differing PDQ bits over the query's rotations and mirror images; null: not a PDQ match"},
        "verified": {"type": "boolean", "description": "the candidate's picture was read and checked with local features; false: it could not be (its file gone, or on a cluster router not reachable from the router, or changed since it was indexed), and the hit stands on its PDQ hash alone"},
        "inliers": {"type": "integer", "description": "local-feature matches one homography explains; 0: not verified"},
        "coverage": {"type": "number", "description": "of the query's keypoints inside the matched region, the share the homography explains (copies about 0.15-0.95, other photos of one subject under 0.06); 0: not verified"},
        "mirrored": {"type": "boolean", "description": "the hit holds the query's mirror image"},
        "corners": {"type": "array", "nullable": true, "description": "where the query lies in the hit: its four corners, clockwise from top-left, as [x, y] in the hit's pixels; null unless verified", "items": {"type": "array", "items": {"type": "number"}}},
        "width": {"type": "integer"}, "height": {"type": "integer"}}}}}},
      "Face": {"type": "object", "properties": {
        "box": {"type": "array", "items": {"type": "integer"}, "description": "[x, y, width, height] in the picture's upright pixels"},
        "score": {"type": "number", "description": "detection confidence"}, "landmarks": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}}},
      "Faces": {"type": "object", "properties": {
        "id": {"type": "integer", "description": "the query image (search by id only)"},
        "width": {"type": "integer"}, "height": {"type": "integer"},
        "faces": {"type": "array", "description": "each face found in the query, with the images that show the same person, closest first",
          "items": {"allOf": [{"$ref": "#/components/schemas/Face"}, {"type": "object", "properties": {"hits": {"type": "array", "items": {"allOf": [
            {"$ref": "#/components/schemas/Face"},
            {"type": "object", "properties": {"id": {"type": "integer"}, "face": {"type": "integer"}, "distance": {"type": "number"},
              "path": {"type": "string"}, "paths": {"type": "array", "items": {"type": "string"}}, "person": {"type": "integer"}, "name": {"type": "string"}}}]}}}}]}}}},
      "Image": {"type": "object", "properties": {
        "id": {"type": "integer"}, "sha256": {"type": "string"}, "bytes": {"type": "integer"},
        "width": {"type": "integer"}, "height": {"type": "integer"}, "format": {"type": "string"},
        "taken": {"type": "string"}, "camera": {"type": "string"},
        "location": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
        "paths": {"type": "array", "items": {"type": "string"}}, "tags": {"type": "array", "items": {"type": "string"}}}},
      "Collection": {"type": "object", "properties": {
        "name": {"type": "string"}, "dimension": {"type": "integer"}, "metric": {"type": "string", "enum": ["l2", "ip", "cosine", "hamming"]},
        "index": {"type": "string", "enum": ["flat", "hnsw", "sq8", "mih"]}, "hnsw": {"type": "object"},
        "count": {"type": "integer"}, "deleted": {"type": "integer"}, "memory_bytes": {"type": "integer"},
        "mapped_bytes": {"type": "integer"}, "disk_bytes": {"type": "integer"}, "log_bytes": {"type": "integer"}}},
      "Record": {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "integer"}, "vector": {"type": "array", "items": {"type": "number"}},
        "binary": {"type": "string", "description": "hex bytes, for hamming collections"}, "payload": {"type": "object"}}}
    },
    "responses": {
      "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Hits": {"description": "Results, best first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Hits"}}}},
      "Copies": {"description": "Copies, most confident first", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Copies"}}}},
      "Faces": {"description": "The query's faces and who they are", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Faces"}}}},
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
    "/v1/library": {"get": {"summary": "Library statistics: images, files, bytes (copy_feature_bytes: the copy features cached for copy search), whether faces are indexed (faces), how many persons, and the spaces, each with its embedder, model in short (model, fingerprint), whole version and installed_version, current, dimension, vectors and disk_bytes", "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/search": {"post": {"summary": "Images similar to an uploaded picture", "parameters": [
        {"$ref": "#/components/parameters/k"}, {"$ref": "#/components/parameters/by"},
        {"$ref": "#/components/parameters/filter"}, {"$ref": "#/components/parameters/min_score"}],
      "requestBody": {"$ref": "#/components/requestBodies/picture"},
      "responses": {"200": {"$ref": "#/components/responses/Hits"}, "413": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}},
    "/v1/search/copies": {"post": {"summary": "Copies of an uploaded picture (resized, cropped, recompressed, recoloured, mirrored, rotated) among the indexed images; needs the pdq or cnn space", "parameters": [
        {"$ref": "#/components/parameters/k"}, {"$ref": "#/components/parameters/min_confidence"}],
      "requestBody": {"$ref": "#/components/requestBodies/picture"},
      "responses": {"200": {"$ref": "#/components/responses/Copies"}, "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}},
    "/v1/search/faces": {"post": {"summary": "For each face in an uploaded picture, the images showing the same person; needs face indexing (alike index --faces)", "parameters": [
        {"$ref": "#/components/parameters/k"}, {"$ref": "#/components/parameters/threshold"}, {"$ref": "#/components/parameters/strangers"}, {"$ref": "#/components/parameters/margin"}, {"$ref": "#/components/parameters/expansion_strangers"}, {"$ref": "#/components/parameters/by_person"}],
      "requestBody": {"$ref": "#/components/requestBodies/picture"},
      "responses": {"200": {"$ref": "#/components/responses/Faces"}, "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"}, "422": {"$ref": "#/components/responses/Error"}}}},
    "/v1/duplicates": {"get": {"summary": "Groups of indexed images that are copies of one another by their PDQ hashes, largest first, the one to keep first; needs the pdq space", "parameters": [
        {"name": "max_bits", "in": "query", "description": "PDQ bits (of 256) two copies may differ by", "schema": {"type": "integer", "default": 31, "minimum": 0, "maximum": 128}}],
      "responses": {"200": {"description": "the groups", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "max_bits": {"type": "integer"},
          "groups": {"type": "array", "items": {"type": "object", "properties": {"keeper": {"type": "integer"}, "max_bits": {"type": "integer"},
            "images": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "path": {"type": "string"}, "paths": {"type": "array", "items": {"type": "string"}},
              "width": {"type": "integer"}, "height": {"type": "integer"}, "bytes": {"type": "integer"}}}}}}}}}}}},
                    "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/faces": {"delete": {"summary": "Erase faces from the library's files for good: one person's (?person=NAME, a name or person number) or all (?all=true, which also turns face indexing off)", "parameters": [
        {"name": "person", "in": "query", "schema": {"type": "string"}}, {"name": "all", "in": "query", "schema": {"type": "boolean"}}],
      "responses": {"200": {"description": "what was erased", "content": {"application/json": {"schema": {"type": "object", "properties": {
          "faces": {"type": "integer"}, "persons": {"type": "integer"}, "faces_enabled": {"type": "boolean"}}}}}},
                    "400": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images": {"post": {"summary": "Add an uploaded picture to the library (stored under the uploads folder)",
      "requestBody": {"$ref": "#/components/requestBodies/picture"},
      "responses": {"201": {"description": "indexed", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string", "enum": ["indexed", "duplicate", "unchanged"]}, "image": {"$ref": "#/components/schemas/Image"}}}}}},
                    "200": {"description": "already in the library (status duplicate or unchanged)"},
                    "422": {"$ref": "#/components/responses/Error"}, "503": {"$ref": "#/components/responses/Error"}}}},
    "/v1/index": {"post": {"summary": "Index server-side files and folders under the configured roots, as a job that runs in the background (one job at a time, in the order they came); follow it at the Location given",
      "parameters": [{"name": "wait", "in": "query", "description": "true: answer once the job has ended (200), with its counts, as the route did before jobs", "schema": {"type": "boolean", "default": false}}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["paths"], "properties": {
        "paths": {"type": "array", "items": {"type": "string"}}, "embedders": {"type": "array", "items": {"type": "string"}}, "prune": {"type": "boolean"}}}}}},
      "responses": {"202": {"description": "queued; the Location header names the job", "headers": {"Location": {"schema": {"type": "string"}, "description": "/v1/index/jobs/{id}"}},
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IndexJob"}}}},
                    "200": {"description": "?wait=true: the ended job, plus cancelled (whether it was cut short by a client, shutdown or the time limit)", "content": {"application/json": {"schema": {"allOf": [
                      {"$ref": "#/components/schemas/IndexJob"}, {"type": "object", "properties": {"cancelled": {"type": "boolean"}}}]}}}},
                    "403": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/index/jobs": {"get": {"summary": "Index jobs still known (the last 50 ended ones, and every queued or running one), newest first",
      "responses": {"200": {"description": "the jobs", "content": {"application/json": {"schema": {"type": "object", "properties": {
        "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/IndexJob"}}}}}}}}}},
    "/v1/index/jobs/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {"summary": "One index job, as it stands", "responses": {"200": {"description": "the job", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IndexJob"}}}},
                                                                      "404": {"$ref": "#/components/responses/Error"}}},
      "delete": {"summary": "Cancel an index job: a queued one at once (200), a running one at its next file, keeping what it finished (202 until then)",
        "responses": {"200": {"description": "cancelled", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IndexJob"}}}},
                      "202": {"description": "stopping (stopped_by is set; state turns cancelled)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IndexJob"}}}},
                      "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {"summary": "An image's facts", "responses": {"200": {"$ref": "#/components/responses/Image"}, "404": {"$ref": "#/components/responses/Error"}}},
      "delete": {"summary": "Forget an image (its uploaded copy is deleted; other files stay on disk)", "responses": {"200": {"$ref": "#/components/responses/Json"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images/{id}/similar": {"get": {"summary": "Images similar to an indexed image (itself excluded)", "parameters": [
        {"$ref": "#/components/parameters/id"}, {"$ref": "#/components/parameters/k"}, {"$ref": "#/components/parameters/by"},
        {"$ref": "#/components/parameters/filter"}, {"$ref": "#/components/parameters/min_score"}],
      "responses": {"200": {"$ref": "#/components/responses/Hits"}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images/{id}/copies": {"get": {"summary": "Copies of an indexed image (read from its file; itself excluded)", "parameters": [
        {"$ref": "#/components/parameters/id"}, {"$ref": "#/components/parameters/k"}, {"$ref": "#/components/parameters/min_confidence"}],
      "responses": {"200": {"$ref": "#/components/responses/Copies"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/images/{id}/faces": {"get": {"summary": "For each face in an indexed image, the other images showing the same person", "parameters": [
        {"$ref": "#/components/parameters/id"}, {"$ref": "#/components/parameters/k"}, {"$ref": "#/components/parameters/threshold"}, {"$ref": "#/components/parameters/strangers"}, {"$ref": "#/components/parameters/margin"}, {"$ref": "#/components/parameters/expansion_strangers"}, {"$ref": "#/components/parameters/by_person"}],
      "responses": {"200": {"$ref": "#/components/responses/Faces"}, "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}}}},
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
          "index": {"type": "string", "default": "hnsw"}, "m": {"type": "integer"}, "ef_construction": {"type": "integer"}, "ef_search": {"type": "integer"},
          "shard_count": {"type": "integer", "default": 64, "description": "Cluster router only, as replicas and heartbeat_ttl_ms (m, ef_construction and ef_search are refused there)"}, "replicas": {"type": "integer", "default": 3}, "heartbeat_ttl_ms": {"type": "integer", "default": 5000}}}}}},
        "responses": {"201": {"$ref": "#/components/responses/Collection"}, "409": {"$ref": "#/components/responses/Error"}}}},
    "/v1/collections/{name}": {
      "parameters": [{"$ref": "#/components/parameters/name"}],
      "get": {"summary": "A collection's options and sizes (on a cluster router: sizes null, the settings under cluster)", "responses": {"200": {"$ref": "#/components/responses/Collection"}, "404": {"$ref": "#/components/responses/Error"}}},
      "delete": {"summary": "Drop a collection (image.* spaces are refused; on a cluster router: its streams, buckets and settings, and the nodes stop serving it)", "responses": {"200": {"$ref": "#/components/responses/Json"}, "403": {"$ref": "#/components/responses/Error"}}}},
    "/v1/collections/{name}/records": {"post": {"summary": "Insert or replace records, atomically (on a cluster router: atomic per shard message, and the answer adds write_token)", "parameters": [{"$ref": "#/components/parameters/name"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"records": {"type": "array", "items": {"$ref": "#/components/schemas/Record"}}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Json"}, "400": {"$ref": "#/components/responses/Error"}}}},
    "/v1/collections/{name}/records/{id}": {"get": {"summary": "One record (on a cluster router: from a replica of its shard)", "parameters": [{"$ref": "#/components/parameters/name"}, {"$ref": "#/components/parameters/id"}],
      "responses": {"200": {"description": "the record", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Record"}}}}, "404": {"$ref": "#/components/responses/Error"}}}},
    "/v1/collections/{name}/delete": {"post": {"summary": "Delete records by id or by filter (on a cluster router: a delete by ids answers how many ids were given, one by filter null, both with write_token)", "parameters": [{"$ref": "#/components/parameters/name"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
        "ids": {"type": "array", "items": {"type": "integer"}}, "filter": {"type": "object"}}}}}},
      "responses": {"200": {"$ref": "#/components/responses/Json"}}}},
    "/v1/collections/{name}/search": {"post": {"summary": "Nearest neighbours of a vector, of a list of vectors (queries), or of a stored record (id)", "parameters": [{"$ref": "#/components/parameters/name"}],
      "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
        "vector": {"type": "array", "items": {"type": "number"}}, "binary": {"type": "string"}, "id": {"type": "integer"},
        "queries": {"type": "array", "description": "A batch: each item {\"vector\"} or {\"binary\"}; the answer is {\"queries\": [{\"results\": [...]}, ...]} in the same order.", "items": {"type": "object"}},
        "k": {"type": "integer", "default": 10}, "filter": {"type": "object"}, "max_distance": {"type": "number"},
        "ef": {"type": "integer"}, "exact": {"type": "boolean"}, "with_payload": {"type": "boolean", "default": true},
        "write_token": {"type": "string", "description": "Cluster router: a write's write_token; the search sees that write, or answers 503 when a shard did not apply it in time. Ignored on one machine, where an acknowledged write is always visible."},
        "allow_partial": {"type": "boolean", "default": false, "description": "Cluster router: when shards do not answer, return the other shards' hits and list the missing ones in missing_shards ([{shard, error}]) instead of answering 503."}}}}}},
      "responses": {"200": {"description": "hits, closest first: id, distance, payload", "content": {"application/json": {"schema": {"type": "object"}}}},
        "501": {"$ref": "#/components/responses/Error"}, "503": {"description": "Cluster router: shards did not answer (the message names each and why)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
    "/v1/cluster": {"get": {"summary": "Cluster router only (501 on a library server): each cluster collection as `alike --json cluster status` prints it: settings, live nodes (id, heartbeat_age_ms, shards with applied and lag) and each shard's replicas",
      "responses": {"200": {"description": "{\"collections\": [{\"collection\", \"settings\", \"nodes\", \"shards\"}]}", "content": {"application/json": {"schema": {"type": "object"}}}}, "501": {"$ref": "#/components/responses/Error"}}}}
  }
})json";
}

}  // namespace alike::server
