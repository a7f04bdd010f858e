// The web page (the repository's web/ folder), compiled into the binary and served at `/`.
//
// Why embedded rather than read from the source tree at run time: the binary then serves the
// page it was built with from wherever it is installed or copied, with nothing to find on disk
// and no chance of pairing a binary with a page from another version. `alike serve --web DIR`
// serves a folder instead, which is how the page is worked on without rebuilding.
//
// The files are generated into web_assets.cc by cmake/embed_web.cmake at build time.
#ifndef ALIKE_SERVER_WEB_ASSETS_H_
#define ALIKE_SERVER_WEB_ASSETS_H_

#include <httplib.h>

#include <span>
#include <string>
#include <string_view>

namespace alike::server {

struct WebAsset {
  std::string_view path;  // "/index.html"
  std::string_view body;
};

// Every embedded file (web_assets.cc, generated).
std::span<const WebAsset> WebAssets();

// Serves `web_dir` at / when it is given, else the embedded page ("/" is its index.html).
// Static files need no API key: the page holds no data, and asks for the key itself.
void ServeWebPage(httplib::Server& http, const std::string& web_dir);

}  // namespace alike::server

#endif  // ALIKE_SERVER_WEB_ASSETS_H_
