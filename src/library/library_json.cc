#include "library/library_json.h"

namespace alike {

using nlohmann::json;

json library::IndexReportJson(const IndexReport& report) {
  return {{"indexed", report.indexed},     {"duplicates", report.duplicates},
          {"unchanged", report.unchanged}, {"failed", report.failed},
          {"removed", report.removed},     {"cancelled", report.cancelled},
          {"seconds", report.seconds}};
}

json library::LibraryInfoJson(const LibraryInfo& info) {
  json spaces = json::array();
  for (const SpaceInfo& s : info.spaces) {
    spaces.push_back({{"embedder", s.embedder},
                      {"model", s.model},
                      {"fingerprint", s.fingerprint},
                      {"version", s.version},
                      {"installed_version", s.installed_version},
                      {"current", s.version == s.installed_version},
                      {"dimension", s.dimension},
                      {"vectors", s.vectors},
                      {"disk_bytes", s.disk_bytes}});
  }
  json out = {{"images", info.images},
              {"files", info.files},
              {"image_bytes", info.image_bytes},
              {"thumbnail_bytes", info.thumbnail_bytes},
              {"disk_bytes", info.disk_bytes},
              {"embedders", info.embedders},
              {"faces", info.faces},
              {"persons", info.persons},
              {"spaces", std::move(spaces)}};
  out["copy_feature_bytes"] = info.copy_feature_bytes;
  return out;
}

std::string ToJson(const IndexReport& report) { return library::IndexReportJson(report).dump(); }

// Invalid UTF-8 (an embedder or model name from a user's spec file) is replaced rather than
// thrown: statistics must not fail over a name.
std::string ToJson(const LibraryInfo& info) {
  return library::LibraryInfoJson(info).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace alike
