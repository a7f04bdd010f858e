#include "server/api_error.h"

#include <nlohmann/json.hpp>

namespace alike::server {

int HttpStatusFor(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return 200;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kAlreadyExists:
      return 409;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kNotSupported:
      return 415;
    case Status::Code::kFailedPrecondition:
      return 409;
    case Status::Code::kCorruption:
    case Status::Code::kIOError:
    case Status::Code::kInternal:
      break;
  }
  return 500;
}

void SetError(httplib::Response& res, int http_status, const std::string& code,
              const std::string& message) {
  // Messages name files and fields, which may hold any bytes: SetJson never lets them break
  // the JSON.
  SetJson(res, {{"error", {{"code", code}, {"message", message}}}}, http_status);
}

void SetError(httplib::Response& res, const Status& status) {
  SetError(res, HttpStatusFor(status.code()), Status::CodeName(status.code()), status.message());
}

void SetUploadError(httplib::Response& res, const Status& status) {
  const bool clients = status.code() == Status::Code::kCorruption ||
                       status.code() == Status::Code::kInvalidArgument ||
                       status.code() == Status::Code::kNotSupported;
  if (!clients) return SetError(res, status);
  SetError(res, 422, Status::CodeName(status.code()), status.message());
}

void SetBusy(httplib::Response& res) {
  res.set_header("Retry-After", "1");
  SetError(res, 503, "busy", "too many writes in progress; retry shortly");
}

void SetJson(httplib::Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

const char* CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "route_not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 503:
      return "busy";
    default:
      break;
  }
  return http_status >= 500 ? "internal" : "bad_request";
}

}  // namespace alike::server
