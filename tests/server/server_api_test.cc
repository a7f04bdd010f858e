// The HTTP API end to end: the real `alike serve` binary on a loopback port, over a library of
// real photos (the shared flowers set), driven with an HTTP client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "alike/library.h"
#include "embed/face_embedder.h"
#include "embed/model_dir.h"
#include "server/api.h"
#include "server/api_keys.h"
#include "testing/cli.h"
#include "testing/deepface.h"
#include "testing/models.h"
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

std::string ErrorMessage(const httplib::Result& r) {
  const json b = Body(r);
  return b.contains("error") ? b["error"].value("message", "") : "";
}

// The library's id of an indexed file (before a server starts: it holds the library).
uint64_t IdOf(const TempDir& dir, const std::string& path) {
  RunResult r = RunAlike(dir, "--json show " + path);
  return json::parse(r.out).at("id").get<uint64_t>();
}

// `alike serve` over dir's library, with the arguments given.
std::unique_ptr<ServerProcess> StartServer(const TempDir& dir,
                                           const std::vector<std::string>& args) {
  auto server = std::make_unique<ServerProcess>(dir.Sub("db"), args);
  EXPECT_GT(server->port(), 0) << server->output();
  return server;
}

// A key file with the read key "reader" and the write key "writer".
std::string WriteKeys(const TempDir& dir) {
  std::ofstream(dir.Sub("keys")) << HexString(server::HashKey("reader")) << " read r\n"
                                 << HexString(server::HashKey("writer")) << " write w\n";
  return dir.Sub("keys");
}

std::string Jpeg(const cv::Mat& image, int quality) {
  std::vector<uint8_t> bytes;
  cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, quality});
  return std::string(bytes.begin(), bytes.end());
}

// `count` distinct small pictures (random noise) in `dir`: an index job over them lasts a while.
void WriteNoisePictures(const std::string& dir, int count) {
  fs::create_directories(dir);
  cv::RNG rng(count);
  cv::Mat img(32, 32, CV_8UC3);
  for (int i = 0; i < count; ++i) {
    rng.fill(img, cv::RNG::UNIFORM, 0, 256);
    ASSERT_TRUE(cv::imwrite(dir + "/" + std::to_string(i) + ".png", img));
  }
}

bool Ended(const json& job) {
  const std::string state = job.value("state", "");
  return state == "done" || state == "failed" || state == "cancelled";
}

// Polls an index job until `until` holds for it (or it cannot be read); its last state.
json PollJob(httplib::Client& client, uint64_t id, const std::function<bool(const json&)>& until) {
  json job;
  // Bounded only so that a job that never ends fails the test instead of hanging it.
  for (int i = 0; i < 30'000; ++i) {
    auto r = client.Get("/v1/index/jobs/" + std::to_string(id));
    if (!r || r->status != 200) return job;
    job = Body(r);
    if (until(job)) return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return job;
}

json PollJobToEnd(httplib::Client& client, uint64_t id) { return PollJob(client, id, Ended); }

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
    return StartServer(dir_, args);
  }

  // Starts a job over kManyPictures small pictures and follows it until it has indexed some:
  // the job as it then stands (running: the job lasts far longer than a few polls).
  json StartLongJob(httplib::Client& client) {
    WriteNoisePictures(dir_.Sub("roots/many"), kManyPictures);
    auto started = client.Post("/v1/index", json{{"paths", {"many"}}}.dump(), "application/json");
    if (!started || started->status != 202) return json();
    return PollJob(client, Body(started)["id"].get<uint64_t>(),
                   [](const json& job) { return Ended(job) || job.value("indexed", 0) > 0; });
  }

  // The library's id of one of the indexed photos.
  uint64_t IdOf(const std::string& name) {
    return test::IdOf(dir_, dir_.Sub("roots/photos/" + name));
  }

  static constexpr int kManyPictures = 3000;
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
  EXPECT_EQ(Body(stats)["spaces"][0]["model"], "hsv16x4x2g2/2");
  EXPECT_EQ(Body(stats)["spaces"][0]["fingerprint"].get<std::string>().size(), 8u);
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
    return client->Post("/v1/index?wait=true", json{{"paths", {path}}}.dump(), "application/json");
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

