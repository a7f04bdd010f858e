// What the route handlers share, and the functions that add each resource's routes. One file per
// resource: image_routes.cc (images, search, library stats), index_routes.cc (index jobs over
// server-side paths), collection_routes.cc
// (generic vector collections), copy_routes.cc (copy search, duplicate groups), face_routes.cc
// (face search, face erasure), system_routes.cc (health, metrics, the OpenAPI document).
//
// Thread-safety: handlers run concurrently; everything in Api is safe for that (the library and
// database are thread-safe, the rest is immutable or synchronised).
#ifndef ALIKE_SERVER_API_H_
#define ALIKE_SERVER_API_H_

#include <string>

#include "alike/library.h"
#include "server/index_jobs.h"
#include "server/metrics.h"
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
  std::string default_by;  // the embedder searched when a request names none
};

using ApiHandler = void (*)(Api&, const httplib::Request&, httplib::Response&);

// A route handler that calls `fn` with the shared Api.
inline Handler With(Api& api, ApiHandler fn) {
  return [&api, fn](const httplib::Request& req, httplib::Response& res) { fn(api, req, res); };
}

void AddImageRoutes(Router& router, Api& api);
void AddIndexRoutes(Router& router, Api& api);
void AddCollectionRoutes(Router& router, Api& api);
void AddCopyRoutes(Router& router, Api& api);
void AddFaceRoutes(Router& router, Api& api);
void AddSystemRoutes(Router& router, Api& api);

// The OpenAPI 3 document served at /openapi.json (openapi.cc).
const char* OpenApiDocument();

}  // namespace alike::server

#endif  // ALIKE_SERVER_API_H_
