// Answers as the HTTP API writes them. Errors are a status code and a JSON body
//   {"error": {"code": "not_found", "message": "no image 42"}}
// whose `code` is stable (clients branch on it) and whose message is for people.
//
// Thread-safety: stateless functions.
#ifndef ALIKE_SERVER_API_ERROR_H_
#define ALIKE_SERVER_API_ERROR_H_

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "alike/status.h"

namespace alike::server {

// The HTTP status that stands for a library Status (404 for kNotFound, 400 for
// kInvalidArgument, ...).
int HttpStatusFor(Status::Code code);

// Fills `res` with an error body. `code` is one of the Status code names or one of the API's
// own: "unauthorized", "forbidden", "route_not_found", "method_not_allowed",
// "payload_too_large", "busy", "bad_request".
void SetError(httplib::Response& res, int http_status, const std::string& code,
              const std::string& message);

// SetError from a library Status, with the Status's own code name.
void SetError(httplib::Response& res, const Status& status);

// SetError for a failure to use data the client sent (a picture that does not decode): a
// corrupt or unsupported upload is the client's error (422), not the server's.
void SetUploadError(httplib::Response& res, const Status& status);

// 503 "busy" with Retry-After, for a write that found every write place taken.
void SetBusy(httplib::Response& res);

// A successful JSON answer.
void SetJson(httplib::Response& res, const nlohmann::json& body, int status = 200);

// The code name for an HTTP error the transport produced itself (a body too large, a route that
// does not exist), used when no handler wrote a body.
const char* CodeForHttpStatus(int http_status);

}  // namespace alike::server

#endif  // ALIKE_SERVER_API_ERROR_H_