TEST_F(ServerApiTest, IndexJobsRunInTheBackgroundAndCountEveryFile) {
  fs::create_directories(dir_.Sub("roots/new"));
  fs::copy_file(Photo("daisy", 31), dir_.Sub("roots/new/a.jpg"));
  fs::copy_file(Photo("rose", 31), dir_.Sub("roots/new/b.jpg"));
  fs::copy_file(dir_.Sub("roots/photos/daisy0.jpg"), dir_.Sub("roots/new/copy.jpg"));
  std::ofstream(dir_.Sub("roots/new/broken.jpg")) << "not a JPEG at all";
  auto server = Start();
  auto client = server->Client();
  const std::string body = json{{"paths", {"new"}}}.dump();

  auto started = client->Post("/v1/index", body, "application/json");
  ASSERT_TRUE(started);
  ASSERT_EQ(started->status, 202) << started->body;
  const json queued = Body(started);
  const uint64_t id = queued["id"];
  EXPECT_EQ(started->get_header_value("Location"), "/v1/index/jobs/" + std::to_string(id));
  EXPECT_EQ(queued["paths"], json({"new"}));
  EXPECT_TRUE(queued["state"] == "queued" || queued["state"] == "running") << queued;

  const json job = PollJobToEnd(*client, id);
  EXPECT_EQ(job["state"], "done") << job;
  EXPECT_EQ(job["total"], 4) << job;
  EXPECT_EQ(job["done"], 4);
  EXPECT_EQ(job["indexed"], 2);
  EXPECT_EQ(job["duplicates"], 1);
  EXPECT_EQ(job["failed"], 1);
  EXPECT_TRUE(job["stopped_by"].is_null());
  EXPECT_TRUE(job["finished"].is_string());
  const json& failures = job["failures"];
  ASSERT_EQ(failures.size(), 1u) << job;
  EXPECT_EQ(failures[0]["path"], fs::canonical(dir_.Sub("roots/new/broken.jpg")).string());
  EXPECT_FALSE(failures[0]["reason"].get<std::string>().empty());
  EXPECT_EQ(Body(client->Get("/v1/library"))["images"], 8);

  // Again, answering when it is over, with the fields the route gave before jobs.
  auto again = client->Post("/v1/index?wait=true", body, "application/json");
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200) << again->body;
  const json rerun = Body(again);
  EXPECT_EQ(rerun["state"], "done");
  EXPECT_EQ(rerun["indexed"], 0);
  EXPECT_EQ(rerun["unchanged"], 3);
  EXPECT_EQ(rerun["failed"], 1);  // a failure is tried again
  EXPECT_EQ(rerun["cancelled"], false);
  EXPECT_TRUE(rerun["seconds"].is_number());

  // The list holds both, newest first.
  const json list = Body(client->Get("/v1/index/jobs"))["jobs"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], rerun["id"]);
  EXPECT_EQ(list[1]["id"], id);
  EXPECT_EQ(client->Post("/v1/index?wait=maybe", body, "application/json")->status, 400);
}

TEST_F(ServerApiTest, IndexJobRoutesNeedKeysAndNameUnknownJobs) {
  auto server = Start({"--keys", WriteKeys(dir_)});
  auto client = server->Client();
  const httplib::Headers reader = {{"Authorization", "Bearer reader"}};
  const httplib::Headers writer = {{"Authorization", "Bearer writer"}};
  const std::string body = json{{"paths", {"photos"}}}.dump();
  EXPECT_EQ(client->Post("/v1/index", body, "application/json")->status, 401);
  EXPECT_EQ(client->Post("/v1/index", reader, body, "application/json")->status, 403);
  auto unknown = client->Get("/v1/index/jobs/4242", reader);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(ErrorCode(unknown), "not_found");
  EXPECT_NE(ErrorMessage(unknown).find("4242"), std::string::npos) << ErrorMessage(unknown);
  EXPECT_EQ(client->Delete("/v1/index/jobs/4242", writer)->status, 404);

  auto started = client->Post("/v1/index?wait=true", writer, body, "application/json");
  ASSERT_EQ(started->status, 200) << started->body;
  const std::string job = "/v1/index/jobs/" + std::to_string(Body(started)["id"].get<uint64_t>());
  EXPECT_EQ(client->Delete(job)->status, 401);
  auto read_only = client->Delete(job, reader);
  EXPECT_EQ(read_only->status, 403);
  EXPECT_EQ(ErrorCode(read_only), "forbidden");
  auto ended = client->Delete(job, writer);
  EXPECT_EQ(ended->status, 409);  // it has ended: nothing to cancel
  EXPECT_EQ(client->Get(job)->status, 401);
  EXPECT_EQ(client->Get(job, reader)->status, 200);
  EXPECT_EQ(client->Get("/v1/index/jobs", reader)->status, 200);
}

