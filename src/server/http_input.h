// Reading what a request carries: JSON bodies, query parameters, path parameters and uploaded
// pictures. Every reader returns a Status naming the bad field rather than throwing.
//
// Thread-safety: stateless functions.
#ifndef ALIKE_SERVER_HTTP_INPUT_H_
#define ALIKE_SERVER_HTTP_INPUT_H_

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "alike/status.h"

namespace alike::server {

// The body as a JSON object (nesting is bounded, so a hostile document cannot exhaust the stack).
Result<nlohmann::json> JsonBody(const httplib::Request& req);

// Path parameter `index` (1-based, in template order) of a route whose parameter is an {id}.
Result<uint64_t> PathId(const httplib::Request& req, size_t index = 1);

// Query parameter `name` as an integer within [min, max]; `fallback` when absent.
Result<uint64_t> QueryInt(const httplib::Request& req, const std::string& name, uint64_t fallback,
                          uint64_t min, uint64_t max);
// Query parameter `name` as a finite number, or nullopt when absent.
Result<std::optional<float>> QueryFloat(const httplib::Request& req, const std::string& name);

// An uploaded picture: the multipart/form-data field "image" (else the form's only file), or the
// raw body for any other content type.
struct Upload {
  std::span<const uint8_t> data;
  std::string name;  // the client's file name, or "upload"
};
Result<Upload> UploadFrom(const httplib::Request& req);

}  // namespace alike::server

#endif  // ALIKE_SERVER_HTTP_INPUT_H_
