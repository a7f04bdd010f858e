// Search by picture on a cluster (`alike serve --cluster URL --library NAME`): a router server,
// in this process, over a cluster image library filled as workers fill it (PictureDescriber,
// PictureRecords, ShardWriter), answers /v1/search with the same hits and JSON as one machine's
// library of the same photos; facts by id; the faces opt-in error; copies, verified where the
// candidate's file is readable and unverified where it is gone; 501 for the catalog's routes.
// Faces indexed with `alike index --cluster --faces` and a worker answer as one machine's. When a
// shard has no replica, or no NATS server answers, the routes answer 503 naming the part.
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
#include "cluster/shards.h"
#include "embed/model_dir.h"
#include "library/image_facts.h"
#include "server/server.h"
#include "testing/cli.h"
#include "testing/cluster_fixture.h"
#include "testing/deepface.h"
#include "testing/ingest_work.h"
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

// The cluster picture tests' fixture: routers over cluster image libraries, in this process.
class ClusterRouterFixture : public NatsClusterTest {
 protected:
  // A router server (`alike serve --cluster URL --library name`) on `nats` (default: the shared
  // cluster's connection), with the routers' `timeouts`.
  std::unique_ptr<Serving> ServeRouter(const std::string& name,
                                       cli::ClusterCollectionsOptions timeouts = {},
                                       cluster::NatsConnection* nats = nullptr) {
    if (nats == nullptr) nats = nats_.get();
    auto& collections =
        collections_.emplace_back(std::make_unique<cli::ClusterCollections>(*nats, timeouts));
    auto pictures = cli::ClusterPictures::Open(*nats, name, timeouts);
    EXPECT_TRUE(pictures.ok()) << pictures.status().ToString();
    if (!pictures.ok()) return nullptr;
    auto server = server::Server::CreateRouter(
        *collections, [] { return Result<json>(json::object()); },
        pictures_.emplace_back(std::move(*pictures)).get(), {.port = 0});
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::make_unique<Serving>(std::move(*server)) : nullptr;
  }

  // A connection to a NATS cluster of a test's own; declared first, so that the routers on it go
  // before it.
  std::unique_ptr<cluster::NatsConnection> own_nats_;
  std::vector<std::unique_ptr<cli::ClusterCollections>> collections_;
  std::vector<std::unique_ptr<cli::ClusterPictures>> pictures_;
};

class ClusterPicturesTest : public ClusterRouterFixture {
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

  // One machine's library of `photos` (default: the fixture's), served.
  std::unique_ptr<Serving> ServeOneMachine(const std::vector<std::string>& photos = {},
                                           const LibraryOptions& options = {
                                               .create_if_missing = true,
                                               .embedders = kEmbedders}) {
    const std::vector<std::string>& indexed = photos.empty() ? photos_ : photos;
    auto lib = Library::Open(local_.Sub("lib"), options);
    EXPECT_TRUE(lib.ok()) << lib.status().ToString();
    if (!lib.ok()) return nullptr;
    library_ = std::move(*lib);
    auto report = library_->Index(indexed, {.jobs = 1}, nullptr);
    EXPECT_TRUE(report.ok() && report->indexed == indexed.size());
    auto server = server::Server::Create(*library_, {.port = 0});
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    return server.ok() ? std::make_unique<Serving>(std::move(*server)) : nullptr;
  }

  // An `alike node`, in this process, holding both shards of `space`'s collection.
  bool StartNode(const cluster::ImageLibrarySpace& space) {
    auto node = cluster::Node::Start({.nats = {.servers = cluster_->urls()},
                                      .data_dir = local_.Sub("node-" + space.collection),
                                      .collection = space.collection,
                                      .node_id = "n-" + space.collection,
                                      .shards = {0, 1},
                                      .catch_up_timeout = seconds(30),
                                      .poll_wait = milliseconds(200),
                                      .heartbeat_interval = kTestHeartbeatInterval});
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    if (!node.ok()) return false;
    nodes_.push_back(std::move(*node));
    return true;
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
      if (!StartNode(space)) return nullptr;
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
    return ServeRouter(name);
  }