TEST_F(ServerApiTest, CancellingARunningJobKeepsWhatItFinished) {
  auto server = Start();
  auto client = server->Client();
  const json running = StartLongJob(*client);
  ASSERT_EQ(running["state"], "running") << running;
  EXPECT_EQ(running["total"], kManyPictures) << "the total is known once anything is done";
  EXPECT_TRUE(running["eta_seconds"].is_number()) << running;
  const uint64_t id = running["id"];

  // A second job waits for the first; cancelled, it ends at once without running.
  auto second = client->Post("/v1/index", json{{"paths", {"photos"}}}.dump(), "application/json");
  ASSERT_EQ(second->status, 202) << second->body;
  EXPECT_EQ(Body(second)["state"], "queued");
  const json list = Body(client->Get("/v1/index/jobs"))["jobs"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], Body(second)["id"]);
  auto dropped = client->Delete(second->get_header_value("Location"));
  ASSERT_EQ(dropped->status, 200) << dropped->body;
  EXPECT_EQ(Body(dropped)["state"], "cancelled");
  EXPECT_TRUE(Body(dropped)["started"].is_null());

  auto cancel = client->Delete("/v1/index/jobs/" + std::to_string(id));
  ASSERT_TRUE(cancel);
  EXPECT_TRUE(cancel->status == 202 || cancel->status == 200) << cancel->body;
  EXPECT_EQ(Body(cancel)["stopped_by"], "client");
  const json job = PollJobToEnd(*client, id);
  EXPECT_EQ(job["state"], "cancelled") << job;
  EXPECT_EQ(job["stopped_by"], "client");
  EXPECT_LT(job["done"].get<int>(), kManyPictures);
  EXPECT_GE(job["indexed"].get<int>(), running["indexed"].get<int>());
  // Everything the job counted is in the library.
  EXPECT_EQ(Body(client->Get("/v1/library"))["images"], 6 + job["indexed"].get<int>());
}

