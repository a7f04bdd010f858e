// `kill -9` of `alike serve` under a mixed load: uploads, image deletes, tag edits and collection
// upserts run on three client threads while the server is SIGKILLed at a random moment, over
// several rounds on one library. After each restart every acknowledged request's effect must be
// there (a request cut off by the kill may have applied or not, whole), and the library must be
// consistent: every live image's files exist, every vector belongs to a catalogued image, and no
// uploaded file is left behind that the catalog does not hold (an upload saved but never indexed,
// or the file of an image deleted just before the kill).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "alike/library.h"
#include "testing/cli.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace alike::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kCollection[] = "vectors";
constexpr uint32_t kDim = 8;

std::vector<float> VectorOf(uint64_t id) {
  std::vector<float> v(kDim);
  for (uint32_t i = 0; i < kDim; ++i) v[i] = static_cast<float>((id * 31 + i * 7) % 97) / 97.0f;
  return v;
}

// A small picture no other seed gives.
std::string UniquePng(uint32_t seed) {
  cv::Mat img(48, 48, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  std::vector<uint8_t> bytes;
  cv::imencode(".png", img, bytes);
  return std::string(bytes.begin(), bytes.end());
}

// What the clients were told, and what was cut off by the kill (applied or not, whole).
struct Expectations {
  std::mutex mu;
  std::set<uint64_t> live;     // acknowledged uploads not deleted by an acknowledged delete
  std::set<uint64_t> deleted;  // acknowledged deletes
  std::optional<uint64_t> pending_delete;
  std::map<uint64_t, std::string> tag;  // the one tag each image's last acknowledged edit left
  std::optional<std::pair<uint64_t, std::string>> pending_tag;
  std::set<uint64_t> records;  // acknowledged collection records
  uint32_t next_picture = 1;
  uint64_t next_record = 1;
  int acknowledged = 0;
};

std::unique_ptr<httplib::Client> ClientOf(const ServerProcess& server) {
  auto client = server.Client();
  client->set_connection_timeout(5);
  return client;
}

// Each loop runs until its request fails (the server was killed) or `stop` is set.
void UploadLoop(const ServerProcess& server, Expectations& e, const std::atomic<bool>& stop) {
  auto client = ClientOf(server);
  while (!stop) {
    uint32_t seed;
    {
      std::lock_guard lock(e.mu);
      seed = e.next_picture++;
    }
    httplib::MultipartFormDataItems form = {
        {"image", UniquePng(seed), std::to_string(seed) + ".png", "image/png"}};
    auto r = client->Post("/v1/images", form);
    if (!r) return;
    ASSERT_EQ(r->status, 201) << r->body;
    std::lock_guard lock(e.mu);
    e.live.insert(json::parse(r->body).at("image").at("id").get<uint64_t>());
    ++e.acknowledged;
  }
}

void MutateLoop(const ServerProcess& server, Expectations& e, const std::atomic<bool>& stop,
                uint32_t seed) {
  auto client = ClientOf(server);
  std::mt19937 rng(seed);
  uint32_t edit = 0;
  while (!stop) {
    uint64_t target = 0;
    const bool remove = rng() % 4 == 0;
    std::string old_tag;
    // (Not "t" + to_string(...): GCC 12 warns wrongly about that concatenation, -Wrestrict.)
    const std::string new_tag = std::string("t").append(std::to_string(seed * 100000 + ++edit));
    {
      std::lock_guard lock(e.mu);
      if (e.live.empty()) {
        target = 0;
      } else {
        target = *std::next(e.live.begin(), static_cast<long>(rng() % e.live.size()));
        if (e.tag.count(target)) old_tag = e.tag[target];
        if (remove) {
          e.pending_delete = target;
        } else {
          e.pending_tag = {target, new_tag};
        }
      }
    }
    if (target == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    const std::string path = "/v1/images/" + std::to_string(target);
    httplib::Result r =
        remove ? client->Delete(path)
               : client->Post(path + "/tags",
                              json{{"add", {new_tag}},
                                   {"remove", old_tag.empty() ? json::array() : json{old_tag}}}
                                  .dump(),
                              "application/json");
    if (!r) return;  // the pending edit stays pending
    ASSERT_EQ(r->status, 200) << (remove ? "DELETE " : "POST tags ") << path << ": " << r->body
                              << " deleted before: " << e.deleted.count(target);
    std::lock_guard lock(e.mu);
    if (remove) {
      e.live.erase(target);
      e.deleted.insert(target);
      e.tag.erase(target);
      e.pending_delete.reset();
    } else {
      e.tag[target] = new_tag;
      e.pending_tag.reset();
    }
    ++e.acknowledged;
  }
}

void UpsertLoop(const ServerProcess& server, Expectations& e, const std::atomic<bool>& stop) {
  auto client = ClientOf(server);
  while (!stop) {
    uint64_t first;
    {
      std::lock_guard lock(e.mu);
      first = e.next_record;
      e.next_record += 20;
    }
    json records = json::array();
    for (uint64_t id = first; id < first + 20; ++id) {
      records.push_back({{"id", id}, {"vector", VectorOf(id)}, {"payload", {{"n", id}}}});
    }
    auto r = client->Post(std::string("/v1/collections/") + kCollection + "/records",
                          json{{"records", records}}.dump(), "application/json");
    if (!r) return;
    ASSERT_EQ(r->status, 200) << r->body;
    std::lock_guard lock(e.mu);
    for (uint64_t id = first; id < first + 20; ++id) e.records.insert(id);
    ++e.acknowledged;
  }
}

// Every acknowledged effect on images, read back through the restarted server; what a cut-off
// request did is then known, and becomes what later rounds expect.
void CheckAcknowledged(const ServerProcess& server, Expectations& e, const std::string& context) {
  auto client = ClientOf(server);
  std::optional<uint64_t> gone;
  std::optional<std::pair<uint64_t, std::string>> tagged;
  for (const uint64_t id : e.live) {
    auto r = client->Get("/v1/images/" + std::to_string(id));
    ASSERT_TRUE(r) << context;
    if (e.pending_delete == id && r->status == 404) {  // the cut-off delete applied
      gone = id;
      continue;
    }
    ASSERT_EQ(r->status, 200) << context << ": acknowledged upload " << id << " is gone";
    const json image = json::parse(r->body);
    for (const std::string& path : image.at("paths").get<std::vector<std::string>>()) {
      EXPECT_TRUE(fs::exists(path)) << context << ": image " << id << "'s file " << path;
    }
    const auto tags = image.at("tags").get<std::set<std::string>>();
    std::set<std::set<std::string>> allowed;
    const auto acked = e.tag.find(id);
    allowed.insert(acked == e.tag.end() ? std::set<std::string>{}
                                        : std::set<std::string>{acked->second});
    if (e.pending_tag && e.pending_tag->first == id) allowed.insert({e.pending_tag->second});
    EXPECT_TRUE(allowed.count(tags)) << context << ": image " << id << " has tags " << image;
    if (e.pending_tag && e.pending_tag->first == id &&
        tags == std::set<std::string>{e.pending_tag->second}) {
      tagged = *e.pending_tag;  // the cut-off edit applied
    }
  }
  for (const uint64_t id : e.deleted) {
    auto r = client->Get("/v1/images/" + std::to_string(id));
    ASSERT_TRUE(r) << context;
    EXPECT_EQ(r->status, 404) << context << ": deleted image " << id << " is back";
  }
  if (gone) {
    e.live.erase(*gone);
    e.deleted.insert(*gone);
    e.tag.erase(*gone);
  }
  if (tagged) e.tag[tagged->first] = tagged->second;
  e.pending_delete.reset();
  e.pending_tag.reset();
}

// With the server stopped: the catalog, the vectors and the uploaded files agree, and the
// collection holds every acknowledged record.
void CheckLibraryConsistent(const std::string& db, const std::set<uint64_t>& records,
                            const std::string& context) {
  auto lib = Library::Open(db, {});
  ASSERT_TRUE(lib.ok()) << context << ": " << lib.status().ToString();
  auto info = (*lib)->Info();
  ASSERT_TRUE(info.ok()) << context;
  size_t uploaded = 0;
  for (const auto& entry : fs::directory_iterator(db + "/uploads")) {
    ++uploaded;
    auto id = (*lib)->FindPath(entry.path().string());
    ASSERT_TRUE(id.ok()) << context;
    EXPECT_TRUE(id->has_value()) << context << ": " << entry.path() << " is left uncatalogued";
  }
  EXPECT_EQ(info->files, uploaded) << context;
  ASSERT_EQ(info->spaces.size(), 1u) << context;
  EXPECT_EQ(info->spaces[0].vectors, info->images) << context;
  // Every acknowledged record, whichever kill it lived through (read here rather than by one
  // request each: tens of thousands of them).
  auto collection = (*lib)->database().GetCollection(kCollection);
  ASSERT_TRUE(collection.ok()) << context;
  for (const uint64_t id : records) {
    auto record = (*collection)->Get(id);
    ASSERT_TRUE(record.ok()) << context << ": acknowledged record " << id << " is gone";
    EXPECT_EQ(record->vector, VectorOf(id)) << context;
  }
}

TEST(ServeCrashTest, KillNineUnderMixedLoadLosesNoAcknowledgedRequest) {
  TempDir dir;
  const std::string db = dir.Sub("db");
  const RunResult init = RunAlike(dir, "init --embedders color");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  Expectations e;
  std::mt19937 rng(2026);
  constexpr int kRounds = 5;
  for (int round = 0; round <= kRounds; ++round) {
    const std::string context = "round " + std::to_string(round);
    ServerProcess server(db, {});
    ASSERT_GT(server.port(), 0) << server.output();
    CheckAcknowledged(server, e, context);
    if (::testing::Test::HasFatalFailure()) return;
    if (round == 0) {
      auto created = ClientOf(server)->Post(
          "/v1/collections",
          json{{"name", kCollection}, {"dimension", kDim}, {"metric", "l2"}, {"index", "flat"}}
              .dump(),
          "application/json");
      ASSERT_TRUE(created && created->status == 201);
    }
    if (round == kRounds) {
      EXPECT_EQ(server.StopWith(SIGTERM), 0) << server.output();
      break;
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    clients.emplace_back([&] { UploadLoop(server, e, stop); });
    clients.emplace_back([&] { MutateLoop(server, e, stop, round + 1); });
    clients.emplace_back([&] { UpsertLoop(server, e, stop); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 1200));
    server.StopWith(SIGKILL);
    for (std::thread& t : clients) t.join();
    if (::testing::Test::HasFatalFailure()) return;
  }
  CheckLibraryConsistent(db, e.records, "after the last restart");
  std::printf(
      "serve crash test: %d kills, %d acknowledged requests, %zu live images, %zu records\n",
      kRounds, e.acknowledged, e.live.size(), e.records.size());
  EXPECT_GT(e.live.size(), 10u) << "the rounds must get work done between kills";
  EXPECT_FALSE(e.deleted.empty());
  EXPECT_FALSE(e.tag.empty());
}

}  // namespace
}  // namespace alike::test
