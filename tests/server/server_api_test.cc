// The HTTP API end to end: the real `alike serve` binary on a loopback port, over a library of
// real photos (the shared flowers set), driven with an HTTP client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "alike/library.h"
#include "server/api.h"
#include "server/api_keys.h"
#include "testing/cli.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"
#include "util/text.h"

namespace alike::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json Body(const httplib::Result& r) {
  if (!r) return json();
  return json::parse(r->body, nullptr, false);
}

std::string ErrorCode(const httplib::Result& r) {
  const json b = Body(r);
  return b.contains("error") ? b["error"].value("code", "") : "";
}

class ServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kFlowers)) GTEST_SKIP() << "shared photos absent: " << kFlowers;
    for (const char* cls : {"daisy", "rose"}) {
      for (const auto& e : fs::directory_iterator(kFlowers + cls)) all_[cls].push_back(e.path());
      std::sort(all_[cls].begin(), all_[cls].end());
    }
    // The library: three daisies and three roses, under a folder the server may index.
    fs::create_directories(dir_.Sub("roots/photos"));
    for (const char* cls : {"daisy", "rose"}) {
      for (int i = 0; i < 3; ++i) {
        fs::copy_file(Photo(cls, i), dir_.Sub("roots/photos/") + cls + std::to_string(i) + ".jpg");
      }
    }
    ASSERT_EQ(RunAlike(dir_, "init --embedders color").exit_code, 0);
    const RunResult indexed = RunAlike(dir_, "index -q " + dir_.Sub("roots/photos"));
    ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  }

  // The i-th photo of a class (sorted), as a path in the shared set.
  std::string Photo(const std::string& cls, size_t i) { return all_[cls].at(i).string(); }

  std::unique_ptr<ServerProcess> Start(std::vector<std::string> args = {}) {
    args.insert(args.end(), {"--roots", dir_.Sub("roots")});
    auto server = std::make_unique<ServerProcess>(dir_.Sub("db"), args);
    EXPECT_GT(server->port(), 0) << server->output();
    return server;
  }

  // The library's id of one of the indexed photos (before Start: a server holds the library).
  uint64_t IdOf(const std::string& name) {
    RunResult r = RunAlike(dir_, "--json show " + dir_.Sub("roots/photos/" + name));
    return json::parse(r.out).at("id").get<uint64_t>();
  }

  static inline const std::string kFlowers =
      std::string(ALIKE_SHARED_DIR) + "/data/categories/flowers/flowers/";
  TempDir dir_;
  std::map<std::string, std::vector<fs::path>> all_;
};

TEST_F(ServerApiTest, HealthStatsAndOpenApi) {
  auto server = Start();
  auto client = server->Client();
  auto health = client->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto stats = client->Get("/v1/library");
  ASSERT_TRUE(stats);
  EXPECT_EQ(Body(stats)["images"], 6);
  EXPECT_EQ(Body(stats)["spaces"][0]["embedder"], "color");
  auto doc = client->Get("/openapi.json");
  ASSERT_TRUE(doc);
  EXPECT_EQ(Body(doc), json::parse(server::OpenApiDocument()));
}

TEST_F(ServerApiTest, ServesTheWebFolderAtTheRoot) {
  fs::create_directories(dir_.Sub("web"));
  std::ofstream(dir_.Sub("web/index.html")) << "<!doctype html><title>alike</title>";
  auto server = Start({"--web", dir_.Sub("web")});
  auto client = server->Client();
  auto page = client->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, "<!doctype html><title>alike</title>");
  EXPECT_EQ(page->get_header_value("Content-Type").substr(0, 9), "text/html");
  EXPECT_EQ(client->Get("/../keys")->status, 404);
  EXPECT_EQ(client->Get("/healthz")->status, 200);
}

