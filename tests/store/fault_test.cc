// I/O error tests, after SQLite's: the same workload runs once for every N = 1, 2, 3, ... with
// the Nth file system call failing, until a run finishes without reaching it. The workload
// creates collections of three index kinds, upserts, deletes, checkpoints and compacts (small
// thresholds add automatic checkpoints and purges), and creates, writes and drops one more
// collection. After each run:
//   - the first failing call returned an IOError naming the file and the cause;
//   - the database reopens, without faults, to exactly the acknowledged writes, plus at most the
//     first failed write of each collection, whole, and only if nothing was acknowledged on that
//     collection after it (the collection refused writes until reopened);
//   - what the open database served before it was closed is what reopens, but for that write;
//   - the reopened database lists the collections the open one did, but for one whose creation
//     failed after it was renamed into place (which is empty);
//   - searches find stored vectors.
// Both a transient error (EIO once) and a full disk (ENOSPC from the Nth call on) are run. A
// second test does the same to recovery, and a few aim at the calls that once went wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "alike/vector_db.h"
#include "store/open_database.h"
#include "testing/fault_file_system.h"
#include "testing/temp_dir.h"
#include "util/file.h"

namespace alike {
namespace {

using test::FaultFileSystem;

constexpr uint32_t kDim = 16;
constexpr uint64_t kIdSpace = 24;
constexpr int kOps = 24;

struct CollectionSpec {
  const char* name;
  CollectionOptions options;
};

const CollectionSpec kCollections[] = {
    {"hnsw", {.dimension = kDim, .metric = Metric::kL2, .index = IndexKind::kHnsw}},
    {"sq8", {.dimension = kDim, .metric = Metric::kL2, .index = IndexKind::kSq8}},
    {"bits", {.dimension = kDim * 8, .metric = Metric::kHamming, .index = IndexKind::kFlat}},
};
constexpr size_t kCollectionCount = std::size(kCollections);

DatabaseOptions FaultOptions() {
  DatabaseOptions o;
  o.checkpoint_log_bytes = 2 << 10;  // an automatic checkpoint every few writes
  o.compact_deleted_fraction = 0.3;
  o.threads = 1;
  return o;
}

struct Stored {
  std::vector<float> vector;
  std::vector<uint8_t> binary;
  std::string payload;
  bool operator==(const Stored&) const = default;
};
// Failures print a record as its payload, which names the operation that wrote it.
void PrintTo(const Stored& s, std::ostream* os) { *os << s.payload; }
using Model = std::map<uint64_t, Stored>;

// Operation n: on collection n % 3, an upsert of 1-6 records, every fifth a delete, and now and
// then an explicit checkpoint or compaction (which change nothing a reader sees).
struct Op {
  size_t collection = 0;
  enum Kind { kUpsert, kDelete, kCheckpoint, kCompact } kind = kUpsert;
  std::vector<Record> upserts;
  std::vector<uint64_t> deletes;
};

Op MakeOp(int n) {
  std::mt19937_64 rng(n * 104729 + 7);
  Op op;
  op.collection = n % kCollectionCount;
  if (n == 13) {
    op.kind = Op::kCheckpoint;
  } else if (n == 20) {
    op.kind = Op::kCompact;
  } else if (n % 5 == 4) {
    op.kind = Op::kDelete;
    for (int i = 0, count = 1 + rng() % 6; i < count; ++i) op.deletes.push_back(rng() % kIdSpace);
  } else {
    std::normal_distribution<float> normal;
    for (int i = 0, count = 1 + rng() % 6; i < count; ++i) {
      Record r;
      r.id = rng() % kIdSpace;
      if (kCollections[op.collection].options.metric == Metric::kHamming) {
        r.binary.resize(kDim);
        for (auto& b : r.binary) b = static_cast<uint8_t>(rng());
      } else {
        r.vector.resize(kDim);
        for (auto& x : r.vector) x = normal(rng);
      }
      r.payload = nlohmann::json{{"op", n}, {"i", i}}.dump();
      op.upserts.push_back(std::move(r));
    }
  }
  return op;
}

void ApplyToModel(const Op& op, Model* model) {
  for (const auto& r : op.upserts) (*model)[r.id] = {r.vector, r.binary, r.payload};
  for (uint64_t id : op.deletes) model->erase(id);
}

Status RunOp(const Op& op, Collection& c) {
  switch (op.kind) {
    case Op::kUpsert:
      return c.Upsert(op.upserts);
    case Op::kDelete:
      return c.Delete(op.deletes).status();
    case Op::kCheckpoint:
      return c.Checkpoint();
    case Op::kCompact:
      return c.Compact();
  }
  return Status::OK();
}

Model ReadBack(const Collection& c) {
  Model m;
  EXPECT_TRUE(c.ForEach([&](const Record& r) {
                 m[r.id] = {r.vector, r.binary, r.payload};
                 return true;
               }).ok());
  return m;
}

// What one run did to a collection.
struct Outcome {
  bool created = false;             // CreateCollection acknowledged
  std::vector<int> acknowledged;    // writes (upserts, deletes) that returned OK, in order
  std::optional<int> first_failed;  // the first write that failed
  bool acknowledged_after_failure = false;
  Model served;  // what the open database returned just before it was closed
};

// The model after the acknowledged writes, and with `extra` (a failed write) in its place too.
Model Expected(const Outcome& o, std::optional<int> extra) {
  Model m;
  size_t next = 0;
  for (int n = 0; n < kOps; ++n) {
    const bool acked = next < o.acknowledged.size() && o.acknowledged[next] == n;
    if (acked) ++next;
    if (acked || extra == n) ApplyToModel(MakeOp(n), &m);
  }
  return m;
}

// An error at a fault: an IOError naming a file and the cause, or a write refused because an
// earlier fault left the collection's log unknown.
void ExpectClearError(const Status& s, FaultFileSystem::Mode mode, const std::string& what) {
  const std::string cause =
      mode == FaultFileSystem::Mode::kOnce ? "Input/output error" : "No space left on device";
  EXPECT_NE(s.message().find(cause), std::string::npos) << what << ": " << s.ToString();
  if (s.code() == Status::Code::kIOError) {
    EXPECT_NE(s.message().find("/"), std::string::npos)
        << what << " names no file: " << s.ToString();
  } else {
    EXPECT_EQ(s.code(), Status::Code::kFailedPrecondition) << what << ": " << s.ToString();
  }
}

// How often the runs took the paths worth checking, so that the test shows it takes them.
struct Tally {
  int failed_write_reopened = 0;     // a write that failed reopened (its log's end was unknown)
  int acknowledged_after_error = 0;  // a collection acknowledged writes after one failed
};

// Reopens the database without faults and checks it against what the run acknowledged.
// `listed`: the collections the database listed before it was closed, if it opened;
// `creation_failed`: those whose CreateCollection failed.
void CheckReopened(const std::string& path, const Outcome (&outcomes)[kCollectionCount],
                   const std::optional<std::vector<std::string>>& listed,
                   const std::vector<std::string>& creation_failed, Tally* tally) {
  FaultFileSystem no_faults(0, FaultFileSystem::Mode::kOnce);  // for its fast syncs
  auto db = store::OpenDatabase(path, FaultOptions(), no_faults);
  if (!db.ok()) {
    // Only a database whose very creation failed may be missing.
    EXPECT_EQ(db.status().code(), Status::Code::kNotFound) << db.status().ToString();
    for (const Outcome& o : outcomes) EXPECT_FALSE(o.created);
    return;
  }
  if (listed) {
    // The reopened database lists what the open one did, and perhaps a collection whose
    // creation failed after its directory was renamed into place (then it is empty, below).
    const std::vector<std::string> names = (*db)->ListCollections();
    for (const std::string& name : *listed) {
      EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name << " is gone";
    }
    for (const std::string& name : names) {
      if (std::find(listed->begin(), listed->end(), name) == listed->end()) {
        EXPECT_NE(std::find(creation_failed.begin(), creation_failed.end(), name),
                  creation_failed.end())
            << name << " reopened but was not listed";
      }
    }
  }
  for (size_t i = 0; i < kCollectionCount; ++i) {
    const Outcome& o = outcomes[i];
    SCOPED_TRACE(kCollections[i].name);
    auto c = (*db)->GetCollection(kCollections[i].name);
    if (!c.ok()) {
      EXPECT_FALSE(o.created) << "an acknowledged collection is gone";
      continue;
    }
    const Model on_disk = ReadBack(**c);
    if (!o.created) {
      EXPECT_TRUE(on_disk.empty()) << "a collection whose creation failed has records";
      continue;
    }
    tally->acknowledged_after_error += o.acknowledged_after_failure;
    const Model acked = Expected(o, std::nullopt);
    EXPECT_EQ(o.served, acked) << "the open database served other than the acknowledged writes";
    if (on_disk != acked) {
      ASSERT_TRUE(o.first_failed.has_value())
          << "the reopened collection lost acknowledged writes or gained others (" << on_disk.size()
          << " records, expected " << acked.size() << ")";
      EXPECT_EQ(on_disk, Expected(o, o.first_failed))
          << "the reopened collection holds neither the acknowledged writes nor them and the "
             "failed write "
          << *o.first_failed;
      ++tally->failed_write_reopened;
      EXPECT_FALSE(o.acknowledged_after_failure)
          << "write " << *o.first_failed << " failed but reopens, and later writes were "
          << "acknowledged by a collection that did not know it";
    }
    for (const auto& [id, stored] : on_disk) {
      auto hits = (*c)->Search({.vector = stored.vector, .binary = stored.binary}, {.k = 1});
      ASSERT_TRUE(hits.ok()) << hits.status().ToString();
      ASSERT_EQ(hits->size(), 1u);
      EXPECT_EQ((*hits)[0].distance, 0.0f);
      break;
    }
    // The reopened collection takes writes again.
    EXPECT_TRUE((*c)->Upsert(MakeOp(static_cast<int>(i)).upserts).ok());
  }
}

// One run with call `fail_at` failing. Returns whether the fault was reached.
bool RunWithFaultAt(uint64_t fail_at, FaultFileSystem::Mode mode, Tally* tally) {
  SCOPED_TRACE("fault at call " + std::to_string(fail_at));
  test::TempDir dir;
  const std::string path = dir.Sub("db");
  FaultFileSystem fs(fail_at, mode);
  Outcome outcomes[kCollectionCount];
  std::optional<std::vector<std::string>> listed;
  std::vector<std::string> creation_failed;
  {
    auto db = store::OpenDatabase(path, FaultOptions(), fs);
    if (!db.ok()) {
      EXPECT_TRUE(fs.fired()) << db.status().ToString();
      ExpectClearError(db.status(), mode, "open");
    } else {
      std::shared_ptr<Collection> handles[kCollectionCount];
      for (size_t i = 0; i < kCollectionCount; ++i) {
        auto c = (*db)->CreateCollection(kCollections[i].name, kCollections[i].options);
        if (c.ok()) {
          handles[i] = *c;
          outcomes[i].created = true;
        } else {
          ExpectClearError(c.status(), mode, std::string("create ") + kCollections[i].name);
          creation_failed.push_back(kCollections[i].name);
        }
      }
      for (int n = 0; n < kOps; ++n) {
        const Op op = MakeOp(n);
        Outcome& o = outcomes[op.collection];
        if (handles[op.collection] == nullptr) continue;
        const Status s = RunOp(op, *handles[op.collection]);
        if (!s.ok()) ExpectClearError(s, mode, "operation " + std::to_string(n));
        if (op.kind == Op::kCheckpoint || op.kind == Op::kCompact) continue;
        if (s.ok()) {
          o.acknowledged.push_back(n);
          o.acknowledged_after_failure |= o.first_failed.has_value();
        } else if (!o.first_failed) {
          o.first_failed = n;
        }
      }
      // A collection made, written and dropped: the drop happens whole or not at all.
      auto doomed = (*db)->CreateCollection("doomed", kCollections[0].options);
      if (doomed.ok()) {
        Status s = (*doomed)->Upsert(MakeOp(0).upserts);
        if (s.ok()) s = (*db)->DropCollection("doomed");
        if (!s.ok()) ExpectClearError(s, mode, "drop");
      } else {
        ExpectClearError(doomed.status(), mode, "create doomed");
        creation_failed.push_back("doomed");
      }
      for (size_t i = 0; i < kCollectionCount; ++i) {
        if (handles[i] != nullptr) outcomes[i].served = ReadBack(*handles[i]);
      }
      listed = (*db)->ListCollections();
    }
  }
  if (!fs.fired()) {
    EXPECT_EQ(fs.calls(), fail_at - 1);
  }
  CheckReopened(path, outcomes, listed, creation_failed, tally);
  return fs.fired();
}

class FaultTest : public ::testing::TestWithParam<FaultFileSystem::Mode> {};

TEST_P(FaultTest, EveryCallFailingInTurnLosesNoAcknowledgedWrite) {
  uint64_t n = 1;
  Tally tally;
  while (RunWithFaultAt(n, GetParam(), &tally)) {
    if (::testing::Test::HasFailure()) break;  // one failing N says it all
    ++n;
  }
  std::printf(
      "fault test: %llu runs; a failed write reopened in %d, writes acknowledged after an error "
      "in %d\n",
      static_cast<unsigned long long>(n), tally.failed_write_reopened,
      tally.acknowledged_after_error);
  EXPECT_GT(n, 100u) << "the workload must make many calls";
  EXPECT_GT(tally.failed_write_reopened, 0);
  if (GetParam() == FaultFileSystem::Mode::kOnce) {
    EXPECT_GT(tally.acknowledged_after_error, 0);
  }
}

// Recovery under faults: a database left with everything recovery cleans up (a torn log tail, an
// interrupted checkpoint's checkpoint.tmp, a log the checkpoint covers, an interrupted
// collection creation) is opened with call N failing, for every N. Opening either fails with a
// clear error or serves the database whole, and a reopen without faults serves it whole.
TEST_P(FaultTest, RecoveryWithEveryCallFailingInTurnLosesNothing) {
  test::TempDir dir;
  const std::string prepared = dir.Sub("prepared");
  Model expected[kCollectionCount];
  {
    auto db = Database::Open(prepared, FaultOptions());
    ASSERT_TRUE(db.ok());
    std::shared_ptr<Collection> handles[kCollectionCount];
    for (size_t i = 0; i < kCollectionCount; ++i) {
      auto c = (*db)->CreateCollection(kCollections[i].name, kCollections[i].options);
      ASSERT_TRUE(c.ok());
      handles[i] = *c;
    }
    for (int n = 0; n < kOps; ++n) {
      const Op op = MakeOp(n);
      ASSERT_TRUE(RunOp(op, *handles[op.collection]).ok());
    }
    for (size_t i = 0; i < kCollectionCount; ++i) expected[i] = ReadBack(*handles[i]);
  }
  for (const CollectionSpec& spec : kCollections) {
    const std::string c = prepared + "/collections/" + spec.name;
    auto names = ListDir(c);
    ASSERT_TRUE(names.ok());
    const std::string last_log = c + "/" + names->back();  // wal-<seq>.log sort last
    ASSERT_TRUE(WriteFileAtomically(c + "/wal-00000000.log", "covered").ok());
    ASSERT_TRUE(WriteFileAtomically(c + "/checkpoint.tmp", "interrupted").ok());
    auto log = AppendFile::Open(last_log);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append("torn record", 11).ok());
  }
  ASSERT_TRUE(CreateDir(prepared + "/collections/.creating-x").ok());

