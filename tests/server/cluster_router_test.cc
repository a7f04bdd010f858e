// `alike serve --cluster` over HTTP: a router process in front of three in-process nodes answers
// the collection routes with the same JSON as a one-machine server given the same requests;
// read-your-writes with the write token; records by id, searches by id, deletes by filter and
// drop as on one machine; /v1/cluster lists the nodes; shards without a live replica make a search
// fail with 503 naming them (or, asked for, list them); the routes that need the library answer
// 501.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "alike/library.h"
#include "cluster/node.h"
#include "server/server.h"
#include "testing/cluster_fixture.h"
#include "testing/server_process.h"

namespace alike::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint32_t kShards = 4;
// Each shard on two of the three nodes; stopping node 0 leaves every shard a replica, stopping
// node 2 as well leaves shard 0 none.
const std::vector<std::vector<uint32_t>> kPlacement = {{0, 1}, {1, 2, 3}, {0, 2, 3}};

json RecordsJson(const std::vector<Record>& records) {
  json list = json::array();
  for (const Record& r : records) {
    list.push_back({{"id", r.id}, {"vector", r.vector}, {"payload", json::parse(r.payload)}});
  }
  return {{"records", std::move(list)}};
}

struct Answer {
  int status = 0;
  json body;
};

Answer Call(int port, const std::string& method, const std::string& path,
            const json& body = nullptr) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(30);
  httplib::Result r = method == "GET"      ? client.Get(path)
                      : method == "DELETE" ? client.Delete(path)
                                           : client.Post(path, body.dump(), "application/json");
  if (!r) return {};
  return {r->status, json::parse(r->body, nullptr, false)};
}

std::string ErrorCode(const Answer& a) {
  return a.body.contains("error") ? a.body["error"].value("code", "") : "";
}

class ClusterRouterTest : public NatsClusterTest {
 protected:
  // A one-machine server over a fresh library, in this process.
  void StartOneMachine() {
    auto lib =
        Library::Open(local_.Sub("lib"), {.create_if_missing = true, .embedders = {"color"}});
    ASSERT_TRUE(lib.ok()) << lib.status().ToString();
    library_ = std::move(*lib);
    auto server = server::Server::Create(*library_, {.port = 0});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    one_machine_ = std::move(*server);
    auto port = one_machine_->Bind();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    one_port_ = *port;
    serving_ = std::thread([this] { (void)one_machine_->Run(); });
  }

  void TearDown() override {
    if (one_machine_) one_machine_->Stop();
    if (serving_.joinable()) serving_.join();
  }

  std::unique_ptr<cluster::Node> StartNode(const std::string& collection, size_t i) {
    auto node = cluster::Node::Start({.nats = {.servers = cluster_->urls()},
                                      .data_dir = local_.Sub("node" + std::to_string(i)),
                                      .collection = collection,
                                      .node_id = "node" + std::to_string(i),
                                      .shards = kPlacement[i],
                                      .catch_up_timeout = seconds(30),
                                      .poll_wait = milliseconds(200),
                                      .heartbeat_interval = kTestHeartbeatInterval});
    EXPECT_TRUE(node.ok()) << node.status().ToString();
    return node.ok() ? std::move(*node) : nullptr;
  }

  std::unique_ptr<Library> library_;
  std::unique_ptr<server::Server> one_machine_;
  int one_port_ = 0;
  std::thread serving_;
};