// Without --web the page compiled into the binary is served (tests/web/e2e.mjs drives it).
TEST_F(ServerApiTest, ServesTheBuiltInPageByDefault) {
  auto server = Start();
  auto client = server->Client();
  const std::map<std::string, std::string> types = {{"/", "text/html; charset=utf-8"},
                                                    {"/index.html", "text/html; charset=utf-8"},
                                                    {"/app.js", "text/javascript; charset=utf-8"},
                                                    {"/style.css", "text/css; charset=utf-8"}};
  for (const auto& [route, type] : types) {
    auto got = client->Get(route);
    ASSERT_TRUE(got) << route;
    EXPECT_EQ(got->status, 200) << route;
    EXPECT_EQ(got->get_header_value("Content-Type"), type) << route;
    const std::string file = route == "/" ? "index.html" : route.substr(1);
    EXPECT_EQ(got->body, Slurp(std::string(ALIKE_SOURCE_DIR) + "/web/" + file)) << route;
  }
  EXPECT_EQ(client->Get("/nothing.html")->status, 404);
}

TEST_F(ServerApiTest, SearchByUploadRawAndMultipartFindsThePictureFirst) {
  const uint64_t id = IdOf("rose1.jpg");
  auto server = Start();
  auto client = server->Client();
  const std::string rose = Slurp(Photo("rose", 1));
  auto raw = client->Post("/v1/search?k=3", rose, "image/jpeg");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  const json hits = Body(raw)["results"];
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0]["id"], id);
  EXPECT_NEAR(hits[0]["score"].get<double>(), 1.0, 1e-4);
  EXPECT_GE(hits[0]["score"].get<double>(), hits[1]["score"].get<double>());

  httplib::MultipartFormDataItems form = {{"image", rose, "rose.jpg", "image/jpeg"}};
  auto multipart = client->Post("/v1/search?k=3", form);
  ASSERT_TRUE(multipart);
  ASSERT_EQ(multipart->status, 200) << multipart->body;
  EXPECT_EQ(Body(multipart)["results"], hits);

  // min_score keeps only the picture itself; filters apply to image fields.
  auto strict = client->Post("/v1/search?min_score=0.9999", rose, "image/jpeg");
  ASSERT_TRUE(strict);
  EXPECT_EQ(Body(strict)["results"].size(), 1u);
  auto none = client->Post("/v1/search?filter=%7B%22format%22%3A%22png%22%7D", rose, "image/jpeg");
  ASSERT_TRUE(none);
  EXPECT_EQ(Body(none)["results"].size(), 0u) << none->body;
}

TEST_F(ServerApiTest, SearchByIdExcludesTheImage) {
  const uint64_t id = IdOf("daisy0.jpg");
  auto server = Start();
  auto client = server->Client();
  auto r = client->Get("/v1/images/" + std::to_string(id) + "/similar?k=5");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json hits = Body(r)["results"];
  EXPECT_EQ(hits.size(), 5u);
  for (const json& h : hits) EXPECT_NE(h["id"], id);
  auto missing = client->Get("/v1/images/999999/similar");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(ErrorCode(missing), "not_found");
}

