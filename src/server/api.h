// What the route handlers share, and the functions that add each resource's routes. One file per
// resource: picture_routes.cc (search by picture, an image's facts, faces and copies of a picture,
// over a PictureSearch), image_routes.cc (uploads, tags, library stats),
// index_routes.cc (index jobs over server-side paths), collection_routes.cc
// (generic vector collections, over a CollectionService), copy_routes.cc (duplicate groups),
// face_routes.cc (face erasure), system_routes.cc (health, metrics, the
// OpenAPI document), cluster_routes.cc (a cluster router's state, and the 501 answers of routes a
// server does not offer).
//
// Thread-safety: handlers run concurrently; everything in Api is safe for that (the library and
// database are thread-safe, the rest is immutable or synchronised).
#ifndef ALIKE_SERVER_API_H_
#define ALIKE_SERVER_API_H_

#include <string>

#include "alike/library.h"
#include "server/collection_service.h"
#include "server/index_jobs.h"
#include "server/metrics.h"
#include "server/picture_search.h"
#include "server/roots.h"
#include "server/router.h"
#include "server/server.h"
#include "server/upload_store.h"

namespace alike::server {

struct Api {
  Library& library;
  const ServerOptions& options;
  const Roots& roots;
  UploadStore& uploads;
  Metrics& metrics;
  IndexJobs& jobs;
};

// What the picture routes share: a library's or a cluster's.
struct PictureApi {
  PictureSearch& pictures;
  const ServerOptions& options;
  // Over a cluster an I/O error is a part of the cluster that did not answer (the NATS servers,
  // or every replica of a shard; the message names it): it passes, so the routes answer 503
  // "unavailable", where one machine's I/O error is the server's own (500).
  bool over_cluster = false;
};

using ApiHandler = void (*)(Api&, const httplib::Request&, httplib::Response&);

// A route handler that calls `fn` with the shared Api.
inline Handler With(Api& api, ApiHandler fn) {
  return [&api, fn](const httplib::Request& req, httplib::Response& res) { fn(api, req, res); };
}

void AddImageRoutes(Router& router, Api& api);
// Search by uploaded picture and by an indexed image's vector, an image's facts and thumbnail,
// faces and copies of an uploaded picture.
void AddPictureRoutes(Router& router, PictureApi& api);
// Faces and copies of an indexed image (they read its file: one machine's library only).
void AddIndexedPictureRoutes(Router& router, PictureApi& api);
void AddIndexRoutes(Router& router, Api& api);
void AddCollectionRoutes(Router& router, CollectionService& collections, uint32_t max_k);
void AddCopyRoutes(Router& router, Api& api);
void AddFaceRoutes(Router& router, Api& api);
// `library`: null on a cluster router (no library gauges in /metrics).
void AddSystemRoutes(Router& router, Metrics& metrics, CollectionService& collections,
                     const Library* library);
// GET /v1/cluster from `state`.
void AddClusterRoutes(Router& router, ClusterState state);
// Every route of the OpenAPI document that `router` has no route for answers 501 with `why`
// (the routes a server does not offer: the library's on a cluster router, the cluster's on a
// library server), so that each server answers every documented route.
void AddUnavailableRoutes(Router& router, const std::string& why);

// The OpenAPI 3 document served at /openapi.json (openapi.cc).
const char* OpenApiDocument();

}  // namespace alike::server

#endif  // ALIKE_SERVER_API_H_
