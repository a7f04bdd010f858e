// Search by picture, an image's facts and thumbnail, and the faces and copies of a picture, over a
// PictureSearch (picture_search.h): one machine's library or an image library on a cluster, which
// therefore answer the same JSON.
#include <string>
#include <vector>

#include "server/api.h"
#include "server/api_error.h"
#include "server/http_input.h"
#include "server/library_json.h"

namespace alike::server {
namespace {

using nlohmann::json;
using PictureHandler = void (*)(PictureApi&, const httplib::Request&, httplib::Response&);

Handler With(PictureApi& api, PictureHandler fn) {
  return [&api, fn](const httplib::Request& req, httplib::Response& res) { fn(api, req, res); };
}

// A failure of the search itself (not of the request's options): as every route maps a status,
// but over a cluster an I/O error is a part of it that did not answer (PictureApi).
void SetSearchError(const PictureApi& api, httplib::Response& res, const Status& status,
                    bool upload = false) {
  if (api.over_cluster && status.code() == Status::Code::kIOError) {
    return SetError(res, 503, "unavailable", status.message());
  }
  upload ? SetUploadError(res, status) : SetError(res, status);
}

// k, by, filter and min_score from the query string.
Result<ImageSearchOptions> SearchOptionsFrom(const httplib::Request& req, const PictureApi& api) {
  auto k = QueryInt(req, "k", 10, 1, api.options.max_k);
  if (!k.ok()) return k.status();
  auto min_score = QueryFloat(req, "min_score");
  if (!min_score.ok()) return min_score.status();
  return ImageSearchOptions{
      .by = req.has_param("by") ? req.get_param_value("by") : api.pictures.default_by(),
      .k = *k,
      .filter = req.get_param_value("filter"),
      .min_score = *min_score,
      .max_pixels = api.options.max_pixels};
}

void SearchUpload(PictureApi& api, const httplib::Request& req, httplib::Response& res) {
  auto options = SearchOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto upload = UploadFrom(req);
  if (!upload.ok()) return SetError(res, upload.status());
  auto hits = api.pictures.Search(ImageSource::Bytes(upload->data, upload->name), *options);
  if (!hits.ok()) return SetSearchError(api, res, hits.status(), true);
  SetJson(res, HitsJson(*hits));
}

void SearchSimilar(PictureApi& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto options = SearchOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto hits = api.pictures.Search(ImageQuery::Indexed(*id), *options);
  if (!hits.ok()) return SetSearchError(api, res, hits.status());
  SetJson(res, HitsJson(*hits));
}

void GetImage(PictureApi& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto details = api.pictures.GetImage(*id);
  if (!details.ok()) return SetSearchError(api, res, details.status());
  SetJson(res, DetailsJson(*details));
}

void GetThumbnail(PictureApi& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto jpeg = api.pictures.Thumbnail(*id);
  if (!jpeg.ok()) return SetSearchError(api, res, jpeg.status());
  res.set_header("Cache-Control", "private, max-age=3600");
  res.set_content(reinterpret_cast<const char*>(jpeg->data()), jpeg->size(), "image/jpeg");
}

// k, threshold, strangers, margin, expansion_strangers and by_person (0 or 1) from the query
// string.
Result<FaceSearchOptions> FaceOptionsFrom(const httplib::Request& req, const PictureApi& api) {
  auto k = QueryInt(req, "k", 10, 1, api.options.max_k);
  if (!k.ok()) return k.status();
  auto threshold = QueryFloat(req, "threshold");
  if (!threshold.ok()) return threshold.status();
  auto strangers = QueryFloat(req, "strangers");
  if (!strangers.ok()) return strangers.status();
  auto margin = QueryFloat(req, "margin");
  if (!margin.ok()) return margin.status();
  auto expansion = QueryFloat(req, "expansion_strangers");
  if (!expansion.ok()) return expansion.status();
  auto by_person = QueryInt(req, "by_person", kFaceRankByPerson ? 1 : 0, 0, 1);
  if (!by_person.ok()) return by_person.status();
  FaceSearchOptions options{
      .k = *k, .by_person = *by_person == 1, .max_pixels = api.options.max_pixels};
  if (*threshold) options.threshold = **threshold;
  if (*strangers) options.strangers_per_query = **strangers;
  if (*margin) options.margin = **margin;
  if (*expansion) options.expansion_strangers = **expansion;
  // Checked here too, so that a bad option is the request's error (400) before any upload is
  // read, not the picture's (422).
  ALIKE_RETURN_IF_ERROR(CheckFaceSearchOptions(options));
  return options;
}

void SearchFacesOfUpload(PictureApi& api, const httplib::Request& req, httplib::Response& res) {
  auto options = FaceOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto upload = UploadFrom(req);
  if (!upload.ok()) return SetError(res, upload.status());
  auto faces = api.pictures.SearchFaces(ImageSource::Bytes(upload->data, upload->name), *options);
  if (!faces.ok()) return SetSearchError(api, res, faces.status(), true);
  SetJson(res, {{"faces", QueryFacesJson(*faces)}});
}

// The boxes are in the image's own pixels, so the answer gives its size: a client drawing them
// over a thumbnail needs it.
void SearchFacesOfImage(PictureApi& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto options = FaceOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto details = api.pictures.GetImage(*id);
  if (!details.ok()) return SetSearchError(api, res, details.status());
  auto faces = api.pictures.SearchFaces(ImageQuery::Indexed(*id), *options);
  if (!faces.ok()) return SetSearchError(api, res, faces.status());
  SetJson(res, {{"id", *id},
                {"width", details->width},
                {"height", details->height},
                {"faces", QueryFacesJson(*faces)}});
}

// k and min_confidence from the query string.
Result<CopySearchOptions> CopyOptionsFrom(const httplib::Request& req, const PictureApi& api) {
  auto k = QueryInt(req, "k", 10, 1, api.options.max_k);
  if (!k.ok()) return k.status();
  auto min_confidence = QueryFloat(req, "min_confidence");
  if (!min_confidence.ok()) return min_confidence.status();
  CopySearchOptions options{.k = *k, .max_pixels = api.options.max_pixels};
  if (*min_confidence) {
    if (**min_confidence < 0 || **min_confidence > 1) {
      return Status::InvalidArgument("min_confidence must be from 0 to 1");
    }
    options.min_confidence = **min_confidence;
  }
  return options;
}

// {"results": [...]}, each hit with its image's width and height: the corners are in those
// pixels, so a client can draw them over a thumbnail.
Result<json> CopiesJson(PictureApi& api, const std::vector<CopyHit>& hits) {
  json results = json::array();
  for (const CopyHit& h : hits) {
    auto details = api.pictures.GetImage(h.image_id);
    if (!details.ok()) return details.status();
    json hit = CopyHitJson(h);
    hit["width"] = details->width;
    hit["height"] = details->height;
    results.push_back(std::move(hit));
  }
  return json{{"results", std::move(results)}};
}

void SearchCopiesOfUpload(PictureApi& api, const httplib::Request& req, httplib::Response& res) {
  auto options = CopyOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto upload = UploadFrom(req);
  if (!upload.ok()) return SetError(res, upload.status());
  auto hits = api.pictures.SearchCopies(ImageSource::Bytes(upload->data, upload->name), *options);
  if (!hits.ok()) return SetSearchError(api, res, hits.status(), true);
  auto body = CopiesJson(api, *hits);
  if (!body.ok()) return SetSearchError(api, res, body.status());
  SetJson(res, *body);
}

void SearchCopiesOfImage(PictureApi& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto options = CopyOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto hits = api.pictures.SearchCopies(ImageQuery::Indexed(*id), *options);
  if (!hits.ok()) return SetSearchError(api, res, hits.status());
  auto body = CopiesJson(api, *hits);
  if (!body.ok()) return SetSearchError(api, res, body.status());
  SetJson(res, *body);
}

}  // namespace

void AddPictureRoutes(Router& router, PictureApi& api) {
  router.Add("POST", "/v1/search", Scope::kRead, With(api, SearchUpload));
  router.Add("GET", "/v1/images/{id}/similar", Scope::kRead, With(api, SearchSimilar));
  router.Add("GET", "/v1/images/{id}", Scope::kRead, With(api, GetImage));
  router.Add("GET", "/v1/images/{id}/thumbnail", Scope::kRead, With(api, GetThumbnail));
  router.Add("POST", "/v1/search/faces", Scope::kRead, With(api, SearchFacesOfUpload));
  router.Add("POST", "/v1/search/copies", Scope::kRead, With(api, SearchCopiesOfUpload));
}

void AddIndexedPictureRoutes(Router& router, PictureApi& api) {
  router.Add("GET", "/v1/images/{id}/faces", Scope::kRead, With(api, SearchFacesOfImage));
  router.Add("GET", "/v1/images/{id}/copies", Scope::kRead, With(api, SearchCopiesOfImage));
}

}  // namespace alike::server