// SIGTERM in the middle of a job: the server stops the job, exits 0, and every picture a job
// report counted as indexed is in the library.
TEST_F(ServerApiTest, StopDuringAnIndexJobLosesNothingReportedDone) {
  auto server = Start();
  const json running = StartLongJob(*server->Client());
  ASSERT_EQ(running["state"], "running") << running;
  const int reported = running["indexed"];
  EXPECT_EQ(server->StopWith(SIGTERM), 0) << server->output();

  auto lib = Library::Open(dir_.Sub("db"), {});
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  auto info = (*lib)->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_GE(info->images, uint64_t(6 + reported));
  EXPECT_LT(info->images, uint64_t(6 + kManyPictures)) << "the job was not stopped";
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
  auto server = Start({"--keys", WriteKeys(dir_), "--cors", "http://example.test"});
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

// A library with neither the pdq nor the cnn space, nor faces: the routes say how to add them.
TEST_F(ServerApiTest, CopyAndFaceRoutesSayHowToEnableWhatTheyNeed) {
  const uint64_t id = IdOf("rose0.jpg");
  auto server = Start();
  auto client = server->Client();
  const std::string rose = Slurp(Photo("rose", 0));
  auto copies = client->Post("/v1/search/copies", rose, "image/jpeg");
  ASSERT_TRUE(copies);
  EXPECT_EQ(copies->status, 409) << copies->body;
  EXPECT_EQ(ErrorCode(copies), "failed_precondition");
  EXPECT_NE(ErrorMessage(copies).find("--embedders"), std::string::npos) << copies->body;
  auto dups = client->Get("/v1/duplicates");
  ASSERT_TRUE(dups);
  EXPECT_EQ(dups->status, 409) << dups->body;
  EXPECT_NE(ErrorMessage(dups).find("--embedders pdq"), std::string::npos) << dups->body;
  auto faces = client->Post("/v1/search/faces", rose, "image/jpeg");
  ASSERT_TRUE(faces);
  EXPECT_EQ(faces->status, 409) << faces->body;
  EXPECT_NE(ErrorMessage(faces).find("--faces"), std::string::npos) << faces->body;
  auto faces_by_id = client->Get("/v1/images/" + std::to_string(id) + "/faces");
  ASSERT_TRUE(faces_by_id);
  EXPECT_EQ(faces_by_id->status, 409) << faces_by_id->body;
}

// Copy search and duplicate groups over ten UKBench photos (the imagededup test set) hashed with
// pdq and dct64, one of them stored a second time as a half-size, recompressed repost.
class CopyApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kPhotos)) GTEST_SKIP() << "shared photos absent: " << kPhotos;
    fs::create_directories(dir_.Sub("photos"));
    for (const auto& f : fs::directory_iterator(kPhotos)) {
      fs::copy_file(f.path(), dir_.Sub("photos/") + f.path().filename().string());
    }
    original_ = cv::imread(dir_.Sub("photos/ukbench09012.jpg"));
    ASSERT_FALSE(original_.empty());
    cv::Mat half;
    cv::resize(original_, half, {}, 0.5, 0.5, cv::INTER_AREA);
    ASSERT_TRUE(cv::imwrite(dir_.Sub("photos/repost.jpg"), half, {cv::IMWRITE_JPEG_QUALITY, 50}));
    ASSERT_EQ(RunAlike(dir_, "init --embedders pdq,dct64").exit_code, 0);
    const RunResult indexed = RunAlike(dir_, "index -q " + dir_.Sub("photos"));
    ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
    original_id_ = IdOf(dir_, dir_.Sub("photos/ukbench09012.jpg"));
    repost_id_ = IdOf(dir_, dir_.Sub("photos/repost.jpg"));
  }

  static std::set<uint64_t> Ids(const json& results) {
    std::set<uint64_t> ids;
    for (const json& h : results) ids.insert(h["id"].get<uint64_t>());
    return ids;
  }

  static inline const std::string kPhotos =
      std::string(ALIKE_SHARED_DIR) + "/data/copies/imagededup/tests/data/base_images";
  TempDir dir_;
  cv::Mat original_;
  uint64_t original_id_ = 0, repost_id_ = 0;
};

TEST_F(CopyApiTest, FindsAnEditedCopyWhereItLiesAndNothingUnrelated) {
  auto server = StartServer(dir_, {});
  auto client = server->Client();
  // The original less 5% on every side, shrunk to 70% and recompressed: 80-odd PDQ bits away,
  // beyond what a hash alone calls a copy, so the local features must find it.
  const int w = original_.cols, h = original_.rows;
  const cv::Rect middle(w / 20, h / 20, w * 18 / 20, h * 18 / 20);
  cv::Mat edited;
  cv::resize(original_(middle), edited, {}, 0.7, 0.7, cv::INTER_AREA);
  const std::string query = Jpeg(edited, 70);

  auto raw = client->Post("/v1/search/copies?k=5", query, "image/jpeg");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  const json hits = Body(raw)["results"];
  EXPECT_TRUE(Ids(hits).count(original_id_)) << hits.dump();
  for (const uint64_t id : Ids(hits)) {
    EXPECT_TRUE(id == original_id_ || id == repost_id_) << "unrelated: " << hits.dump();
  }
  json original_hit;
  for (const json& hit : hits) {
    if (hit["id"] == original_id_) original_hit = hit;
    EXPECT_GE(hit["confidence"].get<double>(), 0.5) << hit.dump();
    EXPECT_FALSE(hit["mirrored"].get<bool>());
  }
  ASSERT_FALSE(original_hit.is_null());
  // The candidates were matched by the features cached at index time, whose size the library's
  // statistics give.
  EXPECT_EQ(Body(client->Get("/v1/library"))["copy_feature_bytes"].get<uint64_t>(),
            fs::file_size(dir_.Sub("db/copy_features.log")));
  EXPECT_EQ(original_hit["width"], w);
  EXPECT_EQ(original_hit["height"], h);
  // The matched region is where the crop came from, within 3% of the picture's width.
  ASSERT_TRUE(original_hit["corners"].is_array()) << original_hit.dump();
  const cv::Point2f expected[4] = {{float(middle.x), float(middle.y)},
                                   {float(middle.br().x), float(middle.y)},
                                   {float(middle.br().x), float(middle.br().y)},
                                   {float(middle.x), float(middle.br().y)}};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(original_hit["corners"][i][0].get<double>(), expected[i].x, 0.03 * w) << i;
    EXPECT_NEAR(original_hit["corners"][i][1].get<double>(), expected[i].y, 0.03 * w) << i;
  }

  httplib::MultipartFormDataItems form = {{"image", query, "edited.jpg", "image/jpeg"}};
  auto multipart = client->Post("/v1/search/copies?k=5", form);
  ASSERT_TRUE(multipart);
  ASSERT_EQ(multipart->status, 200) << multipart->body;
  EXPECT_EQ(Ids(Body(multipart)["results"]), Ids(hits));

  // Another photo of the set, mirrored, is a copy of that one only.
  cv::Mat other = cv::imread(kPhotos + "/ukbench00120.jpg");
  cv::flip(other, other, 1);
  auto mirrored = client->Post("/v1/search/copies", Jpeg(other, 90), "image/jpeg");
  ASSERT_TRUE(mirrored);
  ASSERT_EQ(mirrored->status, 200) << mirrored->body;
  const json mirrored_hits = Body(mirrored)["results"];
  ASSERT_EQ(mirrored_hits.size(), 1u) << mirrored->body;
  EXPECT_EQ(fs::path(mirrored_hits[0]["path"].get<std::string>()).filename(), "ukbench00120.jpg");
  EXPECT_TRUE(mirrored_hits[0]["mirrored"].get<bool>());

  // A photo from elsewhere has no copies here.
  const std::string daisies =
      std::string(ALIKE_SHARED_DIR) + "/data/categories/flowers/flowers/daisy";
  const std::string flower = Slurp(fs::directory_iterator(daisies)->path().string());
  auto unrelated = client->Post("/v1/search/copies", flower, "image/jpeg");
  ASSERT_TRUE(unrelated);
  ASSERT_EQ(unrelated->status, 200) << unrelated->body;
  EXPECT_EQ(Body(unrelated)["results"], json::array()) << unrelated->body;
}

