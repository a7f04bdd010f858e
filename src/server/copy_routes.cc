// The library's groups of duplicates. (Copy search: picture_routes.cc.)
#include <string>
#include <vector>

#include "server/api.h"
#include "server/api_error.h"
#include "server/http_input.h"
#include "server/library_json.h"

namespace alike::server {
namespace {

using nlohmann::json;

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
  router.Add("GET", "/v1/duplicates", Scope::kRead, With(api, ListDuplicates));
}

}  // namespace alike::server
