#include "server/library_json.h"

#include "server/collection_json.h"

namespace alike::server {

using nlohmann::json;

json HitsJson(const std::vector<ImageHit>& hits) {
  json results = json::array();
  for (const ImageHit& h : hits) {
    results.push_back({{"id", h.image_id},
                       {"score", h.score},
                       {"distance", h.distance},
                       {"paths", h.paths},
                       {"payload", PayloadJson(h.payload)}});
  }
  return {{"results", std::move(results)}};
}

json DetailsJson(const ImageDetails& d) {
  json out{{"id", d.id},         {"sha256", d.hash},   {"bytes", d.bytes}, {"width", d.width},
           {"height", d.height}, {"format", d.format}, {"paths", d.paths}, {"tags", d.tags}};
  if (!d.taken.empty()) out["taken"] = d.taken;
  if (!d.camera.empty()) out["camera"] = d.camera;
  if (d.latitude && d.longitude) out["location"] = {{"lat", *d.latitude}, {"lon", *d.longitude}};
  return out;
}

json IndexReportJson(const IndexReport& report) {
  return {{"indexed", report.indexed},     {"duplicates", report.duplicates},
          {"unchanged", report.unchanged}, {"failed", report.failed},
          {"removed", report.removed},     {"cancelled", report.cancelled},
          {"seconds", report.seconds}};
}

}  // namespace alike::server