  std::vector<std::string> photos_, queries_;
  std::string gone_;
  std::unique_ptr<Library> library_;
  std::vector<std::unique_ptr<cluster::Node>> nodes_;
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

// Faces opted into with `alike index --cluster --faces` and indexed by a worker (in this process,
// as `alike worker` runs one) answer /v1/search/faces on the router as one machine's library of the
// same photos: the same faces, boxes, paths and distances. A library made without faces keeps
// without: --faces on it is refused, and its router answers the opt-in error.
TEST_F(ClusterPicturesTest, FacesIndexedOnAClusterAnswerAsOneMachine) {
  for (const char* model : {"yunet_2022mar_320x320.onnx", "shape_predictor_5_face_landmarks.dat",
                            "dlib_face_recognition_resnet_model_v1.dat"}) {
    if (!fs::exists(InstalledModel(model))) GTEST_SKIP() << NotInstalled(InstalledModel(model));
  }
  const DeepFace deepface = LoadDeepFace();
  if (deepface.dir.empty()) GTEST_SKIP() << "the deepface photos are absent: " << DeepFaceDir();
  // Three photos of a person and two of people labelled different from them are indexed; a
  // fourth photo of the person and one of the others are the queries. dlib takes ~0.25 s a
  // face here, so a handful.
  std::vector<std::string> person;
  for (const auto& [file, first] : deepface.person) {
    if (person.empty() && deepface.SamePerson(file).size() >= 4) person = deepface.SamePerson(file);
  }
  ASSERT_GE(person.size(), 4u);
  const std::set<std::string> others = deepface.Different(person[0]);
  ASSERT_GE(others.size(), 2u);
  auto canonical = [&](const std::string& file) {
    return fs::weakly_canonical(deepface.Path(file)).string();
  };
  std::vector<std::string> indexed = {canonical(person[0]), canonical(person[1]),
                                      canonical(person[2]), canonical(*others.begin()),
                                      canonical(*std::next(others.begin()))};
  const std::vector<std::string> queries = {canonical(person[3]), indexed[3]};

  auto one =
      ServeOneMachine(indexed, {.create_if_missing = true, .embedders = {"color"}, .faces = true});
  ASSERT_TRUE(one);

  const std::string name = "clusterfaces";
  std::string paths;
  for (const std::string& p : indexed) paths += " " + p;
  const RunResult queued =
      RunAlike(local_, "--json index --cluster " + cluster_->urls() + " --library " + name +
                           " --faces --embedders color --shards 2 --detach" + paths);
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  const std::string job = JsonLines(queued.out).at(0).at("job");
  auto library = cluster::ReadImageLibrary(*nats_, name);
  ASSERT_TRUE(library.ok()) << library.status().ToString();
  ASSERT_TRUE(library->faces());
  std::vector<std::string> embedders;
  for (const cluster::ImageLibrarySpace& space : library->spaces) {
    embedders.push_back(space.embedder);
  }
  auto describer = PictureDescriber::Open(embedders);
  ASSERT_TRUE(describer.ok()) << describer.status().ToString();
  auto worker =
      cluster::IngestWorker::Create(*nats_, name, **describer, {.fetch_wait = milliseconds(200)});
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  auto watcher = cluster::JobWatcher::Create(*nats_, name, job);
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  const cluster::JobCounts counts = WorkUntilFinished(**worker, **watcher, seconds(120));
  ASSERT_TRUE(counts.finished()) << counts.done();
  EXPECT_EQ(counts.indexed, indexed.size());

  // A node per space, until each has applied its shards' streams.
  for (const cluster::ImageLibrarySpace& space : library->spaces) {
    ASSERT_TRUE(StartNode(space));
    for (uint32_t shard = 0; shard < 2; ++shard) {
      auto stream = nats_->GetStreamState(cluster::ShardStreamName(space.collection, shard));
      ASSERT_TRUE(stream.ok()) << stream.status().ToString();
      const auto deadline = std::chrono::steady_clock::now() + seconds(30);
      while (nodes_.back()->applied_seq(shard) < stream->last_seq &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(20));
      }
      ASSERT_GE(nodes_.back()->applied_seq(shard), stream->last_seq) << space.collection;
    }
  }
  auto routed = ServeRouter(name);
  ASSERT_TRUE(routed);

