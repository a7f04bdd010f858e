// The route table of the HTTP API and what every request goes through around its handler:
// the API-key check for the route's scope, a bound on concurrent writes, JSON errors for what no
// handler answered (unknown route, wrong method, body too large), exceptions turned into JSON
// errors, CORS headers, and one metrics sample per response.
//
// Routes are written as OpenAPI path templates ("/v1/images/{id}"), which is also how they are
// named in metrics and compared with /openapi.json by the tests. A parameter named {id} matches
// digits only; any other parameter matches a name of letters, digits, '.', '_' and '-'.
//
// Thread-safety: routes are added before the server starts; afterwards everything is read-only
// and handlers run concurrently.
#ifndef ALIKE_SERVER_ROUTER_H_
#define ALIKE_SERVER_ROUTER_H_

#include <httplib.h>

#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "server/api_keys.h"
#include "server/metrics.h"
#include "server/write_gate.h"

namespace alike::server {

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

struct Route {
  std::string method;  // GET, POST, PUT or DELETE
  std::string path;    // the template
  Scope scope;         // what the caller's key must allow; kNone: anyone
};

class Router {
 public:
  // `cors_origin` empty: no CORS headers and no preflight answers. Routes of scope kWrite hold
  // a place of `writes` while they run (503 when none is free).
  Router(httplib::Server& http, const KeyStore& keys, Metrics& metrics, WriteGate& writes,
         std::string cors_origin);

  void Add(const std::string& method, const std::string& path, Scope scope, Handler handler);

  const std::vector<Route>& routes() const { return routes_; }

  // The route that serves a request, or null; `path_exists` says whether another method has a
  // route at that path (the answer is then 405, not 404).
  const Route* Find(const std::string& method, const std::string& path, bool* path_exists) const;

 private:
  void InstallHooks();
  // Whether the request may use a route of this scope; otherwise writes the 401/403 answer.
  bool Authorize(const httplib::Request& req, httplib::Response& res, Scope scope) const;

  httplib::Server& http_;
  const KeyStore& keys_;
  Metrics& metrics_;
  WriteGate& writes_;
  const std::string cors_origin_;
  std::vector<Route> routes_;
  std::vector<std::regex> patterns_;  // one per route
};

}  // namespace alike::server

#endif  // ALIKE_SERVER_ROUTER_H_
