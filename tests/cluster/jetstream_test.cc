// alike cluster on a real three-server NATS JetStream cluster (tests/testing/nats_cluster.h):
// writes published to shard streams and acknowledged, retries deduplicated, shard replicas that
// replay the streams into local collections and answer as one machine holding the same records,
// replicas that resume after a restart, corrupt messages skipped, and a server killed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "alike/vector_db.h"
#include "cluster/nats_client.h"
#include "cluster/shard_replica.h"
#include "cluster/shard_writer.h"
#include "cluster/shards.h"
#include "testing/cluster_fixture.h"
#include "testing/nats_cluster.h"
#include "testing/temp_dir.h"

namespace alike::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const CollectionOptions kOptions = test::kClusterOptions;

std::vector<Record> MakeRecords(uint64_t first, uint64_t count, uint64_t seed = 1) {
  return test::MakeClusterRecords(first, count, seed);
}

// A shard's local collection in its own database, replaying the shard's stream.
struct LocalShard {
  std::unique_ptr<Database> db;
  std::shared_ptr<Collection> collection;
  std::unique_ptr<ShardReplica> replica;
};

LocalShard OpenShard(NatsConnection& nats, const ShardLayout& layout, uint32_t shard,
                     const std::string& dir, ShardReplicaOptions options = {}) {
  LocalShard s;
  auto db = Database::Open(dir);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  s.db = std::move(*db);
  auto existing = s.db->GetCollection("shard");
  auto collection = existing.ok() ? existing : s.db->CreateCollection("shard", kOptions);
  EXPECT_TRUE(collection.ok()) << collection.status().ToString();
  s.collection = *collection;
  auto replica =
      ShardReplica::Open(nats, ShardStreamName(layout.collection, shard),
                         ShardSubject(layout.collection, shard), s.collection, std::move(options));
  EXPECT_TRUE(replica.ok()) << replica.status().ToString();
  if (replica.ok()) s.replica = std::move(*replica);
  return s;
}

TEST(WriteTokenTest, TokensPrintParseBackAndMergeToTheLaterSequence) {
  WriteToken first{.shard_seq = {{0, 12}, {3, 40}}};
  EXPECT_EQ(EncodeWriteToken(first), "0:12,3:40");
  auto parsed = ParseWriteToken("0:12,3:40");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->shard_seq, first.shard_seq);
  first.Merge({.shard_seq = {{3, 38}, {5, 7}}});
  EXPECT_EQ(EncodeWriteToken(first), "0:12,3:40,5:7");
  EXPECT_TRUE(ParseWriteToken("").ok());
  for (const std::string bad : {"0", "0:", ":5", "x:1", "1:2:3", "1:2,,3:4", "1:-2"}) {
    auto refused = ParseWriteToken(bad);
    ASSERT_FALSE(refused.ok()) << "'" << bad << "'";
    EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument) << "'" << bad << "'";
  }
}

using JetStreamTest = test::NatsClusterTest;

TEST_F(JetStreamTest, AWriteIsAcknowledgedWithTheStreamSequencesItReached) {
  const ShardLayout layout = AddCollection("acks", 4);
  ShardWriter writer(*nats_, layout, kOptions);
  auto first = writer.PrepareUpsert(MakeRecords(0, 300));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  std::map<uint32_t, uint64_t> messages_per_shard;
  for (const ShardMessage& m : first->messages) ++messages_per_shard[m.shard];
  EXPECT_EQ(messages_per_shard.size(), 4u) << "300 ids reach every one of 4 shards";
  auto token = writer.Publish(*first);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  ASSERT_EQ(token->shard_seq.size(), 4u);
  for (const auto& [shard, seq] : token->shard_seq) {
    auto state = nats_->GetStreamState(ShardStreamName("acks", shard));
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    EXPECT_EQ(state->last_seq, seq) << "shard " << shard;
    EXPECT_EQ(state->messages, messages_per_shard[shard]) << "shard " << shard;
  }
  // A later write to a shard lands after the first one's messages.
  const std::vector<uint64_t> ids = {0};
  auto deleted = writer.Delete(ids);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  const uint32_t shard = ShardOf(0, 4);
  ASSERT_EQ(deleted->shard_seq.size(), 1u);
  EXPECT_EQ(deleted->shard_seq.at(shard), token->shard_seq.at(shard) + 1);
}

