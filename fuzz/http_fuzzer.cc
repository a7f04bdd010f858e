// HTTP requests as the server reads them, without sockets: raw request bytes go through
// httplib's request parser (headers, chunked bodies, multipart forms, query strings) into the
// server's Router (route matching, API-key check, error bodies, metrics) and handlers that use
// every request reader of server/http_input.h. Each input must end in an answer; a reader that
// accepts a value must keep it within the bounds it was given.
#include <httplib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "server/api_keys.h"
#include "server/http_input.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/write_gate.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// The request bytes as a connection that has sent them all; answers are discarded.
class InputStream : public httplib::Stream {
 public:
  InputStream(const uint8_t* data, size_t size) : data_(data), left_(size) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, left_);
    std::memcpy(ptr, data_, n);
    data_ += n;
    left_ -= n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char*, size_t size) override { return static_cast<ssize_t>(size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 1;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 2;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  const uint8_t* data_;
  size_t left_;
};

class Server : public httplib::Server {
 public:
  Server() : router_(*this, keys_, metrics_, writes_, "https://example.org") {
    set_payload_max_length(1 << 20);
    using alike::server::Scope;
    router_.Add("POST", "/v1/collections/{name}/records/{id}", Scope::kWrite,
                [](const httplib::Request& req, httplib::Response& res) {
                  auto id = alike::server::PathId(req, 2);
                  auto body = alike::server::JsonBody(req);
                  if (body.ok()) Check(body->is_object());
                  res.status = id.ok() && body.ok() ? 200 : 400;
                });
    router_.Add("GET", "/v1/search", Scope::kRead,
                [](const httplib::Request& req, httplib::Response& res) {
                  auto k = alike::server::QueryInt(req, "k", 10, 1, 1000);
                  if (k.ok()) Check(*k >= 1 && *k <= 1000);
                  auto distance = alike::server::QueryFloat(req, "max_distance");
                  res.status = k.ok() && distance.ok() ? 200 : 400;
                });
    router_.Add("POST", "/v1/search/upload", Scope::kRead,
                [](const httplib::Request& req, httplib::Response& res) {
                  auto upload = alike::server::UploadFrom(req);
                  if (upload.ok()) Check(!upload->data.empty() && !upload->name.empty());
                  res.status = upload.ok() ? 200 : 400;
                });
  }

  void Serve(const uint8_t* data, size_t size) {
    InputStream stream(data, size);
    bool closed = false;
    process_request(stream, /*close_connection=*/true, closed, nullptr);
  }

 private:
  alike::server::KeyStore keys_;
  alike::server::Metrics metrics_;
  alike::server::WriteGate writes_{4};
  alike::server::Router router_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Server server;
  server.Serve(data, size);
  return 0;
}
