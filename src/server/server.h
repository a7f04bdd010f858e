// alike's HTTP API over an image library: search by uploaded picture, by indexed image or by
// vector; add, tag and forget images; thumbnails and facts; library statistics; generic vector
// collections; /openapi.json, /healthz and /metrics. README.md ("HTTP API") lists the routes;
// openapi.cc describes each one.
//
//   auto server = alike::server::Server::Create(*library, {.port = 0});
//   int port = (*server)->Bind();          // Result<int>
//   (*server)->Run();                      // blocks until Stop()
//
// A cluster router (`alike serve --cluster`) is the same server without a library: the
// collection routes over the cluster's CollectionService, GET /v1/cluster, health, metrics and
// /openapi.json, and with an image library on the cluster (`--library NAME`) the picture routes
// (picture_routes.cc) and the web page; every route that needs the single-machine catalog answers
// 501 (and a library server answers 501 to /v1/cluster).
//
// Security: loopback by default; a non-loopback address needs API keys (or `insecure_open`).
// Without keys every request may read and write, which is why that is loopback-only.
//
// Thread-safety: Run blocks on one thread and serves requests on a pool of others; Stop may be
// called from any thread (it is what a SIGTERM handler thread calls). Stop cancels index jobs
// (the running one commits what it finished first) and lets every request already being handled
// finish, so a write acknowledged to a client, or counted as done in a job, is always durable.
#ifndef ALIKE_SERVER_SERVER_H_
#define ALIKE_SERVER_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alike/library.h"
#include "alike/status.h"
#include "server/collection_service.h"
#include "server/picture_search.h"
#include "server/router.h"

namespace alike::server {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;  // 0: any free port (Bind returns it)
  // Server-side folders whose images clients may index by path; none: indexing by path is off.
  std::vector<std::string> roots;
  std::string keys_file;       // empty: no keys (loopback only)
  bool insecure_open = false;  // allow a non-loopback address without keys
  std::string cors_origin;     // empty: no CORS
  std::string web_dir;         // served at /; empty: the page built into the binary
  std::string uploads_dir;     // empty: <library>/uploads
  uint64_t max_body_bytes = uint64_t{32} << 20;
  uint64_t max_pixels = 40'000'000;  // per uploaded or indexed picture
  uint32_t max_k = 1000;
  unsigned threads = 0;             // request threads; 0: max(8, 2 x cores)
  int io_timeout_seconds = 10;      // reading a request / writing a response
  int index_timeout_seconds = 600;  // an index job stops (what it finished kept) after this
};

// The body of GET /v1/cluster on a cluster router; called on request threads, concurrently.
using ClusterState = std::function<Result<nlohmann::json>()>;

class Server {
 public:
  virtual ~Server() = default;

  // Checks the options (keys file, roots, bind address) without opening a socket.
  static Result<std::unique_ptr<Server>> Create(Library& library, const ServerOptions& options);
  // A cluster router over `collections` and, when not null, an image library on the cluster
  // (`pictures`: search by picture, facts, faces and copies, and the web page); both must outlive
  // the server. `options.roots` and `uploads_dir` do not apply.
  static Result<std::unique_ptr<Server>> CreateRouter(CollectionService& collections,
                                                      ClusterState state, PictureSearch* pictures,
                                                      const ServerOptions& options);

  // Opens the listening socket; returns the port (useful with port 0).
  virtual Result<int> Bind() = 0;
  // Serves until Stop(); returns once every request in progress has been answered.
  virtual Status Run() = 0;
  virtual void Stop() = 0;

  // Every route, for /openapi.json's test.
  virtual const std::vector<Route>& routes() const = 0;
};

// Whether an address is a loopback one ("127.0.0.1", "::1", "localhost").
bool IsLoopback(const std::string& address);

}  // namespace alike::server

#endif  // ALIKE_SERVER_SERVER_H_
