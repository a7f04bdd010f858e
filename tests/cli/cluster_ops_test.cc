// Faults and operations of a cluster collection, with `alike node` processes on the shared
// three-server NATS cluster: a node kill -9'ed during writes and searches (searches go on from
// the other replica; the node restarts and catches up; both replicas then hold exactly the
// acknowledged writes, none applied twice), writes from the CLI with read-your-writes tokens,
// `cluster drop` (the nodes stop serving), and writes held back, then refused, while a
// SIGSTOPped replica lags past the collection's bound.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cluster/lag_throttle.h"
#include "cluster/membership.h"
#include "cluster/node.h"
#include "cluster/router.h"
#include "cluster/settings.h"
#include "cluster/shard_writer.h"
#include "testing/cli.h"
#include "testing/cluster_cli_fixture.h"
#include "testing/cluster_fixture.h"

namespace alike::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Waits until `done()` or `timeout` passed; says whether it became true.
template <typename Done>
bool WaitUntil(Done done, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// Whether the live heartbeats say `node` holds every shard of `collection` applied up to its
// stream's last sequence.
bool CaughtUp(cluster::NatsConnection& nats, const cluster::Membership& membership,
              const std::string& collection, uint32_t shards, const std::string& node) {
  for (const cluster::Heartbeat& live : membership.Live()) {
    if (live.node != node) continue;
    uint32_t caught_up = 0;
    for (const cluster::ShardHeartbeat& s : live.shards) {
      auto state = nats.GetStreamState(cluster::ShardStreamName(collection, s.shard));
      if (state.ok() && s.applied == state->last_seq) ++caught_up;
    }
    return caught_up == shards;
  }
  return false;
}

bool IsLive(const cluster::Membership& membership, const std::string& node) {
  for (const cluster::Heartbeat& live : membership.Live()) {
    if (live.node == node) return true;
  }
  return false;
}

std::unique_ptr<cluster::Membership> Follow(cluster::NatsConnection& nats,
                                            const std::string& collection,
                                            milliseconds ttl = kTestHeartbeatTtl) {
  auto membership = cluster::Membership::Watch(nats, collection, ttl);
  EXPECT_TRUE(membership.ok()) << membership.status().ToString();
  if (!membership.ok()) return nullptr;
  (*membership)->WaitUntilCaughtUp(seconds(10));
  return std::move(*membership);
}

TEST_F(ClusterCliTest,
       ANodeKilledDuringWritesAndSearchesCatchesUpLosingNothingApplyingNothingTwice) {
  const std::string name = "kill9";
  // Writes are throttled on lag: the killed node lags more and more until its heartbeat expires,
  // and writes must not wait on a dead replica (they would fail after the 15 s wait).
  Create(name, kTestHeartbeatTtl, " --max-replica-lag 300 --lag-wait-ms 15000");
  const std::vector<std::string> node_ids = {"kill9-a", "kill9-b"};
  std::unique_ptr<ServerProcess> a = StartNode(name, node_ids[0]);
  std::unique_ptr<ServerProcess> b = StartNode(name, node_ids[1]);
  const std::unique_ptr<cluster::Membership> membership = Follow(*nats_, name);
  ASSERT_TRUE(membership);
  cluster::LagThrottle throttle(*membership, name,
                                {.max_lag = 300, .wait = std::chrono::milliseconds(15000)});
  cluster::ShardWriter writer(*nats_, {.collection = name, .shard_count = 2}, kClusterOptions,
                              {.throttle = &throttle});
  auto router = cluster::Router::Create(
      *nats_, {.collection = name, .deadline = seconds(20), .attempt_timeout = seconds(3)});
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  const std::shared_ptr<Collection> one_machine = OneMachine();
  ASSERT_TRUE(one_machine);

  // Each round upserts ten new records, replaces one of three rounds ago (another vector and
  // payload) and deletes two of two rounds ago. A message applied twice out of its place would
  // show: a deleted id back, or a replaced record with its old payload.
  std::atomic<bool> stop{false};
  std::atomic<int> rounds{0}, searched{0};
  Status write_error;
  std::thread writer_thread([&] {
    for (int round = 0; !stop; ++round) {
      const uint64_t first = 10 * static_cast<uint64_t>(round);
      std::vector<Record> records = MakeClusterRecords(first, 10, 1);
      if (round >= 3) records.push_back(MakeClusterRecords(first - 28, 1, 1000 + round)[0]);
      auto upserted = writer.Upsert(records);
      if (!upserted.ok()) {
        write_error = upserted.status();
        return;
      }
      ASSERT_TRUE(one_machine->Upsert(records).ok());
      if (round >= 2) {
        const std::vector<uint64_t> ids = {first - 20, first - 19};
        auto deleted = writer.Delete(ids);
        if (!deleted.ok()) {
          write_error = deleted.status();
          return;
        }
        ASSERT_TRUE(one_machine->Delete(ids).ok());
      }
      rounds = round + 1;
    }
  });
  // Each search's start and outcome.
  struct Searched {
    Clock::time_point start;
    Status outcome;
  };
  std::vector<Searched> searches;
  const auto rounds_past = [&](int n) { return [&, n] { return rounds >= n; }; };
  std::thread searcher([&] {
    const Record query = MakeClusterRecords(5000, 1, /*seed=*/3)[0];
    // Once the collection holds more than five records.
    while (!stop && rounds < 2) std::this_thread::sleep_for(milliseconds(5));
    while (!stop) {
      const Clock::time_point start = Clock::now();
      auto found = (*router)->Search({.vector = query.vector}, {.k = 5});
      Status outcome = found.status();
      if (found.ok() && !found->missing_shards.empty()) {
        outcome = Status::IOError("shards missing from a search without allow_partial");
      } else if (found.ok() && found->hits.at(0).size() != 5) {
        outcome = Status::Internal("fewer than 5 hits");
      }
      searches.push_back({start, outcome});
      ++searched;
    }
  });

  EXPECT_TRUE(WaitUntil(rounds_past(20), seconds(60))) << write_error.ToString();
  EXPECT_EQ(a->StopWith(SIGKILL), -1);
  const int rounds_at_kill = rounds;
  // The router has noticed once the killed node's heartbeat expired.
  EXPECT_TRUE(WaitUntil([&] { return !IsLive(*membership, node_ids[0]); },
                        kTestHeartbeatTtl + seconds(20)));
  const Clock::time_point noticed = Clock::now();
  // Searches started once the kill was noticed: at least five (one in flight may predate it).
  const auto searched_past = [&](int n) { return [&, n] { return searched >= n; }; };
  EXPECT_TRUE(WaitUntil(searched_past(searched + 6), seconds(120)));
  EXPECT_TRUE(WaitUntil(rounds_past(std::max<int>(rounds, rounds_at_kill + 10)), seconds(60)));
  // Restarted on its data directory: it catches up before it says it serves.
  a = StartNode(name, node_ids[0]);
  EXPECT_TRUE(WaitUntil(rounds_past(rounds + 100), seconds(120)));
  EXPECT_TRUE(WaitUntil(searched_past(searched + 5), seconds(120)));
  stop = true;
  writer_thread.join();
  searcher.join();
  ASSERT_TRUE(write_error.ok()) << write_error.ToString();
  ASSERT_GE(rounds, 40);

  size_t after_noticed = 0, failed_before = 0;
  for (const Searched& s : searches) {
    if (s.start < noticed) {
      if (!s.outcome.ok()) {
        ++failed_before;
        std::printf("a search before the router noticed the kill: %s\n",
                    s.outcome.ToString().c_str());
      }
      continue;
    }
    ++after_noticed;
    EXPECT_TRUE(s.outcome.ok()) << "a search after the router noticed the kill: "
                                << s.outcome.ToString();
  }
  EXPECT_GT(after_noticed, 0u);
  std::printf("%zu searches, %zu once the kill was noticed; %zu failed before; %d rounds\n",
              searches.size(), after_noticed, failed_before, rounds.load());

  for (const std::string& id : node_ids) {
    EXPECT_TRUE(WaitUntil([&] { return CaughtUp(*nats_, *membership, name, 2, id); }, seconds(60)))
        << id << " did not catch up";
  }
  EXPECT_EQ(a->StopWith(SIGTERM), 0) << a->output();
  EXPECT_EQ(b->StopWith(SIGTERM), 0) << b->output();

  // Each replica holds exactly the acknowledged writes: every record one machine holds, with its
  // vector and payload, and nothing more.
  std::vector<uint64_t> expected_count(2, 0);
  for (uint64_t id = 0; id < 10 * static_cast<uint64_t>(rounds); ++id) {
    if (one_machine->Get(id).ok()) ++expected_count[cluster::ShardOf(id, 2)];
  }
  ASSERT_EQ(expected_count[0] + expected_count[1], one_machine->Count());
  for (const std::string& id : node_ids) {
    auto db = Database::Open(local_.Sub(id));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (uint32_t shard = 0; shard < 2; ++shard) {
      auto replica = (*db)->GetCollection(cluster::LocalShardName(name, shard));
      ASSERT_TRUE(replica.ok()) << replica.status().ToString();
      EXPECT_EQ((*replica)->Count(), expected_count[shard]) << id << " shard " << shard;
      for (uint64_t record = 0; record < 10 * static_cast<uint64_t>(rounds); ++record) {
        if (cluster::ShardOf(record, 2) != shard) continue;
        auto want = one_machine->Get(record);
        auto got = (*replica)->Get(record);
        ASSERT_EQ(got.ok(), want.ok()) << id << " record " << record;
        if (!want.ok()) continue;
        EXPECT_EQ(got->payload, want->payload) << id << " record " << record;
        EXPECT_EQ(got->vector, want->vector) << id << " record " << record;
      }
    }
  }
}

TEST_F(ClusterCliTest, ANodeLogsACorruptMessageWithShardAndSequenceSkipsItAndGoesOn) {
  const std::string name = "corruptnode";
  Create(name);
  auto node = StartNode(name, "corrupt-a");
  cluster::ShardWriter writer(*nats_, {.collection = name, .shard_count = 2}, kClusterOptions);
  ASSERT_TRUE(writer.Upsert(MakeClusterRecords(0, 20)).ok());
  // Published raw to shard 1: a record of shard 1's id with one bit flipped, and garbage.
  uint64_t bad_id = 1000;
  while (cluster::ShardOf(bad_id, 2) != 1) ++bad_id;
  const Record bad = MakeClusterRecords(bad_id, 1)[0];
  auto damaged = EncodeUpsertLogRecord(kClusterOptions, {&bad, 1});
  ASSERT_TRUE(damaged.ok());
  (*damaged)[damaged->size() / 2] ^= 0x01;
  const std::string subject = cluster::ShardSubject(name, 1);
  auto flipped = nats_->Publish(subject, *damaged, "flipped-1", seconds(5));
  ASSERT_TRUE(flipped.ok()) << flipped.status().ToString();
  auto garbage = nats_->Publish(subject, "not a log record", "garbage-1", seconds(5));
  ASSERT_TRUE(garbage.ok()) << garbage.status().ToString();
  const std::vector<Record> later = MakeClusterRecords(100, 20);
  auto token = writer.Upsert(later);
  ASSERT_TRUE(token.ok()) << token.status().ToString();

  // The writes after the corrupt messages are applied; the damaged record never is.
  const std::string with_token = " --token " + cluster::EncodeWriteToken(*token);
  nlohmann::json hits = Search(name, later[3].vector, with_token);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["id"], 103) << hits;
  hits = Search(name, bad.vector, with_token);
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0]["id"], bad_id) << hits;

  EXPECT_EQ(node->StopWith(SIGTERM), 0);
  for (uint64_t seq : {flipped->sequence, garbage->sequence}) {
    EXPECT_NE(node->output().find("alike: node: shard 1: corruption: skipped corrupt message " +
                                  std::to_string(seq) + ":"),
              std::string::npos)
        << node->output();
  }
}

