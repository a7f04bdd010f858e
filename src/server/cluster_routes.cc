// A cluster router's own route, GET /v1/cluster, and the 501 answers that make every server
// answer every route of /openapi.json: the library's routes on a cluster router, /v1/cluster on
// a library server.
#include <set>
#include <utility>

#include "server/api.h"
#include "server/api_error.h"

namespace alike::server {

void AddClusterRoutes(Router& router, ClusterState state) {
  router.Add("GET", "/v1/cluster", Scope::kRead,
             [state = std::move(state)](const httplib::Request&, httplib::Response& res) {
               auto body = state();
               if (!body.ok()) return SetError(res, body.status());
               SetJson(res, *body);
             });
}

void AddUnavailableRoutes(Router& router, const std::string& why) {
  std::set<std::pair<std::string, std::string>> routed;
  for (const Route& r : router.routes()) routed.emplace(r.path, r.method);
  const auto doc = nlohmann::json::parse(OpenApiDocument());
  for (const auto& [path, item] : doc.at("paths").items()) {
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (routed.contains({path, upper})) continue;
      // Open to anyone: it answers nothing but that the route is not offered here.
      router.Add(upper, path, Scope::kNone,
                 [path, why](const httplib::Request&, httplib::Response& res) {
                   SetError(res, 501, "not_implemented", path + " is " + why);
                 });
    }
  }
}

}  // namespace alike::server
