// /openapi.json must describe exactly the routes the server has: every routed path and method
// is documented, and everything documented is routed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "server/api.h"
#include "server/local_collections.h"
#include "server/server.h"
#include "testing/temp_dir.h"

namespace alike::server {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Every route of `server` is documented, and every documented route is routed.
void ExpectDocumentsExactly(const Server& server) {
  std::set<std::pair<std::string, std::string>> routed;
  for (const Route& r : server.routes()) {
    EXPECT_TRUE(routed.insert({r.path, Lower(r.method)}).second) << "twice: " << r.path;
  }
  const auto doc = nlohmann::json::parse(OpenApiDocument(), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "openapi.cc is not valid JSON";
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      documented.insert({path, method});
      EXPECT_TRUE(op.contains("responses")) << method << " " << path;
    }
  }
  for (const auto& r : routed) {
    EXPECT_TRUE(documented.count(r))
        << "routed but not in /openapi.json: " << r.second << " " << r.first;
  }
  for (const auto& d : documented) {
    EXPECT_TRUE(routed.count(d)) << "in /openapi.json but not routed: " << d.second << " "
                                 << d.first;
  }
  // Every parameter a path template names is declared.
  for (const auto& [path, item] : doc["paths"].items()) {
    const std::string text = item.dump();
    for (const char* name : {"id", "name"}) {
      if (path.find(std::string("{") + name + "}") == std::string::npos) continue;
      EXPECT_NE(text.find(std::string("#/components/parameters/") + name), std::string::npos)
          << path;
    }
  }
}

TEST(OpenApiTest, DocumentsExactlyTheRoutes) {
  test::TempDir dir;
  auto lib = Library::Open(dir.Sub("lib"), {.create_if_missing = true, .embedders = {"color"}});
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  auto server = Server::Create(**lib, {.port = 0});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ExpectDocumentsExactly(**server);
}

// A cluster router answers every documented route too (the library's with 501); here over a
// local database, which the routes cannot tell from a cluster.
TEST(OpenApiTest, RouterDocumentsExactlyTheRoutes) {
  test::TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  LocalCollections collections(**db);
  auto server = Server::CreateRouter(
      collections, [] { return Result<nlohmann::json>(nlohmann::json::object()); }, nullptr,
      {.port = 0});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ExpectDocumentsExactly(**server);
}

TEST(ServerOptionsTest, RefusesAnOpenServerOffLoopback) {
  test::TempDir dir;
  auto lib = Library::Open(dir.Sub("lib"), {.create_if_missing = true, .embedders = {"color"}});
  ASSERT_TRUE(lib.ok());
  auto open = Server::Create(**lib, {.bind = "0.0.0.0", .port = 0});
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_TRUE(Server::Create(**lib, {.bind = "0.0.0.0", .port = 0, .insecure_open = true}).ok());
  EXPECT_TRUE(Server::Create(**lib, {.bind = "127.0.0.1", .port = 0}).ok());
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_TRUE(IsLoopback("127.0.0.2"));
  EXPECT_FALSE(IsLoopback("192.168.1.2"));
  EXPECT_FALSE(IsLoopback("127.evil.example"));
}

}  // namespace
}  // namespace alike::server
