// Images: search by uploaded picture or by indexed image, add an upload, facts, thumbnail, tags,
// forget; and the library's statistics. (Indexing server-side paths: index_routes.cc.)
#include <string>
#include <vector>

#include "library/library_json.h"
#include "server/api.h"
#include "server/api_error.h"
#include "server/http_input.h"
#include "server/library_json.h"

namespace alike::server {
namespace {

using nlohmann::json;

// k, by, filter and min_score from the query string.
Result<ImageSearchOptions> SearchOptionsFrom(const httplib::Request& req, const Api& api) {
  auto k = QueryInt(req, "k", 10, 1, api.options.max_k);
  if (!k.ok()) return k.status();
  auto min_score = QueryFloat(req, "min_score");
  if (!min_score.ok()) return min_score.status();
  return ImageSearchOptions{.by = req.has_param("by") ? req.get_param_value("by") : api.default_by,
                            .k = *k,
                            .filter = req.get_param_value("filter"),
                            .min_score = *min_score,
                            .max_pixels = api.options.max_pixels};
}

void SearchUpload(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto options = SearchOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto upload = UploadFrom(req);
  if (!upload.ok()) return SetError(res, upload.status());
  auto hits = api.library.Search(ImageSource::Bytes(upload->data, upload->name), *options);
  if (!hits.ok()) return SetUploadError(res, hits.status());
  SetJson(res, HitsJson(*hits));
}

void SearchSimilar(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto options = SearchOptionsFrom(req, api);
  if (!options.ok()) return SetError(res, options.status());
  auto hits = api.library.Search(ImageQuery::Indexed(*id), *options);
  if (!hits.ok()) return SetError(res, hits.status());
  SetJson(res, HitsJson(*hits));
}

void AddUpload(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto upload = UploadFrom(req);
  if (!upload.ok()) return SetError(res, upload.status());
  auto path = api.uploads.Save(upload->data, upload->name);
  if (!path.ok()) return SetError(res, path.status());
  std::string outcome = "unchanged", failure;
  const IndexObserver observer = [&](const IndexEvent* event, const IndexProgress&) {
    if (!event) return;
    if (event->kind == IndexEvent::Kind::kIndexed) outcome = "indexed";
    if (event->kind == IndexEvent::Kind::kDuplicate) outcome = "duplicate";
    if (event->kind == IndexEvent::Kind::kFailed) failure = event->message;
  };
  const std::vector<std::string> paths = {*path};
  auto report =
      api.library.Index(paths, {.jobs = 1, .max_pixels = api.options.max_pixels}, observer);
  if (!report.ok()) return SetError(res, report.status());
  if (report->failed > 0) {
    api.uploads.Discard(*path);
    // The message starts with our file name; the client knows its picture by its own.
    const size_t cut = failure.find(": ");
    const std::string why = cut == std::string::npos ? failure : failure.substr(cut + 2);
    return SetError(res, 422, "invalid_image", upload->name + ": " + why);
  }
  auto id = api.library.FindPath(*path);
  if (!id.ok()) return SetError(res, id.status());
  if (!*id) return SetError(res, 500, "internal", "the upload was indexed but is not catalogued");
  auto details = api.library.GetImage(**id);
  if (!details.ok()) return SetError(res, details.status());
  SetJson(res, {{"status", outcome}, {"image", DetailsJson(*details)}},
          outcome == "indexed" ? 201 : 200);
}

void GetImage(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto details = api.library.GetImage(*id);
  if (!details.ok()) return SetError(res, details.status());
  SetJson(res, DetailsJson(*details));
}

void DeleteImage(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto details = api.library.GetImage(*id);
  if (!details.ok()) return SetError(res, details.status());
  auto removed = api.library.Remove(details->paths);
  if (!removed.ok()) return SetError(res, removed.status());
  // Uploaded copies go with the image; the user's own files are never touched.
  for (const std::string& path : details->paths) api.uploads.Discard(path);
  SetJson(res, {{"id", *id}, {"removed_files", *removed}});
}

void GetThumbnail(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto jpeg = api.library.Thumbnail(*id);
  if (!jpeg.ok()) return SetError(res, jpeg.status());
  res.set_header("Cache-Control", "private, max-age=3600");
  res.set_content(reinterpret_cast<const char*>(jpeg->data()), jpeg->size(), "image/jpeg");
}

void SetTags(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto body = JsonBody(req);
  if (!body.ok()) return SetError(res, body.status());
  const auto add = body->value("add", std::vector<std::string>{});
  const auto remove = body->value("remove", std::vector<std::string>{});
  auto tags = api.library.Tag(*id, add, remove);
  if (!tags.ok()) return SetError(res, tags.status());
  SetJson(res, {{"id", *id}, {"tags", *tags}});
}

void LibraryStats(Api& api, const httplib::Request&, httplib::Response& res) {
  auto info = api.library.Info();
  if (!info.ok()) return SetError(res, info.status());
  SetJson(res, library::LibraryInfoJson(*info));
}

}  // namespace

void AddImageRoutes(Router& router, Api& api) {
  router.Add("POST", "/v1/search", Scope::kRead, With(api, SearchUpload));
  router.Add("GET", "/v1/images/{id}/similar", Scope::kRead, With(api, SearchSimilar));
  router.Add("POST", "/v1/images", Scope::kWrite, With(api, AddUpload));
  router.Add("GET", "/v1/images/{id}", Scope::kRead, With(api, GetImage));
  router.Add("DELETE", "/v1/images/{id}", Scope::kWrite, With(api, DeleteImage));
  router.Add("GET", "/v1/images/{id}/thumbnail", Scope::kRead, With(api, GetThumbnail));
  router.Add("POST", "/v1/images/{id}/tags", Scope::kWrite, With(api, SetTags));
  router.Add("GET", "/v1/library", Scope::kRead, With(api, LibraryStats));
}

}  // namespace alike::server