TEST_F(ServerApiTest, AddSearchFetchAndDeleteAnUpload) {
  auto server = Start();
  auto client = server->Client();
  const std::string daisy = Slurp(Photo("daisy", 10));
  auto added = client->Post("/v1/images", daisy, "image/jpeg");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 201) << added->body;
  EXPECT_EQ(Body(added)["status"], "indexed");
  const uint64_t id = Body(added)["image"]["id"];
  const std::string stored = Body(added)["image"]["paths"][0];
  EXPECT_TRUE(fs::exists(stored));

  auto again = client->Post("/v1/images", daisy, "image/jpeg");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(Body(again)["image"]["id"], id);

  auto found = client->Post("/v1/search?k=1", daisy, "image/jpeg");
  ASSERT_TRUE(found);
  EXPECT_EQ(Body(found)["results"][0]["id"], id);

  const std::string path = "/v1/images/" + std::to_string(id);
  auto facts = client->Get(path);
  ASSERT_TRUE(facts);
  EXPECT_EQ(Body(facts)["format"], "jpeg");
  EXPECT_EQ(Body(facts)["bytes"], daisy.size());
  auto thumb = client->Get(path + "/thumbnail");
  ASSERT_TRUE(thumb);
  EXPECT_EQ(thumb->status, 200);
  EXPECT_EQ(thumb->get_header_value("Content-Type"), "image/jpeg");
  ASSERT_GE(thumb->body.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(thumb->body[0]), 0xFF);
  EXPECT_EQ(static_cast<uint8_t>(thumb->body[1]), 0xD8);

  auto tagged = client->Post(path + "/tags", R"({"add": ["garden"]})", "application/json");
  ASSERT_TRUE(tagged);
  EXPECT_EQ(Body(tagged)["tags"], json::array({"garden"}));
  auto filtered =
      client->Post("/v1/search?filter=%7B%22tags%22%3A%22garden%22%7D", daisy, "image/jpeg");
  ASSERT_TRUE(filtered);
  ASSERT_EQ(Body(filtered)["results"].size(), 1u);

  auto deleted = client->Delete(path);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_FALSE(fs::exists(stored));
  auto gone = client->Get(path);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404);
  EXPECT_EQ(ErrorCode(gone), "not_found");
  auto after = client->Post("/v1/search?k=1", daisy, "image/jpeg");
  ASSERT_TRUE(after);
  EXPECT_NE(Body(after)["results"][0]["id"], id);
}

TEST_F(ServerApiTest, RefusesUploadsThatAreNotPicturesTooLargeOrTooManyPixels) {
  auto server = Start({"--max-body", "100000", "--max-pixels", "10000"});
  auto client = server->Client();
  auto garbage = client->Post("/v1/images", std::string(5000, 'x'), "image/jpeg");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 422);
  EXPECT_EQ(ErrorCode(garbage), "invalid_image");
  // curl's default for --data-binary, which httplib caps at 8 KiB: the message says what to do.
  auto form =
      client->Post("/v1/search", std::string(9000, 'x'), "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 413);
  EXPECT_NE(Body(form)["error"]["message"].get<std::string>().find("image/"), std::string::npos);
  auto big = client->Post("/v1/search", std::string(200000, 'x'), "image/jpeg");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(ErrorCode(big), "payload_too_large");
  // The flowers are 128 px on the long side, over 10,000 pixels.
  const std::string rose = Slurp(Photo("rose", 20));
  auto wide = client->Post("/v1/search", rose, "image/jpeg");
  ASSERT_TRUE(wide);
  EXPECT_EQ(wide->status, 422) << wide->body;
  auto wide_add = client->Post("/v1/images", rose, "image/jpeg");
  ASSERT_TRUE(wide_add);
  EXPECT_EQ(wide_add->status, 422) << wide_add->body;
  auto stats = client->Get("/v1/library");
  EXPECT_EQ(Body(stats)["images"], 6);
}

TEST_F(ServerApiTest, IndexesServerPathsOnlyInsideTheRoots) {
  fs::create_directories(dir_.Sub("outside"));
  fs::copy_file(Photo("daisy", 30), dir_.Sub("outside/secret.jpg"));
  fs::create_directories(dir_.Sub("roots/new"));
  fs::copy_file(Photo("daisy", 31), dir_.Sub("roots/new/a.jpg"));
  fs::copy_file(Photo("rose", 31), dir_.Sub("roots/new/b.jpg"));
  fs::create_directories(dir_.Sub("roots/trap"));
  fs::create_symlink(dir_.Sub("outside"), dir_.Sub("roots/trap/link"));
  fs::create_symlink(dir_.Sub("outside/secret.jpg"), dir_.Sub("roots/secret.jpg"));
  auto server = Start();
  auto client = server->Client();
  auto post = [&](const std::string& path) {
    return client->Post("/v1/index", json{{"paths", {path}}}.dump(), "application/json");
  };
  for (const std::string& escape :
       {std::string("../outside"), dir_.Sub("roots/../outside/secret.jpg"), dir_.Sub("outside"),
        std::string("trap"), std::string("trap/link/secret.jpg"), std::string("secret.jpg"),
        std::string("/etc")}) {
    auto r = post(escape);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << escape << ": " << r->body;
    EXPECT_EQ(ErrorCode(r), "path_forbidden") << escape;
  }
  EXPECT_EQ(Body(client->Get("/v1/library"))["images"], 6);
  auto ok = post("new");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Body(ok)["indexed"], 2);
  EXPECT_EQ(Body(ok)["cancelled"], false);
  EXPECT_EQ(Body(client->Get("/v1/library"))["images"], 8);
}