TEST_F(CopyApiTest, CopiesOfAnIndexedImageAndDuplicateGroups) {
  auto server = StartServer(dir_, {});
  auto client = server->Client();
  auto of_original = client->Get("/v1/images/" + std::to_string(original_id_) + "/copies");
  ASSERT_TRUE(of_original);
  ASSERT_EQ(of_original->status, 200) << of_original->body;
  EXPECT_EQ(Ids(Body(of_original)["results"]), std::set<uint64_t>{repost_id_}) << of_original->body;

  auto dups = client->Get("/v1/duplicates");
  ASSERT_TRUE(dups);
  ASSERT_EQ(dups->status, 200) << dups->body;
  EXPECT_EQ(Body(dups)["max_bits"], 31);
  const json groups = Body(dups)["groups"];
  ASSERT_EQ(groups.size(), 1u) << dups->body;
  EXPECT_EQ(groups[0]["keeper"], original_id_) << "the larger picture is kept";
  ASSERT_EQ(groups[0]["images"].size(), 2u);
  EXPECT_EQ(groups[0]["images"][0]["id"], original_id_);
  EXPECT_EQ(groups[0]["images"][1]["id"], repost_id_);
  EXPECT_EQ(groups[0]["images"][0]["width"], original_.cols);
  EXPECT_LE(groups[0]["max_bits"].get<int>(), 31);
  // Allowing no differing bit at all separates a recompressed half-size copy.
  auto exact = client->Get("/v1/duplicates?max_bits=0");
  ASSERT_TRUE(exact);
  ASSERT_EQ(exact->status, 200) << exact->body;
  EXPECT_EQ(Body(exact)["groups"], json::array()) << exact->body;
}