TEST_F(JetStreamTest, ARetriedPublishIsStoredOnceButAnEqualNewWriteIsStored) {
  const ShardLayout layout = AddCollection("dedup", 2);
  ShardWriter writer(*nats_, layout, kOptions);
  const std::vector<Record> records = MakeRecords(0, 40);
  auto write = writer.PrepareUpsert(records);
  ASSERT_TRUE(write.ok());
  auto token = writer.Publish(*write);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  auto retried = writer.Publish(*write);  // as after a lost acknowledgement
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->shard_seq, token->shard_seq) << "the retry was acknowledged as the original";
  for (const auto& [shard, seq] : token->shard_seq) {
    auto state = nats_->GetStreamState(ShardStreamName("dedup", shard));
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(state->last_seq, seq) << "the retry stored nothing in shard " << shard;
  }
  // The same records written again are a new write (a new message id): stored, not dropped.
  auto again = writer.Upsert(records);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  for (const auto& [shard, seq] : again->shard_seq) EXPECT_GT(seq, token->shard_seq.at(shard));
}

TEST_F(JetStreamTest, ALargeBatchIsSplitIntoMessagesUnderTheLimit) {
  const ShardLayout layout = AddCollection("split", 2);
  ShardWriter writer(*nats_, layout, kOptions, {.max_message_bytes = 4096});
  const std::vector<Record> records = MakeRecords(0, 400);
  auto write = writer.PrepareUpsert(records);
  ASSERT_TRUE(write.ok()) << write.status().ToString();
  EXPECT_GT(write->messages.size(), 8u) << "400 records of ~110 bytes need 11+ messages of 4 KiB";
  for (const ShardMessage& m : write->messages) EXPECT_LE(m.body.size(), 4096u);
  auto token = writer.Publish(*write);
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  uint64_t applied = 0;
  for (uint32_t shard = 0; shard < 2; ++shard) {
    LocalShard local = OpenShard(*nats_, layout, shard, local_.Sub(std::to_string(shard)));
    ASSERT_TRUE(local.replica);
    ASSERT_TRUE(local.replica->CatchUpTo(token->shard_seq.at(shard), seconds(20)).ok());
    applied += local.collection->Count();
  }
  EXPECT_EQ(applied, records.size());

  std::vector<Record> huge = MakeRecords(1000, 1);
  huge[0].payload = nlohmann::json{{"text", std::string(5000, 'x')}}.dump();
  auto refused = writer.PrepareUpsert(huge);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("record 1000"), std::string::npos)
      << refused.status().message();
}

using test::SortedHits;

TEST_F(JetStreamTest, ShardReplicasAnswerAsOneMachineHoldingTheSameRecords) {
  constexpr uint32_t kShards = 4;
  const ShardLayout layout = AddCollection("search", kShards);
  ShardWriter writer(*nats_, layout, kOptions);
  const std::shared_ptr<Collection> one_machine = OneMachine();
  ASSERT_TRUE(one_machine);

  WriteToken reached;
  auto write = [&](auto&& publish, auto&& apply_locally) {
    auto token = publish();
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    for (const auto& [shard, seq] : token->shard_seq) reached.shard_seq[shard] = seq;
    ASSERT_TRUE(apply_locally().ok());
  };
  for (uint64_t batch = 0; batch < 5; ++batch) {
    const std::vector<Record> records = MakeRecords(batch * 200, 200);
    write([&] { return writer.Upsert(records); }, [&] { return one_machine->Upsert(records); });
  }
  const std::vector<Record> replaced = MakeRecords(100, 50, /*seed=*/2);
  write([&] { return writer.Upsert(replaced); }, [&] { return one_machine->Upsert(replaced); });
  std::vector<uint64_t> deleted;
  for (uint64_t id = 0; id < 1000; id += 7) deleted.push_back(id);
  write([&] { return writer.Delete(deleted); },
        [&] { return one_machine->Delete(deleted).status(); });

  std::vector<LocalShard> shards;
  uint64_t count = 0;
  for (uint32_t shard = 0; shard < kShards; ++shard) {
    shards.push_back(OpenShard(*nats_, layout, shard, local_.Sub("shard" + std::to_string(shard))));
    ASSERT_TRUE(shards.back().replica);
    const Status caught_up =
        shards.back().replica->CatchUpTo(reached.shard_seq[shard], seconds(20));
    ASSERT_TRUE(caught_up.ok()) << caught_up.ToString();
    count += shards.back().collection->Count();
  }
  EXPECT_EQ(count, one_machine->Count());

  const std::vector<SearchOptions> variants = {
      {.k = 10},
      {.k = 25, .filter = R"({"parity": "odd"})"},
      {.k = 10, .filter = R"({"seed": 2})"},
      {.k = 100, .max_distance = 0.6f},
      {.k = 10, .exact = true},
  };
  const std::vector<Record> queries = MakeRecords(5000, 20, /*seed=*/3);
  for (size_t v = 0; v < variants.size(); ++v) {
    for (const Record& q : queries) {
      auto expected = one_machine->Search({.vector = q.vector}, variants[v]);
      ASSERT_TRUE(expected.ok());
      std::vector<Hit> gathered;
      for (const LocalShard& s : shards) {
        auto hits = s.collection->Search({.vector = q.vector}, variants[v]);
        ASSERT_TRUE(hits.ok());
        gathered.insert(gathered.end(), hits->begin(), hits->end());
      }
      const std::vector<Hit> want = SortedHits(*expected, variants[v].k);
      const std::vector<Hit> got = SortedHits(gathered, variants[v].k);
      ASSERT_EQ(got.size(), want.size()) << "variant " << v << ", query " << q.id;
      ASSERT_FALSE(want.empty()) << "variant " << v << " must find something";
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i].id, want[i].id) << "variant " << v << ", query " << q.id << ", hit " << i;
        EXPECT_EQ(got[i].distance, want[i].distance) << "variant " << v << ", hit " << i;
        EXPECT_EQ(got[i].payload, want[i].payload) << "variant " << v << ", hit " << i;
      }
    }
  }
}

