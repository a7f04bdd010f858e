#include "server/router.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "server/api_error.h"

namespace alike::server {
namespace {

// The time a request started travels from the pre-routing hook to the post-routing hook in this
// response header (httplib gives hooks nothing else to share); it is removed before sending.
constexpr const char* kStartHeader = "X-Alike-Internal-Start";

constexpr const char* kFormEncoded = "application/x-www-form-urlencoded";

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string PatternFor(const std::string& path) {
  std::string pattern;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] != '{') {
      if (std::string_view(".+*?()[]^$|\\").find(path[i]) != std::string_view::npos) {
        pattern += '\\';
      }
      pattern += path[i++];
      continue;
    }
    const size_t close = path.find('}', i);
    const std::string name = path.substr(i + 1, close - i - 1);
    pattern += name == "id" ? "(\\d{1,20})" : "([A-Za-z0-9._-]{1,200})";
    i = close + 1;
  }
  return pattern;
}

std::string PresentedKey(const httplib::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0) {
    return auth.substr(kBearer.size());
  }
  return req.get_header_value("X-API-Key");
}

}  // namespace

Router::Router(httplib::Server& http, const KeyStore& keys, Metrics& metrics, WriteGate& writes,
               std::string cors_origin)
    : http_(http),
      keys_(keys),
      metrics_(metrics),
      writes_(writes),
      cors_origin_(std::move(cors_origin)) {
  InstallHooks();
}

void Router::Add(const std::string& method, const std::string& path, Scope scope, Handler handler) {
  routes_.push_back({method, path, scope});
  patterns_.emplace_back(PatternFor(path));
  auto wrapped = [this, scope, handler = std::move(handler)](const httplib::Request& req,
                                                             httplib::Response& res) {
    if (!Authorize(req, res, scope)) return;
    std::optional<WriteGate::Pass> pass;
    if (scope == Scope::kWrite) {
      pass.emplace(writes_);
      if (!pass->ok()) return SetBusy(res);
    }
    try {
      handler(req, res);
    } catch (const nlohmann::json::exception& e) {
      // A JSON body of the wrong shape (a string where a number belongs).
      SetError(res, 400, "invalid_argument", std::string("malformed request: ") + e.what());
    } catch (const std::exception& e) {
      SetError(res, 500, "internal", e.what());
    }
  };
  const std::string pattern = PatternFor(path);
  if (method == "GET") {
    http_.Get(pattern, wrapped);
  } else if (method == "POST") {
    http_.Post(pattern, wrapped);
  } else if (method == "PUT") {
    http_.Put(pattern, wrapped);
  } else {
    http_.Delete(pattern, wrapped);
  }
}

const Route* Router::Find(const std::string& method, const std::string& path,
                          bool* path_exists) const {
  const std::string& m = method == "HEAD" ? "GET" : method;
  const Route* found = nullptr;
  *path_exists = false;
  for (size_t i = 0; i < routes_.size() && !found; ++i) {
    if (!std::regex_match(path, patterns_[i])) continue;
    *path_exists = true;
    if (routes_[i].method == m) found = &routes_[i];
  }
  return found;
}

bool Router::Authorize(const httplib::Request& req, httplib::Response& res, Scope scope) const {
  if (scope == Scope::kNone || keys_.empty()) return true;
  const std::string key = PresentedKey(req);
  const Scope granted = key.empty() ? Scope::kNone : keys_.Check(key);
  if (granted >= scope) return true;
  if (granted == Scope::kNone) {
    res.set_header("WWW-Authenticate", "Bearer");
    SetError(res, 401, "unauthorized",
             key.empty() ? "an API key is required (Authorization: Bearer KEY)"
                         : "the API key is not valid");
  } else {
    SetError(res, 403, "forbidden", "this API key may only read");
  }
  return false;
}

void Router::InstallHooks() {
  http_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    res.set_header(kStartHeader, std::to_string(NowNanos()));
    if (req.method != "OPTIONS" || cors_origin_.empty()) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    // A CORS preflight: say what the browser may send; the real request is checked as usual.
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE");
    res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-API-Key");
    res.set_header("Access-Control-Max-Age", "600");
    return httplib::Server::HandlerResponse::Handled;
  });

  // Called for every answer of 400 or more; handlers' own errors already have a body.
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = "HTTP " + std::to_string(res.status);
        bool path_exists = false;
        if (res.status < 500 && !Find(req.method, req.path, &path_exists) && path_exists) {
          res.status = 405;
          message = req.method + " is not allowed on " + req.path;
        } else if (res.status == 404) {
          message = "no route " + req.method + " " + req.path + " (see /openapi.json)";
        } else if (res.status == 413 &&
                   req.get_header_value("Content-Type").starts_with(kFormEncoded)) {
          // httplib caps form-encoded bodies at 8 KiB, and curl's --data-binary sends that type
          // unless told otherwise: say how to send a picture or JSON instead.
          message =
              "a form-encoded body is limited to 8 KiB: send pictures as image/* or "
              "application/octet-stream, and JSON as application/json";
        } else if (res.status == 413) {
          message = "the request body is larger than the server accepts";
        }
        SetError(res, res.status, CodeForHttpStatus(res.status), message);
        return httplib::Server::HandlerResponse::Handled;
      }));

  http_.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    double seconds = 0;
    if (res.has_header(kStartHeader)) {
      const int64_t start = std::stoll(res.get_header_value(kStartHeader));
      seconds = static_cast<double>(NowNanos() - start) * 1e-9;
      res.headers.erase(kStartHeader);
    }
    if (!cors_origin_.empty()) res.set_header("Access-Control-Allow-Origin", cors_origin_);
    bool path_exists = false;
    const Route* route = Find(req.method, req.path, &path_exists);
    const std::string label = route                                     ? route->path
                              : req.method == "GET" && res.status < 400 ? "static"
                                                                        : "unmatched";
    metrics_.Record(label, req.method, res.status, seconds);
  });
}

}  // namespace alike::server