TEST_F(CopyApiTest, RefusesBadInput) {
  auto server = StartServer(dir_, {"--max-pixels", "10000"});
  auto client = server->Client();
  httplib::MultipartFormDataItems broken = {
      {"image", "this is text, not a JPEG", "broken.jpg", "image/jpeg"}};
  auto bad = client->Post("/v1/search/copies", broken);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422) << bad->body;
  EXPECT_FALSE(ErrorCode(bad).empty());
  EXPECT_NE(ErrorMessage(bad).find("broken.jpg"), std::string::npos) << bad->body;
  auto empty = client->Post("/v1/search/copies", "", "image/jpeg");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 400) << empty->body;
  auto too_many_pixels = client->Post("/v1/search/copies", Jpeg(original_, 80), "image/jpeg");
  ASSERT_TRUE(too_many_pixels);
  EXPECT_EQ(too_many_pixels->status, 422) << too_many_pixels->body;
  for (const std::string& path :
       {std::string("/v1/duplicates?max_bits=500"), std::string("/v1/duplicates?max_bits=x"),
        "/v1/images/" + std::to_string(original_id_) + "/copies?min_confidence=2",
        "/v1/images/" + std::to_string(original_id_) + "/copies?k=0"}) {
    auto r = client->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path << ": " << r->body;
    EXPECT_EQ(ErrorCode(r), "invalid_argument") << path;
  }
  auto missing = client->Get("/v1/images/999999/copies");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404) << missing->body;
}

// Face search and erasure over deepface photos with the installed face models: three photos
// of one person and two of others are indexed; a fourth photo of the person is the query.
class FaceApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!embed::FaceEmbedder::Installed(embed::DefaultModelDir())) {
      GTEST_SKIP() << NotInstalled(embed::DefaultModelDir() + "/" +
                                   embed::FaceEmbedder::kRecognitionFile);
    }
    data_ = LoadDeepFace();
    if (data_.dir.empty()) GTEST_SKIP() << DeepFaceDir() << " is absent (shared data)";
    std::vector<std::string> same;
    for (const auto& [file, person] : data_.person) {
      if (data_.SamePerson(file).size() > same.size()) same = data_.SamePerson(file);
    }
    ASSERT_GE(same.size(), 4u);
    query_ = data_.Path(same[3]);
    for (size_t i = 0; i < 3; ++i) same_.push_back(data_.Path(same[i]));
    std::set<std::string> persons = {data_.person.at(same[0])};
    for (const auto& [file, person] : data_.person) {
      if (others_.size() < 2 && persons.insert(person).second) others_.push_back(data_.Path(file));
    }
    std::string paths;
    for (const auto* list : {&same_, &others_}) {
      for (const std::string& p : *list) paths += " " + p;
    }
    ASSERT_EQ(RunAlike(dir_, "init --faces --embedders color").exit_code, 0);
    const RunResult indexed = RunAlike(dir_, "index -q" + paths);
    ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  }

  // The query's face whose hits include `path`, or null.
  static json FaceFinding(const json& faces, const std::string& path) {
    for (const json& face : faces) {
      for (const json& hit : face["hits"]) {
        if (hit["path"] == path) return face;
      }
    }
    return json();
  }

  static std::set<std::string> HitPaths(const json& face) {
    std::set<std::string> paths;
    for (const json& hit : face["hits"]) paths.insert(hit["path"].get<std::string>());
    return paths;
  }

  TempDir dir_;
  DeepFace data_;
  std::string query_;                // a photo of the person, not indexed
  std::vector<std::string> same_;    // indexed photos of that person
  std::vector<std::string> others_;  // indexed photos of others
};