  auto expect_whole = [&](const Database& db, const std::string& what) {
    for (size_t i = 0; i < kCollectionCount; ++i) {
      auto c = db.GetCollection(kCollections[i].name);
      ASSERT_TRUE(c.ok()) << what;
      EXPECT_EQ(ReadBack(**c), expected[i]) << what << ": " << kCollections[i].name;
    }
  };
  uint64_t n = 1;
  std::vector<std::string> calls;  // of the last run, which reached no fault
  for (bool fired = true; fired && !::testing::Test::HasFailure(); ++n) {
    SCOPED_TRACE("fault at call " + std::to_string(n));
    const std::string path = dir.Sub("run");
    ASSERT_TRUE(RemoveAll(path).ok());
    std::filesystem::copy(prepared, path, std::filesystem::copy_options::recursive);
    FaultFileSystem fs(n, GetParam());
    {
      auto db = store::OpenDatabase(path, FaultOptions(), fs);
      if (db.ok()) {
        expect_whole(**db, "opened under faults");
      } else {
        ExpectClearError(db.status(), GetParam(), "open");
      }
    }
    fired = fs.fired();
    calls = fs.call_log();
    FaultFileSystem no_faults(0, FaultFileSystem::Mode::kOnce);
    auto db = store::OpenDatabase(path, FaultOptions(), no_faults);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    expect_whole(**db, "reopened");
  }
  std::printf("recovery fault test: %llu runs\n", static_cast<unsigned long long>(n - 1));
  // The runs went through the clean-up they are meant to test.
  const std::vector<std::string> clean_up = {
      "truncate", "remove " + dir.Sub("run/collections/.creating-x"),
      "remove " + dir.Sub("run/collections/hnsw/checkpoint.tmp"),
      "remove " + dir.Sub("run/collections/hnsw/wal-00000000.log")};
  for (const std::string& what : clean_up) {
    EXPECT_NE(std::find(calls.begin(), calls.end(), what), calls.end()) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, FaultTest,
                         ::testing::Values(FaultFileSystem::Mode::kOnce,
                                           FaultFileSystem::Mode::kForever),
                         [](const auto& info) {
                           return info.param == FaultFileSystem::Mode::kOnce ? "TransientEio"
                                                                             : "DiskFull";
                         });

// Regressions the test above found, each aimed at its call: a run on a file system that never
// fails logs the calls a scenario makes, and an identical run fails the one picked from the log.

std::vector<Record> Batch(uint64_t first_id) {
  std::vector<Record> batch;
  for (uint64_t id = first_id; id < first_id + 5; ++id) {
    Record r{.id = id, .vector = std::vector<float>(kDim, static_cast<float>(id))};
    batch.push_back(std::move(r));
  }
  return batch;
}

// The number of the first call after call `after` whose log entry starts with `what`.
uint64_t FindCall(const std::vector<std::string>& log, uint64_t after, const std::string& what) {
  for (uint64_t i = after; i < log.size(); ++i) {
    if (log[i].rfind(what, 0) == 0) return i + 1;
  }
  ADD_FAILURE() << "no call '" << what << "' after call " << after;
  return 0;
}

// The collection "c" reopened without faults holds records 1-10.
void ExpectBothBatches(const std::string& path) {
  FaultFileSystem no_faults(0, FaultFileSystem::Mode::kOnce);
  auto db = store::OpenDatabase(path, FaultOptions(), no_faults);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto c = (*db)->GetCollection("c");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Count(), 10u);
  for (uint64_t id = 1; id <= 10; ++id) EXPECT_TRUE((*c)->Get(id).ok()) << id;
}

using Step = std::function<void(Database& db, Collection& c, const FaultFileSystem& fs,
                                const std::string& dir)>;
using Pick = std::function<uint64_t(const std::vector<std::string>& log, uint64_t first,
                                    const std::string& dir)>;

// Runs `step` on a collection holding records 1-5 twice: over a file system that never fails,
// then, in a fresh database, with the call that `pick` chooses from the first run's calls (those
// from `first` on) failing once. `dir` is the collection's directory. The step writes records
// 6-10, and both batches must reopen.
void RunWithAimedFault(const DatabaseOptions& options, const Step& step, const Pick& pick) {
  test::TempDir dir;
  auto run = [&](const std::string& path, FaultFileSystem& fs) -> uint64_t {
    auto db = store::OpenDatabase(path, options, fs);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return 0;
    auto c = (*db)->CreateCollection("c", {.dimension = kDim});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return 0;
    EXPECT_TRUE((*c)->Upsert(Batch(1)).ok());
    const uint64_t first = fs.calls();
    step(**db, **c, fs, path + "/collections/c");
    return first;
  };
  FaultFileSystem dry(0, FaultFileSystem::Mode::kOnce);
  const uint64_t first = run(dir.Sub("dry"), dry);
  FaultFileSystem fs(pick(dry.call_log(), first, dir.Sub("dry") + "/collections/c"),
                     FaultFileSystem::Mode::kOnce);
  run(dir.Sub("db"), fs);
  EXPECT_TRUE(fs.fired());
  ExpectBothBatches(dir.Sub("db"));
}

// A checkpoint renamed into place whose directory sync failed used to leave the collection
// logging into the old log, which the new checkpoint covers: the writes acknowledged after it
// were dropped with that log at the next open.
TEST(FaultRegressionTest, WritesAfterACheckpointWhoseDirectorySyncFailedReopen) {
  DatabaseOptions options = FaultOptions();
  options.checkpoint_log_bytes = 1 << 30;  // only the explicit checkpoint
  RunWithAimedFault(
      options,
      [](Database&, Collection& c, const FaultFileSystem& fs, const std::string&) {
        const Status checkpointed = c.Checkpoint();
        EXPECT_EQ(checkpointed.ok(), !fs.fired()) << checkpointed.ToString();
        EXPECT_TRUE(c.Upsert(Batch(6)).ok());
      },
      [](const std::vector<std::string>& log, uint64_t first, const std::string& dir) {
        return FindCall(log, FindCall(log, first, "rename " + dir + "/checkpoint.tmp"), "fsync");
      });
}

// An automatic checkpoint failing after a write used to fail that write, which was logged and
// applied already (served, and back after a reopen), and left its partial checkpoint.tmp behind.
TEST(FaultRegressionTest, AWriteWhoseAutomaticCheckpointFailsIsAcknowledged) {
  DatabaseOptions options = FaultOptions();
  options.checkpoint_log_bytes = 1;  // a checkpoint after every write
  RunWithAimedFault(
      options,
      [](Database&, Collection& c, const FaultFileSystem&, const std::string& dir) {
        const Status written = c.Upsert(Batch(6));
        EXPECT_TRUE(written.ok()) << written.ToString();
        EXPECT_EQ(c.Count(), 10u);
        EXPECT_FALSE(FileExists(dir + "/checkpoint.tmp"));
      },
      [](const std::vector<std::string>& log, uint64_t first, const std::string& dir) {
        return FindCall(log, FindCall(log, first, "open " + dir + "/checkpoint.tmp"), "write");
      });
}

// A log append that fails is cut off again, and the collection takes the next write: a transient
// error (or a full disk that has room again) needs no reopen.
TEST(FaultRegressionTest, AFailedLogAppendLeavesTheCollectionWritable) {
  RunWithAimedFault(
      FaultOptions(),
      [](Database&, Collection& c, const FaultFileSystem& fs, const std::string&) {
        const Status first = c.Upsert(Batch(6));
        EXPECT_EQ(first.ok(), !fs.fired()) << first.ToString();
        if (!first.ok()) {
          EXPECT_TRUE(c.Upsert(Batch(6)).ok());
        }
      },
      [](const std::vector<std::string>& log, uint64_t first, const std::string&) {
        return FindCall(log, first, "write");
      });
}

// Creates collection "c" in a fresh database twice: without faults, then with one call failing
// once: the first call after the rename of its directory into place whose log entry starts with
// `call(collections)` (`collections`: the first run's collections directory). `after` checks
// each run's database and what the creation returned.
void RunCreationWithAimedFault(
    const std::function<std::string(const std::string& collections)>& call,
    const std::function<void(Database& db, const Status& created)>& after) {
  test::TempDir dir;
  auto run = [&](const std::string& path, FaultFileSystem& fs) {
    auto db = store::OpenDatabase(path, FaultOptions(), fs);
    ASSERT_TRUE(db.ok());
    const Status created = (*db)->CreateCollection("c", {.dimension = kDim}).status();
    EXPECT_EQ(created.ok(), !fs.fired()) << created.ToString();
    after(**db, created);
  };
  FaultFileSystem dry(0, FaultFileSystem::Mode::kOnce);
  run(dir.Sub("dry"), dry);
  const std::vector<std::string> log = dry.call_log();
  const std::string collections = dir.Sub("dry/collections");
  const uint64_t rename =
      FindCall(log, 0, "rename " + collections + "/.creating-c to " + collections + "/c");
  FaultFileSystem fs(FindCall(log, rename, call(collections)), FaultFileSystem::Mode::kOnce);
  run(dir.Sub("db"), fs);
  EXPECT_TRUE(fs.fired());
}

// A collection whose directory was renamed into place but not synced used to stay out of the
// open database, which then refused to create it again ("rename ...: Directory not empty"),
// while it reopened.
TEST(FaultRegressionTest, ACollectionRenamedIntoPlaceJoinsTheDatabaseIfTheSyncFails) {
  RunCreationWithAimedFault([](const std::string&) { return "fsync"; },
                            [](Database& db, const Status&) {
                              EXPECT_TRUE(db.GetCollection("c").ok());
                              EXPECT_EQ(
                                  db.CreateCollection("c", {.dimension = kDim}).status().code(),
                                  Status::Code::kAlreadyExists);
                            });
}

// A creation that failed to open the collection after renaming its directory into place (found
// by the library's fault test: its log could not be opened) left that directory behind, unlisted,
// and every later creation failed with "rename ...: Directory not empty" until a reopen.
TEST(FaultRegressionTest, ACreationThatFailedToOpenCanBeRepeated) {
  RunCreationWithAimedFault(
      [](const std::string& collections) { return "open " + collections + "/c/"; },
      [](Database& db, const Status& created) {
        if (!created.ok()) {
          EXPECT_NE(created.ToString().find("Input/output error"), std::string::npos)
              << created.ToString();
          auto again = db.CreateCollection("c", {.dimension = kDim});
          ASSERT_TRUE(again.ok()) << again.status().ToString();
        }
        auto c = db.GetCollection("c");
        ASSERT_TRUE(c.ok());
        EXPECT_TRUE((*c)->Upsert(Batch(1)).ok());
      });
}

// A drop whose directory could not be moved used to leave the collection in the open database
// but refusing every write as dropped, while it reopened whole.
TEST(FaultRegressionTest, AFailedDropLeavesTheCollectionServing) {
  RunWithAimedFault(
      FaultOptions(),
      [](Database& db, Collection& c, const FaultFileSystem& fs, const std::string&) {
        const Status dropped = db.DropCollection("c");
        EXPECT_EQ(dropped.ok(), !fs.fired()) << dropped.ToString();
        if (!dropped.ok()) {
          EXPECT_TRUE(db.GetCollection("c").ok());
          EXPECT_TRUE(c.Upsert(Batch(6)).ok());
        }
      },
      [](const std::vector<std::string>& log, uint64_t first, const std::string& dir) {
        return FindCall(log, first, "rename " + dir);
      });
}

// A snapshot with each of its calls failing in turn: it completes and opens to every record, or
// it fails naming the cause and leaves neither the target nor a partial copy (when the calls
// after the fault succeed again: the clean-up needs them); the database goes on taking writes
// either way.
TEST_P(FaultTest, ASnapshotWithEveryCallFailingInTurnIsWholeOrAbsent) {
  uint64_t n = 1;
  for (bool fired = true; fired; ++n) {
    test::TempDir dir;
    FaultFileSystem fs(0, GetParam());
    auto db = store::OpenDatabase(dir.Sub("db"), FaultOptions(), fs);
    ASSERT_TRUE(db.ok());
    auto c = (*db)->CreateCollection("c", {.dimension = kDim});
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Upsert(Batch(1)).ok());
    ASSERT_TRUE((*c)->Checkpoint().ok());
    ASSERT_TRUE((*c)->Upsert(Batch(6)).ok());  // one batch in the checkpoint, one in the log
    fs.FailAt(fs.calls() + n);
    const Status snapshot = (*db)->Snapshot(dir.Sub("snap"));
    fired = fs.fired();
    fs.FailAt(0);
    const std::string context = "fault at snapshot call " + std::to_string(n);
    if (snapshot.ok()) {
      ExpectBothBatches(dir.Sub("snap"));
    } else {
      ExpectClearError(snapshot, GetParam(), context);
      if (GetParam() == FaultFileSystem::Mode::kOnce) {
        EXPECT_FALSE(FileExists(dir.Sub("snap"))) << context;
        EXPECT_FALSE(FileExists(dir.Sub("snap.partial"))) << context;
      } else if (FileExists(dir.Sub("snap"))) {
        // Every later call fails, the clean-up's removals too: a snapshot renamed into place
        // before its directory sync failed stays, and it is whole.
        ExpectBothBatches(dir.Sub("snap"));
      }
    }
    EXPECT_EQ(snapshot.ok(), !fired) << context << ": " << snapshot.ToString();
    EXPECT_TRUE((*c)->Upsert(Batch(11)).ok()) << context;
    if (::testing::Test::HasFailure()) break;
  }
  std::printf("snapshot fault test: %llu runs\n", static_cast<unsigned long long>(n - 1));
  EXPECT_GT(n, 20u) << "a snapshot makes many calls";
}

