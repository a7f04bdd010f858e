// Copy detection: copies of an uploaded picture or of an indexed image, and the library's groups
// of duplicates.
#include <string>
#include <vector>

#include "server/api.h"
#include "server/api_error.h"
#include "server/http_input.h"
#include "server/library_json.h"

namespace alike::server {
namespace {

using nlohmann::json;

// k and min_confidence from the query string.
Result<CopySearchOptions> CopyOptionsFrom(const httplib::Request& req, const Api& api) {
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
Result<json> CopiesJson(const Api& api, const std::vector<CopyHit>& hits) {
  json results = json::array();
  for (const CopyHit& h : hits) {
    auto details = api.library.GetImage(h.image_id);
    if (!details.ok()) return details.status();
    json hit = CopyHitJson(h);
    hit["width"] = details->width;
    hit["height"] = details->height;
    results.push_back(std::move(hit));
  }
  return json{{"results", std::move(results)}};
}

void SearchCopiesOfUpload(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto options = CopyOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto upload = UploadFrom(req);
  if (!upload.ok()) return SetError(res, upload.status());
  auto hits = api.library.SearchCopies(ImageSource::Bytes(upload->data, upload->name), *options);
  if (!hits.ok()) return SetUploadError(res, hits.status());
  auto body = CopiesJson(api, *hits);
  if (!body.ok()) return SetError(res, body.status());
  SetJson(res, *body);
}

void SearchCopiesOfImage(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto options = CopyOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto hits = api.library.SearchCopies(ImageQuery::Indexed(*id), *options);
  if (!hits.ok()) return SetError(res, hits.status());
  auto body = CopiesJson(api, *hits);
  if (!body.ok()) return SetError(res, body.status());
  SetJson(res, *body);
}

void ListDuplicates(Api& api, const httplib::Request& req, httplib::Response& res) {
  const DuplicateOptions defaults;
  // PDQ hashes have 256 bits; at half of them unrelated pictures would match.
  auto max_bits = QueryInt(req, "max_bits", defaults.max_bits, 0, 128);
  if (!max_bits.ok()) return SetError(res, max_bits.status());
  auto groups = api.library.Duplicates({.max_bits = static_cast<int>(*max_bits)});
  if (!groups.ok()) return SetError(res, groups.status());
  auto body = DuplicateGroupsJson(api.library, *groups);
  if (!body.ok()) return SetError(res, body.status());
  SetJson(res, {{"max_bits", *max_bits}, {"groups", std::move(*body)}});
}

}  // namespace

void AddCopyRoutes(Router& router, Api& api) {
  router.Add("POST", "/v1/search/copies", Scope::kRead, With(api, SearchCopiesOfUpload));
  router.Add("GET", "/v1/images/{id}/copies", Scope::kRead, With(api, SearchCopiesOfImage));
  router.Add("GET", "/v1/duplicates", Scope::kRead, With(api, ListDuplicates));
}

}  // namespace alike::server