TEST_F(ServerApiTest, GenericCollections) {
  auto server = Start();
  auto client = server->Client();
  auto created = client->Post(
      "/v1/collections", R"({"name": "docs", "dimension": 3, "metric": "l2"})", "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto twice =
      client->Post("/v1/collections", R"({"name": "docs", "dimension": 3})", "application/json");
  EXPECT_EQ(twice->status, 409);
  const json records = {{"records",
                         {{{"id", 1}, {"vector", {0, 0, 0}}, {"payload", {{"kind", "a"}}}},
                          {{"id", 2}, {"vector", {1, 0, 0}}, {"payload", {{"kind", "b"}}}},
                          {{"id", 3}, {"vector", {5, 5, 5}}}}}};
  auto upserted = client->Post("/v1/collections/docs/records", records.dump(), "application/json");
  ASSERT_TRUE(upserted);
  ASSERT_EQ(upserted->status, 200) << upserted->body;
  auto wrong_dim =
      client->Post("/v1/collections/docs/records", R"({"records": [{"id": 9, "vector": [1, 2]}]})",
                   "application/json");
  EXPECT_EQ(wrong_dim->status, 400) << wrong_dim->body;

  auto by_vector = client->Post("/v1/collections/docs/search", R"({"vector": [0.9, 0, 0], "k": 2})",
                                "application/json");
  ASSERT_TRUE(by_vector);
  ASSERT_EQ(by_vector->status, 200) << by_vector->body;
  EXPECT_EQ(Body(by_vector)["results"][0]["id"], 2);
  EXPECT_EQ(Body(by_vector)["results"][1]["id"], 1);
  auto filtered =
      client->Post("/v1/collections/docs/search",
                   R"({"vector": [0.9, 0, 0], "filter": {"kind": "a"}})", "application/json");
  EXPECT_EQ(Body(filtered)["results"].size(), 1u);
  auto by_id =
      client->Post("/v1/collections/docs/search", R"({"id": 3, "k": 1})", "application/json");
  EXPECT_EQ(Body(by_id)["results"][0]["id"], 3);
  auto record = client->Get("/v1/collections/docs/records/2");
  EXPECT_EQ(Body(record)["payload"]["kind"], "b");

  auto deleted = client->Post("/v1/collections/docs/delete", R"({"ids": [2]})", "application/json");
  EXPECT_EQ(Body(deleted)["deleted"], 1);
  EXPECT_EQ(client->Get("/v1/collections/docs/records/2")->status, 404);
  EXPECT_EQ(Body(client->Get("/v1/collections/docs"))["count"], 2);

  // The image spaces can be searched but not written through the generic routes.
  EXPECT_EQ(client->Delete("/v1/collections/image.color")->status, 403);
  EXPECT_EQ(
      client->Post("/v1/collections/image.color/delete", R"({"ids": [1]})", "application/json")
          ->status,
      403);
  EXPECT_EQ(Body(client->Get("/v1/collections/image.color"))["count"], 6);

  EXPECT_EQ(client->Delete("/v1/collections/docs")->status, 200);
  EXPECT_EQ(client->Get("/v1/collections/docs")->status, 404);
}

TEST_F(ServerApiTest, ErrorsAreJsonWithStableCodes) {
  auto server = Start();
  auto client = server->Client();
  auto no_route = client->Get("/v1/nothing");
  EXPECT_EQ(no_route->status, 404);
  EXPECT_EQ(ErrorCode(no_route), "route_not_found");
  auto wrong_method = client->Delete("/v1/library");
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(ErrorCode(wrong_method), "method_not_allowed");
  auto bad_k = client->Get("/v1/images/1/similar?k=0");
  EXPECT_EQ(bad_k->status, 400);
  EXPECT_EQ(ErrorCode(bad_k), "invalid_argument");
  auto bad_json = client->Post("/v1/collections", "{not json", "application/json");
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_EQ(ErrorCode(bad_json), "invalid_argument");
  auto wrong_type =
      client->Post("/v1/collections", R"({"name": 5, "dimension": 3})", "application/json");
  EXPECT_EQ(wrong_type->status, 400);
  auto unknown_space = client->Get("/v1/images/1/similar?by=nope");
  EXPECT_GE(unknown_space->status, 400);
  EXPECT_LT(unknown_space->status, 500);
  EXPECT_FALSE(ErrorCode(unknown_space).empty());
  // CORS is off unless configured.
  EXPECT_FALSE(client->Get("/healthz")->has_header("Access-Control-Allow-Origin"));
}

TEST_F(ServerApiTest, KeysGateReadsAndWrites) {
  std::ofstream(dir_.Sub("keys")) << HexString(server::HashKey("reader")) << " read r\n"
                                  << HexString(server::HashKey("writer")) << " write w\n";
  auto server = Start({"--keys", dir_.Sub("keys"), "--cors", "http://example.test"});
  auto client = server->Client();
  EXPECT_EQ(client->Get("/healthz")->status, 200);
  auto anonymous = client->Get("/v1/library");
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(ErrorCode(anonymous), "unauthorized");
  EXPECT_EQ(client->Get("/v1/library", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(client->Get("/v1/library", {{"Authorization", "Bearer reader"}})->status, 200);
  EXPECT_EQ(client->Get("/metrics", {{"X-API-Key", "reader"}})->status, 200);

  const std::string daisy = Slurp(Photo("daisy", 12));
  auto read_only =
      client->Post("/v1/images", {{"Authorization", "Bearer reader"}}, daisy, "image/jpeg");
  EXPECT_EQ(read_only->status, 403);
  EXPECT_EQ(ErrorCode(read_only), "forbidden");
  EXPECT_EQ(client->Post("/v1/images", daisy, "image/jpeg")->status, 401);
  auto search =
      client->Post("/v1/search", {{"Authorization", "Bearer reader"}}, daisy, "image/jpeg");
  EXPECT_EQ(search->status, 200);
  EXPECT_EQ(search->get_header_value("Access-Control-Allow-Origin"), "http://example.test");
  auto written =
      client->Post("/v1/images", {{"Authorization", "Bearer writer"}}, daisy, "image/jpeg");
  EXPECT_EQ(written->status, 201) << written->body;
  EXPECT_EQ(Body(client->Get("/v1/library", {{"X-API-Key", "writer"}}))["images"], 7);
}

TEST_F(ServerApiTest, RefusesToServeOffLoopbackWithoutKeys) {
  ServerProcess server(dir_.Sub("db"), {"--bind", "0.0.0.0"});
  EXPECT_EQ(server.port(), 0);
  EXPECT_EQ(server.Wait(), 1);
  EXPECT_NE(server.output().find("without API keys"), std::string::npos) << server.output();
}

TEST_F(ServerApiTest, MetricsCountRequestsAndCollectionSizes) {
  auto server = Start();
  auto client = server->Client();
  const std::string rose = Slurp(Photo("rose", 0));
  for (int i = 0; i < 3; ++i) client->Post("/v1/search", rose, "image/jpeg");
  client->Get("/v1/images/424242");
  const std::string text = client->Get("/metrics")->body;
  EXPECT_NE(text.find("alike_http_requests_total{route=\"/v1/search\",method=\"POST\","
                      "status=\"200\"} 3"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("alike_http_requests_total{route=\"/v1/images/{id}\",method=\"GET\","
                      "status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("alike_http_request_duration_seconds_count{route=\"/v1/search\","
                      "method=\"POST\"} 3"),
            std::string::npos);
  EXPECT_NE(text.find("alike_collection_vectors{collection=\"image.color\"} 6"), std::string::npos);
  EXPECT_NE(text.find("alike_library_images 6"), std::string::npos);
}

TEST_F(ServerApiTest, SearchesRunWhileImagesAreAdded) {
  const uint64_t id = IdOf("rose2.jpg");
  auto server = Start();
  std::atomic<bool> adding{true};
  std::atomic<int> searches{0}, failed_searches{0};
  std::vector<std::thread> searchers;
  for (int t = 0; t < 3; ++t) {
    searchers.emplace_back([&] {
      auto client = server->Client();
      while (adding) {
        auto r = client->Get("/v1/images/" + std::to_string(id) + "/similar?k=5");
        ++searches;
        if (!r || r->status != 200 || Body(r)["results"].size() != 5) {
          ++failed_searches;
          ADD_FAILURE() << (r ? r->body : httplib::to_string(r.error()));
        }
      }
    });
  }
  auto client = server->Client();
  int added = 0;
  for (size_t i = 40; i < 52; ++i) {
    auto r = client->Post("/v1/images", Slurp(Photo(i % 2 ? "rose" : "daisy", i)), "image/jpeg");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201) << r->body;
    added += r->status == 201;
  }
  adding = false;
  for (std::thread& t : searchers) t.join();
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(failed_searches.load(), 0);
  EXPECT_EQ(Body(client->Get("/v1/library"))["images"], 6 + added);
}

// Writers upload pictures and upsert records as fast as they can; SIGTERM arrives in the middle.
// The server must exit 0 and every write it acknowledged must be in the library afterwards.
TEST_F(ServerApiTest, SigtermLosesNoAcknowledgedWrite) {
  auto server = Start();
  ASSERT_EQ(server->Client()
                ->Post("/v1/collections", R"({"name": "acks", "dimension": 2})", "application/json")
                ->status,
            201);
  std::mutex mu;
  std::vector<uint64_t> acked_records, acked_images;
  std::atomic<bool> go{true};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      auto client = server->Client();
      for (uint64_t i = 0; go; ++i) {
        const uint64_t id = i * 2 + t;
        const json body = {{"records", {{{"id", id}, {"vector", {1.0 + id, 1.0}}}}}};
        auto r = client->Post("/v1/collections/acks/records", body.dump(), "application/json");
        if (!r) break;  // the server has closed
        if (r->status == 200) {
          std::lock_guard lock(mu);
          acked_records.push_back(id);
        }
      }
    });
  }
  writers.emplace_back([&] {
    auto client = server->Client();
    for (size_t i = 60; go && i < 160; ++i) {
      auto r = client->Post("/v1/images", Slurp(Photo("daisy", i)), "image/jpeg");
      if (!r) break;
      if (r->status == 201) {
        std::lock_guard lock(mu);
        acked_images.push_back(Body(r)["image"]["id"]);
      }
    }
  });
  // Let the writers get going, then stop the server under them.
  for (int i = 0; i < 3000; ++i) {
    {
      std::lock_guard lock(mu);
      if (acked_records.size() >= 50 && acked_images.size() >= 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int exit_code = server->StopWith(SIGTERM);
  go = false;
  for (std::thread& t : writers) t.join();
  EXPECT_EQ(exit_code, 0) << server->output();
  ASSERT_GE(acked_records.size(), 50u);
  ASSERT_GE(acked_images.size(), 3u);

  auto lib = Library::Open(dir_.Sub("db"), {});
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  auto acks = (*lib)->database().GetCollection("acks");
  ASSERT_TRUE(acks.ok());
  for (uint64_t id : acked_records) EXPECT_TRUE((*acks)->Get(id).ok()) << "lost record " << id;
  for (uint64_t id : acked_images) EXPECT_TRUE((*lib)->GetImage(id).ok()) << "lost image " << id;
}

}  // namespace
}  // namespace alike::test