// Forwards to a collection, and records the stream positions handed to it.
class RecordingCollection : public Collection {
 public:
  RecordingCollection(std::shared_ptr<Collection> inner, std::vector<uint64_t>* positions)
      : inner_(std::move(inner)), positions_(positions) {}
  const std::string& name() const override { return inner_->name(); }
  const CollectionOptions& options() const override { return inner_->options(); }
  Status Upsert(std::span<const Record> r) override { return inner_->Upsert(r); }
  Status UpsertViews(std::span<const RecordView> r) override { return inner_->UpsertViews(r); }
  Result<uint64_t> Delete(std::span<const uint64_t> ids) override { return inner_->Delete(ids); }
  Result<uint64_t> DeleteWhere(std::string_view f) override { return inner_->DeleteWhere(f); }
  Result<Record> Get(uint64_t id) const override { return inner_->Get(id); }
  uint64_t Count() const override { return inner_->Count(); }
  Result<uint64_t> CountWhere(std::string_view f) const override { return inner_->CountWhere(f); }
  Result<std::vector<Hit>> Search(const Query& q, const SearchOptions& o) const override {
    return inner_->Search(q, o);
  }
  Result<std::vector<std::vector<Hit>>> SearchBatch(std::span<const Query> q,
                                                    const SearchOptions& o) const override {
    return inner_->SearchBatch(q, o);
  }
  Status ForEach(const std::function<bool(const Record&)>& fn) const override {
    return inner_->ForEach(fn);
  }
  Status Compact() override { return inner_->Compact(); }
  Status Checkpoint() override { return inner_->Checkpoint(); }
  CollectionInfo Info() const override { return inner_->Info(); }
  Status ApplyReplicated(std::string_view record, uint64_t seq) override {
    positions_->push_back(seq);
    return inner_->ApplyReplicated(record, seq);
  }
  Status SkipReplicated(uint64_t seq) override {
    positions_->push_back(seq);
    return inner_->SkipReplicated(seq);
  }
  uint64_t replicated_seq() const override { return inner_->replicated_seq(); }

 private:
  std::shared_ptr<Collection> inner_;
  std::vector<uint64_t>* positions_;
};