TEST_F(FaceApiTest, FindsThePersonByUploadAndByIdAndErasesThemWithAWriteKey) {
  const uint64_t first_id = IdOf(dir_, same_[0]);
  auto server = StartServer(dir_, {"--keys", WriteKeys(dir_)});
  auto client = server->Client();
  const httplib::Headers reader = {{"Authorization", "Bearer reader"}};
  const httplib::Headers writer = {{"Authorization", "Bearer writer"}};

  auto search = client->Post("/v1/search/faces?k=10", reader, Slurp(query_), "image/jpeg");
  ASSERT_TRUE(search);
  ASSERT_EQ(search->status, 200) << search->body;
  const json face = FaceFinding(Body(search)["faces"], same_[0]);
  ASSERT_FALSE(face.is_null()) << search->body;
  EXPECT_EQ(face["box"].size(), 4u);
  EXPECT_GT(face["box"][2].get<int>(), 0);
  EXPECT_EQ(face["landmarks"].size(), 5u);
  const std::set<std::string> found = HitPaths(face);
  for (const std::string& p : same_) EXPECT_TRUE(found.count(p)) << p << " in " << face.dump();
  for (const std::string& p : others_) EXPECT_FALSE(found.count(p)) << p << " in " << face.dump();
  for (size_t i = 1; i < face["hits"].size(); ++i) {
    EXPECT_LE(face["hits"][i - 1]["distance"].get<double>(),
              face["hits"][i]["distance"].get<double>());
  }
  for (const json& hit : face["hits"]) EXPECT_LT(hit["distance"].get<double>(), 0.17);
  ASSERT_TRUE(face["hits"][0].contains("person")) << face.dump();
  const std::string person = std::to_string(face["hits"][0]["person"].get<uint64_t>());

  // From an indexed photo: its size (the boxes are in its pixels), the person's other photos.
  auto by_id = client->Get("/v1/images/" + std::to_string(first_id) + "/faces", reader);
  ASSERT_TRUE(by_id);
  ASSERT_EQ(by_id->status, 200) << by_id->body;
  const json photo = Body(by_id);
  EXPECT_EQ(photo["id"], first_id);
  EXPECT_GT(photo["width"].get<int>(), 0);
  const json own = FaceFinding(photo["faces"], same_[1]);
  ASSERT_FALSE(own.is_null()) << by_id->body;
  EXPECT_TRUE(HitPaths(own).count(same_[2])) << own.dump();
  for (const json& f : photo["faces"]) EXPECT_FALSE(HitPaths(f).count(same_[0]));

  // Erasure needs a write key, and says what to erase.
  const std::string forget = "/v1/faces?person=" + person;
  auto anonymous = client->Delete(forget);
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto read_only = client->Delete(forget, reader);
  ASSERT_TRUE(read_only);
  EXPECT_EQ(read_only->status, 403);
  EXPECT_EQ(ErrorCode(read_only), "forbidden");
  auto unspecified = client->Delete("/v1/faces", writer);
  ASSERT_TRUE(unspecified);
  EXPECT_EQ(unspecified->status, 400) << unspecified->body;
  auto both = client->Delete(forget + "&all=true", writer);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->status, 400) << both->body;
  auto nobody = client->Delete("/v1/faces?person=Nobody", writer);
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->status, 404) << nobody->body;

  auto forgotten = client->Delete(forget, writer);
  ASSERT_TRUE(forgotten);
  ASSERT_EQ(forgotten->status, 200) << forgotten->body;
  EXPECT_GE(Body(forgotten)["faces"].get<size_t>(), same_.size());
  EXPECT_EQ(Body(forgotten)["persons"], 1);
  EXPECT_EQ(Body(forgotten)["faces_enabled"], true);
  auto after = client->Post("/v1/search/faces?k=10", reader, Slurp(query_), "image/jpeg");
  ASSERT_TRUE(after);
  ASSERT_EQ(after->status, 200) << after->body;
  for (const std::string& p : same_) {
    EXPECT_TRUE(FaceFinding(Body(after)["faces"], p).is_null()) << p << " was forgotten";
  }

  auto all = client->Delete("/v1/faces?all=true", writer);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->status, 200) << all->body;
  EXPECT_EQ(Body(all)["faces_enabled"], false);
  auto off = client->Post("/v1/search/faces", reader, Slurp(query_), "image/jpeg");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->status, 409) << off->body;
  EXPECT_NE(ErrorMessage(off).find("--faces"), std::string::npos) << off->body;
}

TEST_F(FaceApiTest, RefusesPicturesWithoutFacesAndBadParameters) {
  auto server = StartServer(dir_, {});
  auto client = server->Client();
  const cv::Mat grey(200, 200, CV_8UC3, cv::Scalar::all(90));
  httplib::MultipartFormDataItems form = {{"image", Jpeg(grey, 90), "grey.jpg", "image/jpeg"}};
  auto faceless = client->Post("/v1/search/faces", form);
  ASSERT_TRUE(faceless);
  EXPECT_EQ(faceless->status, 422) << faceless->body;
  EXPECT_NE(ErrorMessage(faceless).find("grey.jpg: no face found"), std::string::npos)
      << faceless->body;
  auto broken = client->Post("/v1/search/faces", "not a picture", "image/jpeg");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 422) << broken->body;
  auto threshold = client->Post("/v1/search/faces?threshold=-1", Slurp(query_), "image/jpeg");
  ASSERT_TRUE(threshold);
  EXPECT_EQ(threshold->status, 400) << threshold->body;
  EXPECT_EQ(ErrorCode(threshold), "invalid_argument");
  auto missing = client->Get("/v1/images/999999/faces");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404) << missing->body;
}

}  // namespace
}  // namespace alike::test
