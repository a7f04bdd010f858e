// Erasure of faces, which are biometric data. (Face search: picture_routes.cc.)
#include <string>

#include "server/api.h"
#include "server/api_error.h"
#include "server/http_input.h"
#include "server/library_json.h"

namespace alike::server {
namespace {

using nlohmann::json;

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
  router.Add("DELETE", "/v1/faces", Scope::kWrite, With(api, ForgetFaces));
}

}  // namespace alike::server