TEST_F(JetStreamTest, ARestartedReplicaResumesAfterItsAppliedSequence) {
  const ShardLayout layout = AddCollection("restart", 1);
  ShardWriter writer(*nats_, layout, kOptions);
  for (uint64_t i = 0; i < 30; ++i) ASSERT_TRUE(writer.Upsert(MakeRecords(i * 10, 10)).ok());

  std::vector<uint64_t> positions;  // every position handed to the collection, in both lives
  const std::string dir = local_.Sub("replica");
  auto open = [&] {
    auto db = Database::Open(dir);
    EXPECT_TRUE(db.ok());
    auto existing = (*db)->GetCollection("shard");
    auto inner = existing.ok() ? existing : (*db)->CreateCollection("shard", kOptions);
    EXPECT_TRUE(inner.ok());
    auto recording = std::make_shared<RecordingCollection>(*inner, &positions);
    auto replica = ShardReplica::Open(*nats_, ShardStreamName("restart", 0),
                                      ShardSubject("restart", 0), recording, {.fetch_batch = 7});
    EXPECT_TRUE(replica.ok()) << replica.status().ToString();
    return std::make_pair(std::move(*db), std::move(*replica));
  };
  uint64_t stopped_at = 0;
  {
    auto [db, replica] = open();
    // Part-way: a few batches of 7, not the whole stream.
    for (int poll = 0; poll < 3; ++poll) ASSERT_TRUE(replica->Poll(seconds(5)).ok());
    stopped_at = replica->applied_seq();
    ASSERT_GT(stopped_at, 0u);
    ASSERT_LT(stopped_at, 30u);
  }
  for (uint64_t i = 30; i < 40; ++i) ASSERT_TRUE(writer.Upsert(MakeRecords(i * 10, 10)).ok());
  auto [db, replica] = open();
  EXPECT_EQ(replica->applied_seq(), stopped_at) << "the position survives the restart";
  ASSERT_TRUE(replica->CatchUpTo(40, seconds(20)).ok());
  std::vector<uint64_t> expected(40);
  for (uint64_t i = 0; i < 40; ++i) expected[i] = i + 1;
  EXPECT_EQ(positions, expected) << "each position applied once, in order, across the restart";
  auto collection = db->GetCollection("shard");
  EXPECT_EQ((*collection)->Count(), 400u);
}

TEST_F(JetStreamTest, ACorruptMessageIsReportedAndSkippedNeverApplied) {
  const ShardLayout layout = AddCollection("corrupt", 1);
  ShardWriter writer(*nats_, layout, kOptions);
  ASSERT_TRUE(writer.Upsert(MakeRecords(0, 10)).ok());
  // Damaged on the way: a valid record of ids 100-109 with one bit flipped, and plain garbage.
  auto damaged = EncodeUpsertLogRecord(kOptions, MakeRecords(100, 10));
  ASSERT_TRUE(damaged.ok());
  (*damaged)[damaged->size() / 2] ^= 0x01;
  const std::string subject = ShardSubject("corrupt", 0);
  auto flipped = nats_->Publish(subject, *damaged, "damaged-1", seconds(5));
  ASSERT_TRUE(flipped.ok()) << flipped.status().ToString();
  auto garbage = nats_->Publish(subject, "not a log record", "garbage-1", seconds(5));
  ASSERT_TRUE(garbage.ok());
  auto last = writer.Upsert(MakeRecords(10, 10));
  ASSERT_TRUE(last.ok());

  std::map<uint64_t, Status> reported;
  auto on_skipped = [&](uint64_t seq, const Status& why) { reported[seq] = why; };
  {
    LocalShard local =
        OpenShard(*nats_, layout, 0, local_.Sub("replica"), {.on_skipped = on_skipped});
    ASSERT_TRUE(local.replica);
    ASSERT_TRUE(local.replica->CatchUpTo(last->shard_seq.at(0), seconds(20)).ok());
    EXPECT_EQ(local.replica->skipped_count(), 2u);
    EXPECT_EQ(local.collection->Count(), 20u) << "the good writes on both sides are applied";
    EXPECT_FALSE(local.collection->Get(100).ok()) << "nothing of the damaged write is applied";
  }
  ASSERT_EQ(reported.size(), 2u);
  for (uint64_t seq : {flipped->sequence, garbage->sequence}) {
    ASSERT_TRUE(reported.count(seq)) << "sequence " << seq << " was not reported";
    EXPECT_EQ(reported[seq].code(), Status::Code::kCorruption) << reported[seq].ToString();
  }
  // A restart does not read the skipped messages again.
  reported.clear();
  LocalShard again =
      OpenShard(*nats_, layout, 0, local_.Sub("replica"), {.on_skipped = on_skipped});
  ASSERT_TRUE(again.replica);
  EXPECT_EQ(again.replica->applied_seq(), last->shard_seq.at(0));
  auto nothing = again.replica->Poll(milliseconds(200));
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(*nothing, 0u);
  EXPECT_TRUE(reported.empty());
}