  // Ids differ by design (a catalog's numbers, a content hash's bits); one machine's hits also
  // name their persons, which a cluster does not group.
  auto comparable = [](json hit) {
    for (const char* key : {"id", "face", "person", "name"}) hit.erase(key);
    return hit;
  };
  for (const std::string& query : queries) {
    const auto [want_status, want] = one->Call("/v1/search/faces", Picture(query));
    const auto [got_status, got] = routed->Call("/v1/search/faces", Picture(query));
    ASSERT_EQ(want_status, 200) << want.dump();
    ASSERT_EQ(got_status, 200) << got.dump();
    ASSERT_EQ(got["faces"].size(), want["faces"].size()) << query;
    for (size_t f = 0; f < want["faces"].size(); ++f) {
      json want_face = want["faces"][f], got_face = got["faces"][f];
      const json want_hits = want_face["hits"], got_hits = got_face["hits"];
      want_face.erase("hits");
      got_face.erase("hits");
      EXPECT_EQ(got_face, want_face) << query << ", face " << f;
      ASSERT_EQ(got_hits.size(), want_hits.size()) << query << ", face " << f << ": " << got.dump();
      for (size_t h = 0; h < want_hits.size(); ++h) {
        EXPECT_NEAR(got_hits[h]["distance"].get<double>(), want_hits[h]["distance"].get<double>(),
                    1e-5);
        json g = comparable(got_hits[h]), w = comparable(want_hits[h]);
        g.erase("distance");
        w.erase("distance");
        EXPECT_EQ(g, w) << query << ", face " << f << ", hit " << h;
      }
    }
  }
  // The person's fourth photo finds their three indexed photos.
  const json found = routed->Call("/v1/search/faces", Picture(queries[0])).second;
  std::set<std::string> of_person;
  for (const json& face : found["faces"]) {
    for (const json& hit : face["hits"]) of_person.insert(hit["path"].get<std::string>());
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(of_person.contains(indexed[i])) << found.dump();

  // Without faces: --faces does not turn them on for an existing cluster library (its spaces are
  // fixed when created), and its router answers the opt-in error.
  const std::string without = "clusternofaces";
  const RunResult created =
      RunAlike(local_, "--json index --cluster " + cluster_->urls() + " --library " + without +
                           " --embedders color --shards 1 --detach " + indexed[0]);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const RunResult refused = RunAlike(local_, "index --cluster " + cluster_->urls() + " --library " +
                                                 without + " --faces --detach " + indexed[0]);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("'" + without + "' has no space of embedder face"), std::string::npos)
      << refused.err;
  auto no_faces = ServeRouter(without);
  ASSERT_TRUE(no_faces);
  const auto [status, error] = no_faces->Call("/v1/search/faces", Picture(queries[0]));
  EXPECT_EQ(status, 409) << error.dump();
  EXPECT_NE(error["error"]["message"].get<std::string>().find("opt-in"), std::string::npos)
      << error.dump();
}

