#include "server/library_json.h"

#include "server/collection_json.h"

namespace alike::server {

using nlohmann::json;

namespace {

// A face's box, detection score and landmarks, into `j`.
void AddFaceBox(const FaceBox& box, json& j) {
  j["box"] = {box.x, box.y, box.width, box.height};
  j["score"] = box.score;
  j["landmarks"] = box.landmarks;
}

}  // namespace

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

json CopyHitJson(const CopyHit& h) {
  return {{"id", h.image_id},
          {"confidence", h.confidence},
          {"path", h.paths.empty() ? "" : h.paths.front()},
          {"paths", h.paths},
          {"pdq_bits", h.hash_distance >= 0 ? json(h.hash_distance) : json(nullptr)},
          {"verified", h.verified},
          {"inliers", h.inliers},
          {"coverage", h.coverage},
          {"mirrored", h.mirrored},
          {"corners", h.corners ? json(*h.corners) : json(nullptr)}};
}

Result<json> DuplicateGroupsJson(const Library& library,
                                 const std::vector<DuplicateGroup>& groups) {
  json out = json::array();
  for (const DuplicateGroup& g : groups) {
    json images = json::array();
    for (const uint64_t id : g.images) {
      auto image = library.GetImage(id);
      if (!image.ok()) return image.status();
      images.push_back({{"id", id},
                        {"path", image->paths.empty() ? "" : image->paths.front()},
                        {"paths", image->paths},
                        {"width", image->width},
                        {"height", image->height},
                        {"bytes", image->bytes}});
    }
    out.push_back({{"keeper", g.keeper}, {"max_bits", g.max_bits}, {"images", std::move(images)}});
  }
  return out;
}

json FaceHitJson(const FaceHit& h) {
  json j{{"id", h.image_id},
         {"face", h.face_id},
         {"distance", h.distance},
         {"path", h.paths.empty() ? "" : h.paths.front()},
         {"paths", h.paths}};
  AddFaceBox(h.box, j);
  if (h.person) {
    j["person"] = *h.person;
    j["name"] = h.person_name;
  }
  return j;
}

json QueryFacesJson(const std::vector<QueryFace>& faces) {
  json out = json::array();
  for (const QueryFace& f : faces) {
    json hits = json::array();
    for (const FaceHit& h : f.hits) hits.push_back(FaceHitJson(h));
    json face{{"hits", std::move(hits)}};
    AddFaceBox(f.box, face);
    out.push_back(std::move(face));
  }
  return out;
}

}  // namespace alike::server