TEST_F(ClusterRouterTest, AnswersAsOneMachineDoes) {
  ASSERT_NO_FATAL_FAILURE(StartOneMachine());
  ServerProcess router({ALIKE_CLI_PATH, "serve", "--cluster", cluster_->urls(), "--port", "0",
                        "--search-timeout-ms", "4000"},
                       30'000);
  ASSERT_GT(router.port(), 0) << router.output();
  const int rport = router.port();

  // Created through the router: the cluster settings; the one machine ignores the shard fields.
  const json create{{"name", "routed"},
                    {"dimension", kClusterDim},
                    {"metric", "cosine"},
                    {"index", "flat"},
                    {"shard_count", kShards},
                    {"replicas", 3},
                    {"heartbeat_ttl_ms", kTestHeartbeatTtl.count()}};
  const Answer created = Call(rport, "POST", "/v1/collections", create);
  ASSERT_EQ(created.status, 201) << created.body.dump();
  EXPECT_EQ(created.body["cluster"]["shard_count"], kShards);
  EXPECT_TRUE(created.body["count"].is_null()) << "a router does not know the nodes' counts";
  ASSERT_EQ(Call(one_port_, "POST", "/v1/collections", create).status, 201);
  const Answer described = Call(rport, "GET", "/v1/collections/routed");
  EXPECT_EQ(described.body["dimension"], kClusterDim);
  EXPECT_EQ(described.body["index"], "flat");
  const Answer listed = Call(rport, "GET", "/v1/collections");
  ASSERT_EQ(listed.status, 200) << listed.body.dump();
  bool found = false;
  for (const json& c : listed.body["collections"]) found = found || c["name"] == "routed";
  EXPECT_TRUE(found) << listed.body.dump();

  std::vector<std::unique_ptr<cluster::Node>> nodes;
  for (size_t i = 0; i < kPlacement.size(); ++i) nodes.push_back(StartNode("routed", i));
  ASSERT_TRUE(nodes[0] && nodes[1] && nodes[2]);

  // The same writes through both servers.
  std::string token;
  auto write_both = [&](const std::string& path, const json& body) {
    const Answer one = Call(one_port_, "POST", path, body);
    ASSERT_EQ(one.status, 200) << one.body.dump();
    const Answer routed = Call(rport, "POST", path, body);
    ASSERT_EQ(routed.status, 200) << routed.body.dump();
    EXPECT_EQ(routed.body.begin().key(), one.body.begin().key());
    token = routed.body.value("write_token", "");
    ASSERT_FALSE(token.empty()) << routed.body.dump();
  };
  write_both("/v1/collections/routed/records", RecordsJson(MakeClusterRecords(0, 300)));
  std::vector<uint64_t> deleted;
  for (uint64_t id = 0; id < 300; id += 7) deleted.push_back(id);
  write_both("/v1/collections/routed/delete", {{"ids", deleted}});
  // Last, a write to every shard: its token covers each shard's earlier writes.
  write_both("/v1/collections/routed/records", RecordsJson(MakeClusterRecords(20, 40, 2)));
  ASSERT_EQ(static_cast<uint32_t>(std::count(token.begin(), token.end(), ':')), kShards) << token;

  const std::vector<Record> queries = MakeClusterRecords(5000, 3, 9);
  std::vector<json> requests;
  for (const Record& q : queries) {
    requests.push_back({{"vector", q.vector}, {"k", 10}});
    requests.push_back({{"vector", q.vector}, {"k", 1}, {"with_payload", false}});
    requests.push_back({{"vector", q.vector}, {"k", 100}, {"exact", true}, {"ef", 32}});
    requests.push_back({{"vector", q.vector}, {"k", 20}, {"filter", {{"parity", "odd"}}}});
    requests.push_back({{"vector", q.vector}, {"k", 50}, {"max_distance", 0.9}});
  }
  requests.push_back(
      {{"queries", {{{"vector", queries[0].vector}}, {{"vector", queries[1].vector}}}}, {"k", 7}});
  for (json request : requests) {
    const Answer one = Call(one_port_, "POST", "/v1/collections/routed/search", request);
    ASSERT_EQ(one.status, 200) << one.body.dump();
    request["write_token"] = token;
    const Answer routed = Call(rport, "POST", "/v1/collections/routed/search", request);
    ASSERT_EQ(routed.status, 200) << routed.body.dump();
    EXPECT_FALSE(one.body.dump().find("\"results\":[]") != std::string::npos);
    EXPECT_EQ(routed.body, one.body) << request.dump();
  }

  // Errors: the same status and code.
  for (const auto& [path, request] : std::vector<std::pair<std::string, json>>{
           {"/v1/collections/routed/search", {{"vector", {1.0, 2.0}}}},
           {"/v1/collections/nowhere/search", {{"vector", queries[0].vector}}},
           {"/v1/collections/routed/records", {{"records", json::array({json{{"id", 1}}})}}}}) {
    const Answer one = Call(one_port_, "POST", path, request);
    const Answer routed = Call(rport, "POST", path, request);
    EXPECT_NE(one.status, 200) << path;
    EXPECT_EQ(routed.status, one.status) << path << " " << routed.body.dump();
    EXPECT_EQ(ErrorCode(routed), ErrorCode(one)) << path << " " << routed.body.dump();
  }
  const Answer bad_token = Call(rport, "POST", "/v1/collections/routed/search",
                                {{"vector", queries[0].vector}, {"write_token", "9:1"}});
  EXPECT_EQ(bad_token.status, 400) << bad_token.body.dump();

  // A record by id, a search by a stored record's id: as one machine (the deleted id 7 and an id
  // never written are 404 on both).
  for (const uint64_t id : {5, 7, 99999}) {
    const std::string path = "/v1/collections/routed/records/" + std::to_string(id);
    const Answer one = Call(one_port_, "GET", path);
    const Answer routed = Call(rport, "GET", path);
    EXPECT_EQ(routed.status, one.status) << path << " " << routed.body.dump();
    if (one.status == 200) {
      EXPECT_EQ(routed.body, one.body) << path;
    } else {
      EXPECT_EQ(ErrorCode(routed), ErrorCode(one)) << path << " " << routed.body.dump();
    }
  }
  const json by_id{{"id", 5}, {"k", 10}};
  const Answer one_by_id = Call(one_port_, "POST", "/v1/collections/routed/search", by_id);
  ASSERT_EQ(one_by_id.status, 200) << one_by_id.body.dump();
  EXPECT_EQ(Call(rport, "POST", "/v1/collections/routed/search", by_id).body, one_by_id.body);

  // A delete by filter: every shard deletes what the filter matches, as one machine does.
  write_both("/v1/collections/routed/delete", {{"filter", {{"parity", "odd"}}}});
  for (const Record& q : queries) {
    const json request{{"vector", q.vector}, {"k", 30}};
    const Answer one = Call(one_port_, "POST", "/v1/collections/routed/search", request);
    ASSERT_EQ(one.status, 200) << one.body.dump();
    json routed_request = request;
    routed_request["write_token"] = token;
    const Answer routed = Call(rport, "POST", "/v1/collections/routed/search", routed_request);
    EXPECT_EQ(routed.body, one.body);
    for (const json& hit : routed.body["results"]) EXPECT_NE(hit["payload"]["parity"], "odd");
  }

  // Read-your-writes: each search right after its write sees it (written to one machine too).
  for (uint64_t id = 1000; id < 1005; ++id) {
    const std::vector<Record> record = MakeClusterRecords(id, 1, 7);
    ASSERT_EQ(Call(one_port_, "POST", "/v1/collections/routed/records", RecordsJson(record)).status,
              200);
    const Answer written =
        Call(rport, "POST", "/v1/collections/routed/records", RecordsJson(record));
    ASSERT_EQ(written.status, 200) << written.body.dump();
    const Answer hit = Call(
        rport, "POST", "/v1/collections/routed/search",
        {{"vector", record[0].vector}, {"k", 1}, {"write_token", written.body["write_token"]}});
    ASSERT_EQ(hit.status, 200) << hit.body.dump();
    EXPECT_EQ(hit.body["results"][0]["id"], id) << "the search right after the write sees it";
  }

  // /v1/cluster: the three nodes and each shard's two replicas, once their heartbeats are read.
  json state;
  for (int i = 0; i < 50; ++i) {
    const Answer a = Call(rport, "GET", "/v1/cluster");
    ASSERT_EQ(a.status, 200) << a.body.dump();
    for (const json& c : a.body["collections"]) {
      if (c["collection"] == "routed") state = c;
    }
    if (state.is_object() && state["nodes"].size() == 3) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_EQ(state["nodes"].size(), 3u) << state.dump();
  EXPECT_EQ(state["nodes"][0]["id"], "node0");
  EXPECT_TRUE(state["nodes"][0].contains("heartbeat_age_ms"));
  ASSERT_EQ(state["shards"].size(), kShards);
  for (const json& shard : state["shards"]) EXPECT_EQ(shard["replicas"].size(), 2u);

  // What a router does not offer: a clear 501.
  for (const auto& [method, path, body] : std::vector<std::tuple<std::string, std::string, json>>{
           {"GET", "/v1/images/1", nullptr}, {"POST", "/v1/index", json::object()}}) {
    const Answer a = Call(rport, method, path, body);
    EXPECT_EQ(a.status, 501) << method << " " << path << " " << a.body.dump();
    EXPECT_EQ(ErrorCode(a), "not_implemented") << path;
  }
  EXPECT_EQ(Call(one_port_, "GET", "/v1/cluster").status, 501);

  // Node 0 stopped: every shard keeps a replica, and the hits are the same.
  const json probe{{"vector", queries[0].vector}, {"k", 10}};
  const Answer expected = Call(one_port_, "POST", "/v1/collections/routed/search", probe);
  nodes[0].reset();
  const Answer after_stop = Call(rport, "POST", "/v1/collections/routed/search", probe);
  ASSERT_EQ(after_stop.status, 200) << after_stop.body.dump();
  EXPECT_EQ(after_stop.body, expected.body);
  // Node 2 stopped too: shard 0 has no replica left.
  nodes[2].reset();
  const Answer failed = Call(rport, "POST", "/v1/collections/routed/search", probe);
  EXPECT_EQ(failed.status, 503) << failed.body.dump();
  EXPECT_EQ(ErrorCode(failed), "unavailable");
  const std::string message = failed.body["error"].value("message", "");
  EXPECT_NE(message.find("shard 0:"), std::string::npos) << message;
  EXPECT_EQ(message.find("shard 1:"), std::string::npos) << message;
  json partial_request = probe;
  partial_request["allow_partial"] = true;
  const Answer partial = Call(rport, "POST", "/v1/collections/routed/search", partial_request);
  ASSERT_EQ(partial.status, 200) << partial.body.dump();
  ASSERT_EQ(partial.body["missing_shards"].size(), 1u) << partial.body.dump();
  EXPECT_EQ(partial.body["missing_shards"][0]["shard"], 0);
  EXPECT_FALSE(partial.body["results"].empty());

  // Dropped through the router: gone from the cluster, as from one machine.
  const Answer dropped = Call(rport, "DELETE", "/v1/collections/routed");
  ASSERT_EQ(dropped.status, 200) << dropped.body.dump();
  EXPECT_EQ(dropped.body, Call(one_port_, "DELETE", "/v1/collections/routed").body);
  EXPECT_EQ(Call(rport, "GET", "/v1/collections/routed").status, 404);
}

}  // namespace
}  // namespace alike::test
