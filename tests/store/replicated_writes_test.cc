// Writes carried from another machine (alike cluster): EncodeUpsertLogRecord,
// EncodeDeleteLogRecord and EncodeDeleteWhereLogRecord make a collection's own log records, and Collection::ApplyReplicated applies them with their
// position in the replicated log, durably in the same log record.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "alike/vector_db.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

constexpr uint32_t kDim = 8;
const CollectionOptions kOptions{.dimension = kDim, .metric = Metric::kCosine};

// Write number `seq` (from 1) of a deterministic history: mostly upserts over a small id space
// (so that records are replaced), every fifth a delete, every seventh else a delete by filter.
struct Write {
  std::vector<Record> upserts;
  std::vector<uint64_t> deletes;
  std::string delete_filter;
};

Write MakeWrite(uint64_t seq) {
  std::mt19937_64 rng(seq);
  std::uniform_real_distribution<float> unit(-1, 1);
  Write w;
  if (seq % 5 == 0) {
    for (int i = 0; i < 3; ++i) w.deletes.push_back(rng() % 60);
    return w;
  }
  if (seq % 7 == 0) {
    w.delete_filter = R"({"i": {"$gte": 3}})";
    return w;
  }
  for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n; ++i) {
    Record r{.id = rng() % 60, .vector = std::vector<float>(kDim)};
    for (float& x : r.vector) x = unit(rng);
    r.payload = nlohmann::json{{"seq", seq}, {"i", i}}.dump();
    w.upserts.push_back(std::move(r));
  }
  return w;
}

std::string EncodeWrite(const Write& w) {
  if (w.upserts.empty() && w.delete_filter.empty()) return EncodeDeleteLogRecord(w.deletes);
  auto record = w.upserts.empty() ? EncodeDeleteWhereLogRecord(w.delete_filter)
                                  : EncodeUpsertLogRecord(kOptions, w.upserts);
  EXPECT_TRUE(record.ok()) << record.status().ToString();
  return record.ok() ? *record : "";
}

Status ApplyLocally(Collection& c, const Write& w) {
  if (!w.upserts.empty()) return c.Upsert(w.upserts);
  return w.delete_filter.empty() ? c.Delete(w.deletes).status()
                                 : c.DeleteWhere(w.delete_filter).status();
}

using Contents = std::map<uint64_t, std::pair<std::vector<float>, std::string>>;
Contents ReadAll(const Collection& c) {
  Contents out;
  EXPECT_TRUE(c.ForEach([&](const Record& r) {
                 out[r.id] = {r.vector, r.payload};
                 return true;
               }).ok());
  return out;
}

Contents LocalState(const std::string& dir, uint64_t writes) {
  auto db = Database::Open(dir);
  EXPECT_TRUE(db.ok());
  auto c = (*db)->CreateCollection("local", kOptions);
  EXPECT_TRUE(c.ok());
  for (uint64_t seq = 1; seq <= writes; ++seq) EXPECT_TRUE(ApplyLocally(**c, MakeWrite(seq)).ok());
  return ReadAll(**c);
}

TEST(ReplicatedWritesTest, ApplyingEncodedWritesEqualsWritingLocally) {
  test::TempDir dir;
  const Contents local = LocalState(dir.Sub("local"), 40);
  auto db = Database::Open(dir.Sub("replica"));
  ASSERT_TRUE(db.ok());
  auto c = (*db)->CreateCollection("replica", kOptions);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->replicated_seq(), 0u);
  for (uint64_t seq = 1; seq <= 40; ++seq) {
    ASSERT_TRUE((*c)->ApplyReplicated(EncodeWrite(MakeWrite(seq)), seq).ok()) << seq;
  }
  EXPECT_EQ((*c)->replicated_seq(), 40u);
  EXPECT_FALSE(local.empty());
  EXPECT_EQ(ReadAll(**c), local);  // vectors normalised alike, payloads canonical alike
}