// Search by picture when a part of the cluster does not answer: the picture routes answer 503
// "unavailable" naming it, not 500. A library of the color space (no model weights needed) and a
// router with short timeouts; each test makes the part fail.
class ClusterPicturesUnavailableTest : public ClusterRouterFixture {
 protected:
  void SetUp() override {
    NatsClusterTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!fs::is_directory(kFlowers)) GTEST_SKIP() << "shared photos absent: " << kShared;
    for (const auto& entry : fs::directory_iterator(kFlowers + "rose")) flower_ = entry.path();
  }

  // The library `name` on `nats`: its color collection's name.
  std::string CreateLibrary(cluster::NatsConnection& nats, const std::string& name) {
    auto describer = PictureDescriber::Open({"color"});
    EXPECT_TRUE(describer.ok()) << describer.status().ToString();
    if (!describer.ok()) return "";
    const cluster::ImageLibrary library = cluster::ImageLibraryFor(name, **describer);
    const Status created = cluster::CreateImageLibrary(nats, library, TestSettings(2));
    EXPECT_TRUE(created.ok()) << created.ToString();
    return library.spaces.at(0).collection;
  }

  // Short, so that a part that does not answer costs the test little.
  static constexpr cli::ClusterCollectionsOptions kTimeouts{.search_deadline = milliseconds(1500),
                                                            .attempt_timeout = milliseconds(500)};
  std::string flower_;
};

TEST_F(ClusterPicturesUnavailableTest, AShardWithoutReplicaAnswers503NamingIt) {
  const std::string collection = CreateLibrary(*nats_, "noreplica");
  // Shard 0 has a replica; shard 1 none.
  auto node = cluster::Node::Start({.nats = {.servers = cluster_->urls()},
                                    .data_dir = local_.Sub("node"),
                                    .collection = collection,
                                    .node_id = "n0",
                                    .shards = {0},
                                    .poll_wait = milliseconds(200),
                                    .heartbeat_interval = kTestHeartbeatInterval});
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto routed = ServeRouter("noreplica", kTimeouts);
  ASSERT_TRUE(routed);

  const auto [status, body] = routed->Call("/v1/search?by=color", Picture(flower_));
  EXPECT_EQ(status, 503) << body.dump();
  EXPECT_EQ(body["error"]["code"], "unavailable") << body.dump();
  const std::string message = body["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("'" + collection + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("shard 1:"), std::string::npos) << message;
  EXPECT_EQ(message.find("shard 0:"), std::string::npos) << message;
  EXPECT_EQ(message.find("NATS"), std::string::npos) << message;
  // An image's facts, from the shard its record would be on.
  uint64_t on_shard_1 = 1;
  while (cluster::ShardOf(library::VectorId(on_shard_1, 0), 2) != 1) ++on_shard_1;
  const auto [facts_status, facts] = routed->Call("/v1/images/" + std::to_string(on_shard_1));
  EXPECT_EQ(facts_status, 503) << facts.dump();
  EXPECT_NE(facts["error"]["message"].get<std::string>().find("shard 1 of collection"),
            std::string::npos)
      << facts.dump();
}

// On a cluster of its own, whose servers it kills (and starts again, so that the router and its
// connection close quickly).
TEST_F(ClusterPicturesUnavailableTest, NoNatsServerAnswers503) {
  TempDir dir;
  auto started = StartNatsCluster(dir.path());
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const std::unique_ptr<LocalNatsCluster> own = std::move(*started);
  auto nats = cluster::NatsConnection::Connect({.servers = own->urls()});
  ASSERT_TRUE(nats.ok()) << nats.status().ToString();
  own_nats_ = std::move(*nats);
  const std::string collection = CreateLibrary(*own_nats_, "nonats");
  auto routed = ServeRouter("nonats", kTimeouts, own_nats_.get());
  ASSERT_TRUE(routed);

  for (int i = 0; i < LocalNatsCluster::kServers; ++i) own->Kill(i);
  const auto [status, body] = routed->Call("/v1/search?by=color", Picture(flower_));
  EXPECT_EQ(status, 503) << body.dump();
  EXPECT_EQ(body["error"]["code"], "unavailable") << body.dump();
  const std::string message = body["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("'" + collection + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("lost its connection to NATS"), std::string::npos) << message;
  for (int i = 0; i < LocalNatsCluster::kServers; ++i) EXPECT_TRUE(own->Restart(i).ok());
  routed.reset();
  pictures_.clear();
  collections_.clear();
  own_nats_.reset();
}

}  // namespace
}  // namespace alike::test