// A restore with each of its calls failing in turn: it installs the snapshot's collection whole,
// or fails naming the cause. Reopened, the database holds the old collection, the restored one
// or (a failure between removing the one and renaming the other into place) none, never a part
// of one, and nothing staged.
TEST_P(FaultTest, ARestoreWithEveryCallFailingInTurnLeavesTheOldCollectionOrTheNewOne) {
  uint64_t n = 1;
  for (bool fired = true; fired; ++n) {
    test::TempDir dir;
    {
      auto source = Database::Open(dir.Sub("source"), FaultOptions());
      ASSERT_TRUE(source.ok());
      auto c = (*source)->CreateCollection("c", {.dimension = kDim});
      ASSERT_TRUE(c.ok());
      ASSERT_TRUE((*c)->Upsert(Batch(1)).ok());
      ASSERT_TRUE((*c)->Checkpoint().ok());
      ASSERT_TRUE((*c)->Upsert(Batch(6)).ok());  // one batch in the checkpoint, one in the log
      ASSERT_TRUE((*source)->SnapshotCollection("c", dir.Sub("snap")).ok());
    }
    const std::string context = "fault at restore call " + std::to_string(n);
    {
      FaultFileSystem fs(0, GetParam());
      auto db = store::OpenDatabase(dir.Sub("db"), FaultOptions(), fs);
      ASSERT_TRUE(db.ok());
      auto old = (*db)->CreateCollection("c", {.dimension = kDim});
      ASSERT_TRUE(old.ok());
      ASSERT_TRUE((*old)->Upsert(Batch(100)).ok());
      fs.FailAt(fs.calls() + n);
      auto restored = (*db)->RestoreCollection("c", dir.Sub("snap"), nullptr);
      fired = fs.fired();
      fs.FailAt(0);
      // (A restore may succeed past a fault: closing the staged collection's log, which it never
      // wrote to, may fail harmlessly.)
      EXPECT_TRUE(restored.ok() || fired) << context << ": " << restored.status().ToString();
      if (restored.ok()) {
        EXPECT_EQ((*restored)->Count(), 10u) << context;
      } else {
        ExpectClearError(restored.status(), GetParam(), context);
      }
    }
    FaultFileSystem no_faults(0, FaultFileSystem::Mode::kOnce);
    auto db = store::OpenDatabase(dir.Sub("db"), FaultOptions(), no_faults);
    ASSERT_TRUE(db.ok()) << context << ": " << db.status().ToString();
    if (auto c = (*db)->GetCollection("c"); c.ok()) {
      const bool old = (*c)->Count() == 5 && (*c)->Get(100).ok();
      const bool restored = (*c)->Count() == 10 && (*c)->Get(1).ok() && (*c)->Get(10).ok();
      EXPECT_TRUE(old || restored) << context << ": " << (*c)->Count() << " records";
    }
    auto entries = ListDir(dir.Sub("db") + "/collections");
    ASSERT_TRUE(entries.ok());
    for (const std::string& entry : *entries) {
      EXPECT_NE(entry[0], '.') << context << ": " << entry << " left behind";
    }
    if (::testing::Test::HasFailure()) break;
  }
  std::printf("restore fault test: %llu runs\n", static_cast<unsigned long long>(n - 1));
  EXPECT_GT(n, 10u) << "a restore makes many calls";
}

}  // namespace
}  // namespace alike