TEST(ReplicatedWritesTest, PositionSurvivesReopenAndCheckpoint) {
  test::TempDir dir;
  auto reopen = [&] {
    auto db = Database::Open(dir.Sub("db"));
    EXPECT_TRUE(db.ok());
    return std::move(*db);
  };
  {
    auto db = reopen();
    auto c = db->CreateCollection("c", kOptions);
    ASSERT_TRUE(c.ok());
    for (uint64_t seq = 1; seq <= 6; ++seq) {
      ASSERT_TRUE((*c)->ApplyReplicated(EncodeWrite(MakeWrite(seq)), seq).ok());
    }
  }
  {
    auto db = reopen();  // from the log
    auto c = db->GetCollection("c");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)->replicated_seq(), 6u);
    ASSERT_TRUE((*c)->Checkpoint().ok());
  }
  {
    auto db = reopen();  // from the checkpoint alone
    auto c = db->GetCollection("c");
    EXPECT_EQ((*c)->replicated_seq(), 6u);
    EXPECT_EQ((*c)->Info().log_bytes, 16u);  // the log holds only its header
    ASSERT_TRUE((*c)->SkipReplicated(9).ok());
  }
  auto db = reopen();
  auto c = db->GetCollection("c");
  EXPECT_EQ((*c)->replicated_seq(), 9u);
  test::TempDir expected_dir;
  EXPECT_EQ(ReadAll(**c), LocalState(expected_dir.Sub("local"), 6));
}

uint32_t CheckpointVersion(const std::string& collection_dir) {
  std::ifstream in(collection_dir + "/checkpoint", std::ios::binary);
  char header[12] = {};
  in.read(header, sizeof(header));
  uint32_t version = 0;
  std::memcpy(&version, header + 8, sizeof(version));  // after the magic "ALIKECKP"
  return version;
}

// Format 3 carries the position; collections that never replicate keep writing format 2, which
// builds from before replication read.
TEST(ReplicatedWritesTest, OnlyReplicatingCollectionsWriteTheNewCheckpointFormat) {
  test::TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok());
  auto local = (*db)->CreateCollection("local", kOptions);
  auto replica = (*db)->CreateCollection("replica", kOptions);
  ASSERT_TRUE(local.ok() && replica.ok());
  ASSERT_TRUE(ApplyLocally(**local, MakeWrite(1)).ok());
  ASSERT_TRUE((*replica)->ApplyReplicated(EncodeWrite(MakeWrite(1)), 1).ok());
  ASSERT_TRUE((*local)->Checkpoint().ok());
  ASSERT_TRUE((*replica)->Checkpoint().ok());
  EXPECT_EQ(CheckpointVersion(dir.Sub("db/collections/local")), 2u);
  EXPECT_EQ(CheckpointVersion(dir.Sub("db/collections/replica")), 3u);
}

TEST(ReplicatedWritesTest, RefusesAPositionAlreadyApplied) {
  test::TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  auto c = (*db)->CreateCollection("c", kOptions);
  ASSERT_TRUE(c.ok());
  const std::string write = EncodeWrite(MakeWrite(1));
  ASSERT_TRUE((*c)->ApplyReplicated(write, 3).ok());
  const uint64_t count = (*c)->Count();
  const uint64_t log_bytes = (*c)->Info().log_bytes;
  for (uint64_t seq : {3, 2}) {
    const Status again = (*c)->ApplyReplicated(write, seq);
    EXPECT_EQ(again.code(), Status::Code::kFailedPrecondition) << again.ToString();
    EXPECT_NE(again.message().find("already applied"), std::string::npos) << again.message();
    EXPECT_EQ((*c)->SkipReplicated(seq).code(), Status::Code::kFailedPrecondition);
  }
  EXPECT_EQ((*c)->replicated_seq(), 3u);
  EXPECT_EQ((*c)->Count(), count);
  EXPECT_EQ((*c)->Info().log_bytes, log_bytes);
}

TEST(ReplicatedWritesTest, DamagedOrForeignRecordsAreCorruptionAndWriteNothing) {
  test::TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  auto c = (*db)->CreateCollection("c", kOptions);
  ASSERT_TRUE(c.ok());
  const std::string good = EncodeWrite(MakeWrite(1));
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x10;
  const std::vector<Record> wide = {{.id = 1, .vector = std::vector<float>(2 * kDim, 1.0f)}};
  auto other_dimension = EncodeUpsertLogRecord({.dimension = 2 * kDim}, wide);
  ASSERT_TRUE(other_dimension.ok());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"a flipped bit", flipped},
      {"a truncated record", good.substr(0, good.size() - 1)},
      {"a record with bytes after it", good + "x"},
      {"not a record", "hello"},
      {"an empty message", ""},
      {"a write of another dimension", *other_dimension},
  };
  const uint64_t log_bytes = (*c)->Info().log_bytes;
  for (const auto& [what, record] : bad) {
    const Status s = (*c)->ApplyReplicated(record, 1);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << what << ": " << s.ToString();
  }
  EXPECT_EQ((*c)->replicated_seq(), 0u);
  EXPECT_EQ((*c)->Count(), 0u);
  EXPECT_EQ((*c)->Info().log_bytes, log_bytes);
  EXPECT_TRUE((*c)->ApplyReplicated(good, 1).ok());
}

