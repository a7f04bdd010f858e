// Health, metrics and the API's own description.
#include "server/api.h"
#include "server/api_error.h"

namespace alike::server {
namespace {

void Health(const httplib::Request&, httplib::Response& res) { SetJson(res, {{"status", "ok"}}); }

void OpenApi(const httplib::Request&, httplib::Response& res) {
  res.set_content(OpenApiDocument(), "application/json");
}

void Prometheus(Metrics& metrics, CollectionService& collections, const Library* library,
                httplib::Response& res) {
  std::string out = metrics.Render();
  bool first = true;
  if (auto names = collections.List(); names.ok()) {
    for (const std::string& name : *names) {
      auto d = collections.Describe(name);
      if (!d.ok() || !d->sizes_known) continue;  // dropped since it was listed, or a cluster's
      const std::string label = "collection=\"" + EscapeLabel(name) + "\"";
      AppendGauge(out, "alike_collection_vectors", "Live vectors in a collection.", label,
                  static_cast<double>(d->info.count), first);
      first = false;
    }
  }
  if (library == nullptr) return res.set_content(out, "text/plain; version=0.0.4");
  if (auto info = library->Info(); info.ok()) {
    AppendGauge(out, "alike_library_images", "Distinct images in the library.", "",
                static_cast<double>(info->images), true);
    AppendGauge(out, "alike_library_files", "Files in the library (an image may have several).", "",
                static_cast<double>(info->files), true);
  }
  res.set_content(out, "text/plain; version=0.0.4");
}

}  // namespace

void AddSystemRoutes(Router& router, Metrics& metrics, CollectionService& collections,
                     const Library* library) {
  router.Add("GET", "/healthz", Scope::kNone, Health);
  router.Add("GET", "/openapi.json", Scope::kNone, OpenApi);
  router.Add("GET", "/metrics", Scope::kRead,
             [&metrics, &collections, library](const httplib::Request&, httplib::Response& res) {
               Prometheus(metrics, collections, library, res);
             });
}

}  // namespace alike::server