TEST_F(JetStreamTest, AReplicaRefusesAStreamThatNoLongerHoldsItsNextPosition) {
  const ShardLayout layout = AddCollection("recreated", 1);
  ShardWriter writer(*nats_, layout, kOptions);
  auto token = writer.Upsert(MakeRecords(0, 10));
  ASSERT_TRUE(token.ok());
  {
    LocalShard local = OpenShard(*nats_, layout, 0, local_.Sub("replica"));
    ASSERT_TRUE(local.replica->CatchUpTo(token->shard_seq.at(0), seconds(20)).ok());
  }
  ASSERT_TRUE(nats_->DeleteStream(ShardStreamName("recreated", 0)).ok());
  AddCollection("recreated", 1);  // empty again: it ends before what the replica applied
  auto db = Database::Open(local_.Sub("replica"));
  ASSERT_TRUE(db.ok());
  auto collection = (*db)->GetCollection("shard");
  ASSERT_TRUE(collection.ok());
  auto replica = ShardReplica::Open(*nats_, ShardStreamName("recreated", 0),
                                    ShardSubject("recreated", 0), *collection);
  ASSERT_FALSE(replica.ok());
  EXPECT_EQ(replica.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(replica.status().message().find("recreated"), std::string::npos)
      << replica.status().message();
}

TEST(JetStreamUnreachableTest, ConnectingToNoServerFailsClearlyWithinItsTimeout) {
  const std::string url = "nats://127.0.0.1:" + std::to_string(LocalNatsCluster::FreePorts(1)[0]);

  const auto start = std::chrono::steady_clock::now();
  auto nats = NatsConnection::Connect({.servers = url, .timeout = milliseconds(500)});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(nats.ok());
  EXPECT_EQ(nats.status().code(), Status::Code::kIOError);
  EXPECT_NE(nats.status().message().find(url), std::string::npos) << nats.status().message();
  // Not a timing target: it must not retry or hang (10x the connect timeout is far from both).
  EXPECT_LT(took, seconds(5));
}

// kill -9 of the server leading a shard's stream: the other two elect a leader and writes go on;
// with every server gone, a write fails within its deadline and says so.
TEST(JetStreamFailoverTest, WritesContinueAfterKillNineOfTheStreamLeader) {
  if (const std::string why = test::NatsSkipReason(); !why.empty()) GTEST_SKIP() << why;
  test::TempDir dir;
  auto started = test::StartNatsCluster(dir.path());
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  LocalNatsCluster& cluster = **started;
  auto nats = NatsConnection::Connect({.servers = cluster.urls()});
  ASSERT_TRUE(nats.ok()) << nats.status().ToString();
  const ShardLayout layout{.collection = "failover", .shard_count = 1};
  ASSERT_TRUE(AddShardStreams(**nats, layout).ok());
  ShardWriter writer(**nats, layout, kOptions, {.publish_deadline = seconds(30)});
  auto before = writer.Upsert(MakeRecords(0, 20));
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  auto state = (*nats)->GetStreamState(ShardStreamName("failover", 0));
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  const int leader = LocalNatsCluster::IndexOf(state->leader);
  ASSERT_GE(leader, 0) << "leader '" << state->leader << "'";
  cluster.Kill(leader);

  auto after = writer.Upsert(MakeRecords(20, 20));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_GT(after->shard_seq.at(0), before->shard_seq.at(0));
  auto new_state = (*nats)->GetStreamState(ShardStreamName("failover", 0));
  ASSERT_TRUE(new_state.ok()) << new_state.status().ToString();
  EXPECT_NE(new_state->leader, state->leader);

  test::TempDir local;
  LocalShard shard = OpenShard(**nats, layout, 0, local.Sub("replica"));
  ASSERT_TRUE(shard.replica);
  ASSERT_TRUE(shard.replica->CatchUpTo(after->shard_seq.at(0), seconds(30)).ok());
  EXPECT_EQ(shard.collection->Count(), 40u) << "no acknowledged write lost";

  const Status restarted = cluster.Restart(leader);
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  auto rejoined = writer.Upsert(MakeRecords(40, 20));
  ASSERT_TRUE(rejoined.ok()) << rejoined.status().ToString();

  for (int i = 0; i < LocalNatsCluster::kServers; ++i) cluster.Kill(i);
  ShardWriter hurried(**nats, layout, kOptions, {.publish_deadline = seconds(2)});
  auto refused = hurried.Upsert(MakeRecords(60, 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kIOError);
  EXPECT_NE(refused.status().message().find("was not acknowledged"), std::string::npos)
      << refused.status().message();
}

}  // namespace
}  // namespace alike::cluster
