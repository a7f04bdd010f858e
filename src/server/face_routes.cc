// Face search: the people in an uploaded picture or in an indexed image, and the images each
// appears in; and erasure of faces, which are biometric data.
#include <string>

#include "server/api.h"
#include "server/api_error.h"
#include "server/http_input.h"
#include "server/library_json.h"

namespace alike::server {
namespace {

using nlohmann::json;

// k, threshold, strangers, margin and by_person (0 or 1) from the query string.
Result<FaceSearchOptions> FaceOptionsFrom(const httplib::Request& req, const Api& api) {
  auto k = QueryInt(req, "k", 10, 1, api.options.max_k);
  if (!k.ok()) return k.status();
  auto threshold = QueryFloat(req, "threshold");
  if (!threshold.ok()) return threshold.status();
  auto strangers = QueryFloat(req, "strangers");
  if (!strangers.ok()) return strangers.status();
  auto margin = QueryFloat(req, "margin");
  if (!margin.ok()) return margin.status();
  auto by_person = QueryInt(req, "by_person", kFaceRankByPerson ? 1 : 0, 0, 1);
  if (!by_person.ok()) return by_person.status();
  FaceSearchOptions options{
      .k = *k, .by_person = *by_person == 1, .max_pixels = api.options.max_pixels};
  if (*threshold) options.threshold = **threshold;
  if (*strangers) options.strangers_per_query = **strangers;
  if (*margin) options.margin = **margin;
  // Checked here too, so that a bad option is the request's error (400) before any upload is
  // read, not the picture's (422).
  ALIKE_RETURN_IF_ERROR(CheckFaceSearchOptions(options));
  return options;
}

void SearchFacesOfUpload(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto options = FaceOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto upload = UploadFrom(req);
  if (!upload.ok()) return SetError(res, upload.status());
  auto faces = api.library.SearchFaces(ImageSource::Bytes(upload->data, upload->name), *options);
  if (!faces.ok()) return SetUploadError(res, faces.status());
  SetJson(res, {{"faces", QueryFacesJson(*faces)}});
}

// The boxes are in the image's own pixels, so the answer gives its size: a client drawing them
// over a thumbnail needs it.
void SearchFacesOfImage(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto options = FaceOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto details = api.library.GetImage(*id);
  if (!details.ok()) return SetError(res, details.status());
  auto faces = api.library.SearchFaces(ImageQuery::Indexed(*id), *options);
  if (!faces.ok()) return SetError(res, faces.status());
  SetJson(res, {{"id", *id},
                {"width", details->width},
                {"height", details->height},
                {"faces", QueryFacesJson(*faces)}});
}

// ?person=NAME forgets one person's faces; ?all=true every face, and turns face indexing off.
// Exactly one of the two, so that a forgotten parameter never erases everything.
void ForgetFaces(Api& api, const httplib::Request& req, httplib::Response& res) {
  const bool all = req.has_param("all");
  if (all && req.get_param_value("all") != "true") {
    return SetError(res, 400, "invalid_argument", "all must be true when given");
  }
  if (all == req.has_param("person")) {
    return SetError(res, 400, "invalid_argument",
                    "give ?person=NAME (a name or person number) or ?all=true");
  }
  auto report =
      all ? api.library.ForgetAllFaces() : api.library.ForgetPerson(req.get_param_value("person"));
  if (!report.ok()) return SetError(res, report.status());
  SetJson(res, {{"faces", report->faces}, {"persons", report->persons}, {"faces_enabled", !all}});
}

}  // namespace

void AddFaceRoutes(Router& router, Api& api) {
  router.Add("POST", "/v1/search/faces", Scope::kRead, With(api, SearchFacesOfUpload));
  router.Add("GET", "/v1/images/{id}/faces", Scope::kRead, With(api, SearchFacesOfImage));
  router.Add("DELETE", "/v1/faces", Scope::kWrite, With(api, ForgetFaces));
}

}  // namespace alike::server
