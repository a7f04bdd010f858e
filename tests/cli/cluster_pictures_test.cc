// Search by picture on a cluster (`alike serve --cluster URL --library NAME`): a router server,
// in this process, over a cluster image library filled as workers fill it (PictureDescriber,
// PictureRecords, ShardWriter), answers /v1/search with the same hits and JSON as one machine's
// library of the same photos; facts by id; the faces opt-in error; copies, verified where the
// candidate's file is readable and unverified where it is gone; 501 for the catalog's routes.
#include "cli/cluster_pictures.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alike/embed.h"
#include "alike/library.h"
#include "cli/cluster_collections.h"
#include "cluster/image_library.h"
#include "cluster/node.h"
#include "embed/model_dir.h"
#include "server/server.h"
#include "testing/cluster_fixture.h"
#include "testing/models.h"
#include "util/file.h"

namespace alike::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kShared = ALIKE_SHARED_DIR;
const std::string kFlowers = kShared + "/data/categories/flowers/flowers/";
const std::string kBridge = kShared + "/data/copies/pdq/pdq/data/bridge-mods/";
const std::string kForest = kShared + "/data/copies/imagehash/tests/images/forest/";
const std::vector<std::string> kEmbedders = {"cnn", "pdq"};

// A server in this process, serving until destroyed.
class Serving {
 public:
  explicit Serving(std::unique_ptr<server::Server> server) : server_(std::move(server)) {
    auto port = server_->Bind();
    EXPECT_TRUE(port.ok()) << port.status().ToString();
    port_ = port.ok() ? *port : 0;
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  ~Serving() {
    server_->Stop();
    thread_.join();
  }

  // `body` posted as a raw picture when not empty, else a GET.
  std::pair<int, json> Call(const std::string& path, const std::string& picture = "") {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(30);
    auto r = picture.empty() ? client.Get(path) : client.Post(path, picture, "image/jpeg");
    if (!r) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

 private:
  std::unique_ptr<server::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

std::string Picture(const std::string& path) {
  auto bytes = ReadFileToString(path);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : "";
}

std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

class ClusterPicturesTest : public NatsClusterTest {
 protected:
  void SetUp() override {
    NatsClusterTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!fs::exists(InstalledModel(kMobileNetV2))) {
      GTEST_SKIP() << NotInstalled(InstalledModel(kMobileNetV2));
    }
    if (!fs::is_directory(kFlowers) || !fs::is_directory(kBridge) || !fs::is_directory(kForest)) {
      GTEST_SKIP() << "shared photos absent: " << kShared;
    }
    for (const char* kind : {"daisy", "rose", "tulip", "sunflower", "dandelion"}) {
      std::vector<std::string> names;
      for (const auto& entry : fs::directory_iterator(kFlowers + kind)) {
        names.push_back(entry.path().string());
      }
      std::sort(names.begin(), names.end());
      photos_.insert(photos_.end(), names.begin(), names.begin() + 2);
      queries_.push_back(names[2]);
    }
    photos_.push_back(kBridge + "aaa-orig.jpg");
    // Absolute and normal, as one machine's catalog and the workers keep paths.
    for (std::string& path : photos_) path = fs::weakly_canonical(path).string();
    // A picture the router will not be able to read once indexed.
    gone_ = local_.Sub("forest-high.jpg");
    fs::copy_file(kForest + "forest-high.jpg", gone_);
    photos_.push_back(gone_);
  }

  // One machine's library of the photos, served.
  std::unique_ptr<Serving> ServeOneMachine() {
    auto lib =
        Library::Open(local_.Sub("lib"), {.create_if_missing = true, .embedders = kEmbedders});
    EXPECT_TRUE(lib.ok()) << lib.status().ToString();
    if (!lib.ok()) return nullptr;
    library_ = std::move(*lib);
    auto report = library_->Index(photos_, {.jobs = 1}, nullptr);
    EXPECT_TRUE(report.ok() && report->indexed == photos_.size());
    auto server = server::Server::Create(*library_, {.port = 0});
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::make_unique<Serving>(std::move(*server)) : nullptr;
  }

  // The same photos in a cluster image library `name` (one node per space, holding both shards),
  // written as workers write them, then served by a router.
  std::unique_ptr<Serving> ServeCluster(const std::string& name) {
    auto describer = PictureDescriber::Open(kEmbedders);
    EXPECT_TRUE(describer.ok()) << describer.status().ToString();
    if (!describer.ok()) return nullptr;
    const cluster::ImageLibrary library = cluster::ImageLibraryFor(name, **describer);
    const Status created = cluster::CreateImageLibrary(*nats_, library, TestSettings(2));
    EXPECT_TRUE(created.ok()) << created.ToString();
    std::vector<std::vector<Record>> records(library.spaces.size());
    for (const std::string& path : photos_) {
      auto picture = (*describer)->Describe(path);
      EXPECT_TRUE(picture.ok()) << picture.status().ToString();
      if (!picture.ok()) return nullptr;
      auto per_space = cluster::PictureRecords(*picture, path);
      for (size_t s = 0; s < per_space.size(); ++s) {
        records[s].insert(records[s].end(), per_space[s].begin(), per_space[s].end());
      }
    }
    for (size_t s = 0; s < library.spaces.size(); ++s) {
      const cluster::ImageLibrarySpace& space = library.spaces[s];
      auto node = cluster::Node::Start({.nats = {.servers = cluster_->urls()},
                                        .data_dir = local_.Sub("node-" + space.embedder),
                                        .collection = space.collection,
                                        .node_id = "n-" + space.embedder,
                                        .shards = {0, 1},
                                        .catch_up_timeout = seconds(30),
                                        .poll_wait = milliseconds(200),
                                        .heartbeat_interval = kTestHeartbeatInterval});
      EXPECT_TRUE(node.ok()) << node.status().ToString();
      if (!node.ok()) return nullptr;
      nodes_.push_back(std::move(*node));
      const CollectionOptions options{
          .dimension = space.dimension,
          .metric = space.metric,
          .index = space.metric == Metric::kHamming ? IndexKind::kFlat : IndexKind::kHnsw};
      cluster::ShardWriter writer(*nats_, {.collection = space.collection, .shard_count = 2},
                                  options);
      auto token = writer.Upsert(records[s]);
      EXPECT_TRUE(token.ok()) << token.status().ToString();
      if (!token.ok()) return nullptr;
      // Searched once with the write's token: the node has applied the records when it answers.
      auto router = MakeRouter(space.collection);
      if (!router) return nullptr;
      auto seen = router->Get(records[s].front().id, &*token);
      EXPECT_TRUE(seen.ok()) << seen.status().ToString();
      auto all =
          router->Search({.vector = records[s].front().vector, .binary = records[s].front().binary},
                         {.k = 1}, &*token);
      EXPECT_TRUE(all.ok()) << all.status().ToString();
    }
    collections_ =
        std::make_unique<cli::ClusterCollections>(*nats_, cli::ClusterCollectionsOptions{});
    auto pictures = cli::ClusterPictures::Open(*nats_, name, {});
    EXPECT_TRUE(pictures.ok()) << pictures.status().ToString();
    if (!pictures.ok()) return nullptr;
    pictures_ = std::move(*pictures);
    auto server = server::Server::CreateRouter(
        *collections_, [] { return Result<json>(json::object()); }, pictures_.get(), {.port = 0});
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::make_unique<Serving>(std::move(*server)) : nullptr;
  }

  std::vector<std::string> photos_, queries_;
  std::string gone_;
  std::unique_ptr<Library> library_;
  std::vector<std::unique_ptr<cluster::Node>> nodes_;
  std::unique_ptr<cli::ClusterCollections> collections_;
  std::unique_ptr<cli::ClusterPictures> pictures_;
};

TEST_F(ClusterPicturesTest, AnswersAsOneMachineDoes) {
  auto one = ServeOneMachine();
  auto routed = ServeCluster("same");
  ASSERT_TRUE(one && routed);

  for (const std::string& query : queries_) {
    const auto [want_status, want] = one->Call("/v1/search?k=5", Picture(query));
    const auto [got_status, got] = routed->Call("/v1/search?k=5", Picture(query));
    ASSERT_EQ(want_status, 200) << want.dump();
    ASSERT_EQ(got_status, 200) << got.dump();
    ASSERT_EQ(Keys(got), Keys(want));
    ASSERT_EQ(got["results"].size(), 5u) << got.dump();
    ASSERT_EQ(want["results"].size(), 5u) << want.dump();
    for (size_t i = 0; i < 5; ++i) {
      const json& g = got["results"][i];
      const json& w = want["results"][i];
      EXPECT_EQ(Keys(g), Keys(w)) << query << ", hit " << i;
      EXPECT_EQ(g["paths"], w["paths"]) << query << ", hit " << i;
      EXPECT_NEAR(g["score"].get<double>(), w["score"].get<double>(), 1e-5) << query;
      // The cluster's payload is one machine's plus where the picture was found and its hash.
      std::set<std::string> payload = Keys(w["payload"]);
      payload.insert({"path", "hash"});
      EXPECT_EQ(Keys(g["payload"]), payload) << query << ", hit " << i;
      EXPECT_EQ(g["payload"]["path"], w["paths"][0]);

      // An image's facts by its id, and a search from its vector, as one machine's.
      const auto [facts_status, facts] = routed->Call("/v1/images/" + g["id"].dump());
      ASSERT_EQ(facts_status, 200) << facts.dump();
      json expected = one->Call("/v1/images/" + w["id"].dump()).second;
      expected["id"] = g["id"];
      EXPECT_EQ(facts, expected);
    }
    const std::string first = got["results"][0]["id"].dump();
    const auto [similar_status, similar] = routed->Call("/v1/images/" + first + "/similar?k=3");
    ASSERT_EQ(similar_status, 200) << similar.dump();
    const json one_similar =
        one->Call("/v1/images/" + want["results"][0]["id"].dump() + "/similar?k=3").second;
    ASSERT_EQ(similar["results"].size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(similar["results"][i]["paths"], one_similar["results"][i]["paths"]);
    }
  }
  EXPECT_EQ(routed->Call("/v1/images/12345").first, 404);
  const auto [by_filter_status, by_filter] = routed->Call(
      "/v1/search?k=20&filter=" + httplib::detail::encode_query_param(R"({"width":{"$gt":300}})"),
      Picture(queries_[0]));
  ASSERT_EQ(by_filter_status, 200) << by_filter.dump();
  EXPECT_EQ(by_filter["results"].size(), 2u) << "the bridge and the forest only";
}

TEST_F(ClusterPicturesTest, FacesOptInCopiesAndThumbnailsFromReadableFilesCatalogRoutes501) {
  auto one = ServeOneMachine();
  auto routed = ServeCluster("copies");
  ASSERT_TRUE(one && routed);

  const std::string face_query = Picture(queries_[0]);
  const auto [one_faces, one_error] = one->Call("/v1/search/faces", face_query);
  const auto [faces, error] = routed->Call("/v1/search/faces", face_query);
  EXPECT_EQ(faces, one_faces);
  EXPECT_EQ(faces, 409);
  EXPECT_EQ(error["error"]["code"], one_error["error"]["code"]);
  EXPECT_NE(error["error"]["message"].get<std::string>().find("opt-in"), std::string::npos)
      << error.dump();

  fs::remove(gone_);
  const auto [copies_status, copies] =
      routed->Call("/v1/search/copies", Picture(kBridge + "blur-a-little.jpg"));
  ASSERT_EQ(copies_status, 200) << copies.dump();
  ASSERT_FALSE(copies["results"].empty()) << copies.dump();
  EXPECT_EQ(copies["results"][0]["path"], fs::weakly_canonical(kBridge + "aaa-orig.jpg").string());
  EXPECT_EQ(copies["results"][0]["verified"], true);
  EXPECT_GT(copies["results"][0]["inliers"].get<int>(), 0);
  EXPECT_FALSE(copies["results"][0]["corners"].is_null());
  EXPECT_EQ(Keys(copies["results"][0]),
            Keys(one->Call("/v1/search/copies", Picture(kBridge + "blur-a-little.jpg"))
                     .second["results"][0]));

  const auto [unverified_status, unverified] =
      routed->Call("/v1/search/copies", Picture(kForest + "forest-low.jpg"));
  ASSERT_EQ(unverified_status, 200) << unverified.dump();
  ASSERT_FALSE(unverified["results"].empty()) << unverified.dump();
  EXPECT_EQ(unverified["results"][0]["path"], gone_);
  EXPECT_EQ(unverified["results"][0]["verified"], false) << "its file is gone";
  EXPECT_TRUE(unverified["results"][0]["corners"].is_null());

  // Thumbnails from the files the router reads; none for the picture whose file is gone.
  const std::string bridge = copies["results"][0]["id"].dump();
  EXPECT_EQ(routed->Call("/v1/images/" + bridge + "/thumbnail").first, 200);
  const std::string forest = unverified["results"][0]["id"].dump();
  EXPECT_EQ(routed->Call("/v1/images/" + forest + "/thumbnail").first, 404);

  for (const std::string route : {"/v1/library", "/v1/duplicates", "/v1/images/1/faces"}) {
    const auto [status, body] = routed->Call(route);
    EXPECT_EQ(status, 501) << route;
    EXPECT_EQ(body["error"]["code"], "not_implemented") << route;
  }
  EXPECT_EQ(routed->Call("/").first, 200) << "the web page";
}

}  // namespace
}  // namespace alike::test