TEST(ReplicatedWritesTest, EncodingValidatesLikeUpsert) {
  const std::vector<Record> records = {
      {.id = 1, .vector = std::vector<float>(kDim, 1.0f)},
      {.id = 2, .vector = std::vector<float>(kDim - 1, 1.0f)},
  };
  auto encoded = EncodeUpsertLogRecord(kOptions, records);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(encoded.status().message().find("record 2"), std::string::npos);
  EXPECT_FALSE(EncodeUpsertLogRecord({.dimension = 0}, records).ok());
  auto bad_filter = EncodeDeleteWhereLogRecord(R"({"i": {"$near": 3}})");
  ASSERT_FALSE(bad_filter.ok());
  EXPECT_EQ(bad_filter.status().code(), Status::Code::kInvalidArgument);
}

// A replica killed at random moments, again and again: after each restart the collection holds
// exactly the writes up to its replicated_seq(), which is at least the last acknowledged one. So a
// replica resuming at replicated_seq() + 1 loses nothing and applies nothing twice. Small
// checkpoint thresholds make kills land inside checkpoints too.
TEST(ReplicatedWritesTest, KillNineLeavesExactlyTheWritesUpToThePosition) {
  test::TempDir dir;
  const std::string path = dir.Sub("db");
  DatabaseOptions options;
  options.checkpoint_log_bytes = 8 << 10;
  {
    auto db = Database::Open(path, options);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->CreateCollection("c", kOptions).ok());
  }
  test::TempDir reference_dir;
  auto reference_db = Database::Open(reference_dir.Sub("db"));
  auto reference = (*reference_db)->CreateCollection("c", kOptions);
  ASSERT_TRUE(reference.ok());
  uint64_t reference_seq = 0;

  std::mt19937 rng(7);
  uint64_t acknowledged = 0;
  for (int round = 0; round < 12; ++round) {
    const test::Child child = test::ForkWithPipe([&](int ack_fd) {
      auto db = Database::Open(path, options);
      if (!db.ok()) _exit(3);
      auto c = (*db)->GetCollection("c");
      if (!c.ok()) _exit(4);
      for (uint64_t seq = (*c)->replicated_seq() + 1;; ++seq) {
        if (!(*c)->ApplyReplicated(EncodeWrite(MakeWrite(seq)), seq).ok()) _exit(5);
        if (write(ack_fd, &seq, sizeof(seq)) != sizeof(seq)) _exit(6);
      }
    });
    std::this_thread::sleep_for(std::chrono::microseconds(20000 + rng() % 100000));
    kill(child.pid, SIGKILL);
    const int status = test::WaitFor(child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "replica exited early with " << WEXITSTATUS(status);
    uint64_t seq;
    while (read(child.read_fd, &seq, sizeof(seq)) == sizeof(seq)) {
      ASSERT_EQ(seq, acknowledged + 1) << "the replica resumed elsewhere than after the last";
      acknowledged = seq;
    }
    close(child.read_fd);

    auto db = Database::Open(path, options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto c = (*db)->GetCollection("c");
    ASSERT_TRUE(c.ok());
    const uint64_t position = (*c)->replicated_seq();
    ASSERT_GE(position, acknowledged) << "round " << round << ": an acknowledged write was lost";
    ASSERT_LE(position, acknowledged + 1) << "only the write in flight may have landed";
    acknowledged = position;
    for (; reference_seq < position; ++reference_seq) {
      ASSERT_TRUE(ApplyLocally(**reference, MakeWrite(reference_seq + 1)).ok());
    }
    ASSERT_EQ(ReadAll(**c), ReadAll(**reference)) << "round " << round << ", position " << position;
  }
  EXPECT_GT(acknowledged, 12u) << "the replica must get work done between kills";
}

}  // namespace
}  // namespace alike