TEST_F(ClusterCliTest, CliWritesFromAVectorFileAreSeenWithTheirTokenAndDropStopsTheNodes) {
  const std::string name = "cliwrite";
  Create(name);
  auto node = StartNode(name, "cliwrite-a");
  const std::vector<Record> records = MakeClusterRecords(0, 50);
  const std::string file = local_.Sub("records.jsonl");
  {
    std::ofstream out(file);
    for (const Record& r : records) {
      out << nlohmann::json{{"id", r.id},
                            {"vector", r.vector},
                            {"payload", nlohmann::json::parse(r.payload)}}
                 .dump()
          << "\n";
    }
  }
  const RunResult upserted =
      RunAlike(local_, "--json cluster upsert" + Where(name) + " " + file + " --batch 20");
  ASSERT_EQ(upserted.exit_code, 0) << upserted.err;
  const nlohmann::json written = JsonLines(upserted.out).at(0);
  EXPECT_EQ(written["upserted"], 50) << written;
  const std::string token = written["token"];
  EXPECT_NE(token.find("0:"), std::string::npos) << token;
  EXPECT_NE(token.find("1:"), std::string::npos) << token;

  // Read-your-writes: with the token the search waits until both shards applied the writes.
  nlohmann::json hits = Search(name, records[7].vector, " --token " + token);
  ASSERT_EQ(hits.size(), 5u) << hits;
  EXPECT_EQ(hits[0]["id"], 7) << hits;
  EXPECT_EQ(hits[0]["payload"]["parity"], "odd") << hits;

  const RunResult deleted = RunAlike(local_, "--json cluster delete" + Where(name) + " 7");
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  const std::string delete_token = JsonLines(deleted.out).at(0)["token"];
  hits = Search(name, records[7].vector, " --token " + delete_token);
  ASSERT_EQ(hits.size(), 5u) << hits;
  EXPECT_NE(hits[0]["id"], 7) << hits;

  const RunResult bad_token = RunAlike(local_, "cluster search" + Where(name) + " --token 0:x" +
                                                   " --vector " + VectorArg(records[0].vector));
  EXPECT_EQ(bad_token.exit_code, 1);
  EXPECT_NE(bad_token.err.find("write token '0:x'"), std::string::npos) << bad_token.err;
  const std::string wrong_file = local_.Sub("wrong.jsonl");
  std::ofstream(wrong_file) << R"({"id": 1, "vector": [1, 2, 3]})"
                            << "\n";
  const RunResult wrong = RunAlike(local_, "cluster upsert" + Where(name) + " " + wrong_file);
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("wrong.jsonl"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("dimension"), std::string::npos) << wrong.err;

  const RunResult dropped = RunAlike(local_, "cluster drop" + Where(name));
  ASSERT_EQ(dropped.exit_code, 0) << dropped.err;
  EXPECT_NE(dropped.out.find("dropped cluster collection 'cliwrite'"), std::string::npos);
  // The node notices at its next heartbeat, stops serving and exits saying why.
  EXPECT_EQ(node->WaitAtMost(30'000), std::optional<int>(1)) << node->output();
  EXPECT_NE(node->output().find("stream alike-cliwrite-0 is gone"), std::string::npos)
      << node->output();
  EXPECT_NE(node->output().find("every shard's stream is gone (the collection was dropped)"),
            std::string::npos)
      << node->output();
  for (const std::string command : {"cluster status", "cluster drop"}) {
    const RunResult gone = RunAlike(local_, command + Where(name));
    EXPECT_EQ(gone.exit_code, 1) << command;
    EXPECT_NE(gone.err.find("'cliwrite' has no settings"), std::string::npos) << gone.err;
  }
  auto stream = nats_->GetStreamState(cluster::ShardStreamName(name, 1));
  EXPECT_EQ(stream.status().code(), Status::Code::kNotFound) << stream.status().ToString();
  EXPECT_EQ(nats_->ExistingKeyValueBucket(cluster::MembershipBucketName(name)).status().code(),
            Status::Code::kNotFound);
}

TEST_F(ClusterCliTest, WritesAreHeldBackThenRefusedWhileALiveReplicaLagsPastTheBound) {
  const std::string name = "laggy";
  // A stopped node stays live for the TTL, 60 s here; writes wait 5 s for a replica lagging more
  // than 5 messages.
  Create(name, seconds(60), " --max-replica-lag 5 --lag-wait-ms 5000");
  auto node = StartNode(name, "laggy-a");
  auto settings = cluster::ReadClusterSettings(*nats_, name);
  ASSERT_TRUE(settings.ok()) << settings.status().ToString();
  EXPECT_EQ(settings->lag_limit.max_lag, 5u);
  const std::unique_ptr<cluster::Membership> membership = Follow(*nats_, name, seconds(60));
  ASSERT_TRUE(membership);
  cluster::LagThrottle throttle(*membership, name, settings->lag_limit);
  cluster::ShardWriter writer(*nats_, {.collection = name, .shard_count = 2}, kClusterOptions,
                              {.throttle = &throttle});
  // A replica that keeps up does not hold writes back.
  for (uint64_t id = 0; id < 30; ++id) {
    auto written = writer.Upsert(MakeClusterRecords(id, 1));
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }
  ASSERT_TRUE(
      WaitUntil([&] { return CaughtUp(*nats_, *membership, name, 2, "laggy-a"); }, seconds(30)));

  node->Signal(SIGSTOP);
  int accepted = 0;
  Result<cluster::WriteToken> refused = cluster::WriteToken{};
  for (uint64_t id = 100; id < 200 && refused.ok(); ++id) {
    refused = writer.Upsert(MakeClusterRecords(id, 1));
    accepted += refused.ok() ? 1 : 0;
  }
  ASSERT_FALSE(refused.ok()) << "writes went on while the only replica was stopped";
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  const std::string why = refused.status().message();
  EXPECT_NE(why.find("replica on node 'laggy-a' lags 6 messages"), std::string::npos) << why;
  EXPECT_NE(why.find("(bound 5)"), std::string::npos) << why;
  // Each shard took writes up to the bound: 6 messages (the last putting it past), no more.
  EXPECT_LE(accepted, 12);
  EXPECT_GE(accepted, 6);

  node->Signal(SIGCONT);
  // It catches up and the writes pass again.
  Result<cluster::WriteToken> resumed = cluster::WriteToken{};
  EXPECT_TRUE(WaitUntil(
      [&] {
        resumed = writer.Upsert(MakeClusterRecords(300, 1));
        return resumed.ok();
      },
      seconds(60)))
      << resumed.status().ToString();
  EXPECT_EQ(node->StopWith(SIGTERM), 0) << node->output();
}

}  // namespace
}  // namespace alike::test
