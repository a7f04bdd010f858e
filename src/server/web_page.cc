#include <string>

#include "server/web_assets.h"

namespace alike::server {
namespace {

std::string ContentTypeFor(std::string_view path) {
  const size_t dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json") return "application/json";
  return "application/octet-stream";
}

}  // namespace

void ServeWebPage(httplib::Server& http, const std::string& web_dir) {
  if (!web_dir.empty()) {
    http.set_mount_point("/", web_dir);
    return;
  }
  for (const WebAsset& asset : WebAssets()) {
    const std::string type = ContentTypeFor(asset.path);
    auto serve = [body = asset.body, type](const httplib::Request&, httplib::Response& res) {
      // The page changes with the binary: browsers revalidate rather than keep an old copy.
      res.set_header("Cache-Control", "no-cache");
      res.set_content(body.data(), body.size(), type);
    };
    http.Get(std::string(asset.path), serve);
    if (asset.path == "/index.html") http.Get("/", serve);
  }
}

}  // namespace alike::server
