// Images: add an upload, tags, forget; and the library's statistics. (Search by picture,
// facts and thumbnails: picture_routes.cc; indexing server-side paths: index_routes.cc.)
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
  router.Add("POST", "/v1/images", Scope::kWrite, With(api, AddUpload));
  router.Add("DELETE", "/v1/images/{id}", Scope::kWrite, With(api, DeleteImage));
  router.Add("POST", "/v1/images/{id}/tags", Scope::kWrite, With(api, SetTags));
  router.Add("GET", "/v1/library", Scope::kRead, With(api, LibraryStats));
}

}  // namespace alike::server
