#include "server/http_input.h"

#include <charconv>
#include <cmath>

#include "util/json_depth.h"

namespace alike::server {
namespace {

constexpr int kMaxJsonDepth = 64;

}  // namespace

Result<nlohmann::json> JsonBody(const httplib::Request& req) {
  if (const size_t at = FindJsonNestingOverflow(req.body, kMaxJsonDepth)) {
    return Status::InvalidArgument("the JSON body nests deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels (byte " +
                                   std::to_string(at) + ")");
  }
  auto json = nlohmann::json::parse(req.body, nullptr, false);
  if (json.is_discarded()) return Status::InvalidArgument("the body is not valid JSON");
  if (!json.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  return json;
}

Result<uint64_t> PathId(const httplib::Request& req, size_t index) {
  const std::string text = req.matches[index].str();
  uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("id " + text + " is not a 64-bit number");
  }
  return id;
}

Result<uint64_t> QueryInt(const httplib::Request& req, const std::string& name, uint64_t fallback,
                          uint64_t min, uint64_t max) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return Status::InvalidArgument(name + " must be a whole number from " + std::to_string(min) +
                                   " to " + std::to_string(max) + ", not '" + text + "'");
  }
  return value;
}

Result<std::optional<float>> QueryFloat(const httplib::Request& req, const std::string& name) {
  if (!req.has_param(name)) return std::optional<float>();
  const std::string text = req.get_param_value(name);
  float value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Status::InvalidArgument(name + " must be a number, not '" + text + "'");
  }
  return std::optional<float>(value);
}

Result<Upload> UploadFrom(const httplib::Request& req) {
  const std::string* content = &req.body;
  std::string name = "upload";
  if (req.is_multipart_form_data()) {
    auto it = req.files.find("image");
    if (it == req.files.end() && req.files.size() == 1) it = req.files.begin();
    if (it == req.files.end()) {
      return Status::InvalidArgument("the form has no file field named \"image\"");
    }
    content = &it->second.content;
    if (!it->second.filename.empty()) name = it->second.filename;
  }
  if (content->empty()) return Status::InvalidArgument("no picture in the request body");
  return Upload{{reinterpret_cast<const uint8_t*>(content->data()), content->size()}, name};
}

}  // namespace alike::server
