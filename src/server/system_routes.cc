// Health, metrics and the API's own description.
#include "server/api.h"
#include "server/api_error.h"

namespace alike::server {
namespace {

void Health(Api&, const httplib::Request&, httplib::Response& res) {
  SetJson(res, {{"status", "ok"}});
}

void OpenApi(Api&, const httplib::Request&, httplib::Response& res) {
  res.set_content(OpenApiDocument(), "application/json");
}

void Prometheus(Api& api, const httplib::Request&, httplib::Response& res) {
  std::string out = api.metrics.Render();
  Database& db = api.library.database();
  bool first = true;
  for (const std::string& name : db.ListCollections()) {
    auto c = db.GetCollection(name);
    if (!c.ok()) continue;  // dropped since it was listed
    const CollectionInfo info = (*c)->Info();
    const std::string label = "collection=\"" + EscapeLabel(name) + "\"";
    AppendGauge(out, "alike_collection_vectors", "Live vectors in a collection.", label,
                static_cast<double>(info.count), first);
    first = false;
  }
  if (auto info = api.library.Info(); info.ok()) {
    AppendGauge(out, "alike_library_images", "Distinct images in the library.", "",
                static_cast<double>(info->images), true);
    AppendGauge(out, "alike_library_files", "Files in the library (an image may have several).", "",
                static_cast<double>(info->files), true);
  }
  res.set_content(out, "text/plain; version=0.0.4");
}

}  // namespace

void AddSystemRoutes(Router& router, Api& api) {
  router.Add("GET", "/healthz", Scope::kNone, With(api, Health));
  router.Add("GET", "/openapi.json", Scope::kNone, With(api, OpenApi));
  router.Add("GET", "/metrics", Scope::kRead, With(api, Prometheus));
}

}  // namespace alike::server
