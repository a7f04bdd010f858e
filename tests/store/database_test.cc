// The vector database through its public API only: what a user of include/alike sees.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "alike/vector_db.h"
#include "testing/file_scan.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

using test::TempDir;

std::vector<float> RandomVector(std::mt19937& rng, size_t dim) {
  std::normal_distribution<float> normal;
  std::vector<float> v(dim);
  for (auto& x : v) x = normal(rng);
  return v;
}

std::string PayloadOf(size_t i) {
  static const char* colors[] = {"red", "green", "blue"};
  return nlohmann::json{{"i", i}, {"group", i % 10}, {"color", colors[i % 3]}}.dump();
}

// Clustered data, like embeddings: a few centres with noise around them.
std::vector<Record> ClusteredRecords(size_t n, size_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<float>> centres;
  for (int c = 0; c < 20; ++c) centres.push_back(RandomVector(rng, dim));
  std::normal_distribution<float> noise(0, 0.4f);
  std::vector<Record> records(n);
  for (size_t i = 0; i < n; ++i) {
    const auto& centre = centres[i % centres.size()];
    records[i].id = 1000 + i;
    records[i].vector.resize(dim);
    for (size_t d = 0; d < dim; ++d) records[i].vector[d] = centre[d] + noise(rng);
    records[i].payload = PayloadOf(i);
  }
  return records;
}

std::shared_ptr<Collection> MustCreate(Database& db, const std::string& name,
                                       CollectionOptions options) {
  auto c = db.CreateCollection(name, options);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : nullptr;
}

std::set<uint64_t> Ids(const std::vector<Hit>& hits) {
  std::set<uint64_t> ids;
  for (const auto& h : hits) ids.insert(h.id);
  return ids;
}

double Recall(const std::vector<Hit>& got, const std::vector<Hit>& truth) {
  if (truth.empty()) return 1;
  auto want = Ids(truth);
  size_t found = 0;
  for (const auto& h : got) found += want.count(h.id);
  return static_cast<double>(found) / truth.size();
}

TEST(DatabaseTest, UpsertGetSearchAndReopen) {
  TempDir dir;
  const auto records = ClusteredRecords(500, 24, 1);
  {
    auto db = Database::Open(dir.Sub("db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto c = MustCreate(**db, "vecs", {.dimension = 24, .metric = Metric::kL2});
    ASSERT_TRUE(c->Upsert(records).ok());
    EXPECT_EQ(c->Count(), 500u);
    auto r = c->Get(1007);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->vector, records[7].vector);
    EXPECT_EQ(nlohmann::json::parse(r->payload), nlohmann::json::parse(records[7].payload));
    auto hits = c->Search({.vector = records[7].vector}, {.k = 3});
    ASSERT_TRUE(hits.ok());
    ASSERT_EQ(hits->size(), 3u);
    EXPECT_EQ((*hits)[0].id, 1007u);
    EXPECT_FLOAT_EQ((*hits)[0].distance, 0);
    EXPECT_FALSE(c->Get(5).ok());
  }
  auto db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto c = (*db)->GetCollection("vecs");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Count(), 500u);
  auto r = (*c)->Get(1499);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->vector, records[499].vector);
}

TEST(DatabaseTest, EveryIndexKindAndMetricAgreesWithBruteForce) {
  TempDir dir;
  // One insert thread, so that the graphs, and the recall this test checks, are the same every
  // run (see DeletesAreNeverReturnedAndRecallHoldsAfterThirtyPercent).
  auto db = Database::Open(dir.Sub("db"), {.threads = 1});
  ASSERT_TRUE(db.ok());
  const auto records = ClusteredRecords(3000, 32, 2);
  std::mt19937 rng(3);
  for (Metric metric : {Metric::kL2, Metric::kCosine, Metric::kInnerProduct}) {
    for (IndexKind kind : {IndexKind::kFlat, IndexKind::kHnsw, IndexKind::kSq8}) {
      const std::string name = std::string(MetricName(metric)) + "-" + IndexKindName(kind);
      auto c = MustCreate(**db, name, {.dimension = 32, .metric = metric, .index = kind});
      ASSERT_TRUE(c->Upsert(records).ok()) << name;
      double recall = 0;
      const int queries = 50;
      for (int q = 0; q < queries; ++q) {
        auto query = records[rng() % records.size()].vector;
        for (auto& x : query) x += 0.1f;
        auto got = c->Search({.vector = query}, {.k = 10});
        auto truth = c->Search({.vector = query}, {.k = 10, .exact = true});
        ASSERT_TRUE(got.ok() && truth.ok());
        ASSERT_EQ(got->size(), 10u);
        recall += Recall(*got, *truth);
        EXPECT_TRUE(std::is_sorted(got->begin(), got->end(), [](const Hit& a, const Hit& b) {
          return a.distance < b.distance;
        }));
      }
      EXPECT_GE(recall / queries, 0.95) << name;
    }
  }
}

TEST(DatabaseTest, FilteredSearchReturnsKWheneverKMatchAtFullRecall) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"), {.threads = 1});  // a graph the same every run
  ASSERT_TRUE(db.ok());
  auto c = MustCreate(**db, "f", {.dimension = 16, .metric = Metric::kL2});
  auto records = ClusteredRecords(6000, 16, 4);
  // A rare value: only 7 records carry it, fewer than k.
  for (size_t i = 0; i < 7; ++i) {
    records[i * 800].payload = nlohmann::json{{"rare", true}, {"group", 99}}.dump();
  }
  ASSERT_TRUE(c->Upsert(records).ok());
  std::mt19937 rng(5);
  const std::vector<std::string> filters = {
      R"({"color": "red"})",            // 1/3
      R"({"group": {"$in": [1, 2]}})",  // 1/5
      R"({"$and": [{"group": {"$gte": 3}}, {"color": {"$ne": "blue"}}]})",
      R"({"group": 4, "color": "green"})",  // 1/30, exact path
      R"({"rare": true})",                  // 7 records
      R"({"$not": {"group": {"$lt": 9}}})",
  };
  for (const auto& filter : filters) {
    auto matching = c->CountWhere(filter);
    ASSERT_TRUE(matching.ok()) << filter;
    auto all = c->Search({.vector = RandomVector(rng, 16)},
                         {.k = 100000, .filter = filter, .exact = true, .with_payload = false});
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), *matching);
    const auto allowed = Ids(*all);
    double recall = 0;
    for (int q = 0; q < 20; ++q) {
      auto query = RandomVector(rng, 16);
      auto got = c->Search({.vector = query}, {.k = 10, .filter = filter});
      auto truth = c->Search({.vector = query}, {.k = 10, .filter = filter, .exact = true});
      ASSERT_TRUE(got.ok() && truth.ok()) << filter;
      EXPECT_EQ(got->size(), std::min<uint64_t>(10, *matching)) << filter;
      recall += Recall(*got, *truth);
      for (const auto& h : *got) EXPECT_TRUE(allowed.count(h.id)) << filter;
    }
    EXPECT_GE(recall / 20, 0.95) << filter;
  }
  EXPECT_FALSE(
      c->Search({.vector = RandomVector(rng, 16)}, {.filter = "{\"a\": {\"$bad\": 1}}"}).ok());
}

TEST(DatabaseTest, MaxDistanceDropsFarHits) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  auto c =
      MustCreate(**db, "m", {.dimension = 2, .metric = Metric::kL2, .index = IndexKind::kFlat});
  std::vector<Record> rs = {
      {.id = 1, .vector = {0, 0}}, {.id = 2, .vector = {1, 0}}, {.id = 3, .vector = {3, 0}}};
  ASSERT_TRUE(c->Upsert(rs).ok());
  auto hits = c->Search({.vector = std::vector<float>{0, 0}}, {.k = 10, .max_distance = 1.5f});
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(Ids(*hits), (std::set<uint64_t>{1, 2}));
}

TEST(DatabaseTest, HammingCollectionsSearchBinaryCodes) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  auto c = MustCreate(**db, "h", {.dimension = 64, .metric = Metric::kHamming});
  std::vector<Record> rs;
  std::mt19937 rng(6);
  for (uint64_t i = 0; i < 300; ++i) {
    Record r{.id = i};
    for (int b = 0; b < 8; ++b) r.binary.push_back(static_cast<uint8_t>(rng()));
    rs.push_back(r);
  }
  ASSERT_TRUE(c->Upsert(rs).ok());
  auto query = rs[42].binary;
  query[0] ^= 0x03;  // two bits off
  auto hits = c->Search({.binary = query}, {.k = 1});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, 42u);
  EXPECT_EQ((*hits)[0].distance, 2.0f);
  Record wrong{.id = 1, .binary = {1, 2, 3}};
  EXPECT_EQ(c->Upsert({&wrong, 1}).code(), Status::Code::kInvalidArgument);
}

TEST(DatabaseTest, BadInputIsRefusedAndLeavesTheDatabaseAsItWas) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok());
  auto c = MustCreate(**db, "v", {.dimension = 3, .metric = Metric::kCosine});
  Record good{.id = 1, .vector = {1, 2, 3}, .payload = R"({"a":1})"};
  ASSERT_TRUE(c->Upsert({&good, 1}).ok());

  auto expect_refused = [&](Record bad, const std::string& words) {
    std::vector<Record> batch = {{.id = 2, .vector = {1, 1, 1}}, bad};
    Status s = c->Upsert(batch);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << words;
    EXPECT_NE(s.message().find(words), std::string::npos) << s.message();
    EXPECT_EQ(c->Count(), 1u) << "a refused batch must write nothing";
  };
  expect_refused({.id = 3, .vector = {1, 2}}, "dimension 2");
  expect_refused({.id = 3, .vector = {1, NAN, 3}}, "NaN");
  expect_refused({.id = 3, .vector = {1, INFINITY, 3}}, "infinite");
  expect_refused({.id = 3, .vector = {0, 0, 0}}, "zero vector");
  expect_refused({.id = 3, .vector = {1, 1, 1}, .payload = "{not json"}, "not valid JSON");
  expect_refused({.id = 3, .vector = {1, 1, 1}, .payload = "[1,2]"}, "JSON object");
  expect_refused({.id = 3, .vector = {1, 1, 1}, .payload = "{\"a\":" + std::string(100000, '[')},
                 "nests deeper");

  EXPECT_EQ((*db)->GetCollection("nope").status().code(), Status::Code::kNotFound);
  EXPECT_EQ((*db)->CreateCollection("v", {.dimension = 3}).status().code(),
            Status::Code::kAlreadyExists);
  EXPECT_FALSE((*db)->CreateCollection("../evil", {.dimension = 3}).ok());
  EXPECT_FALSE((*db)->CreateCollection("x", {.dimension = 0}).ok());
  EXPECT_FALSE((*db)->CreateCollection("x", {.dimension = 12, .metric = Metric::kHamming}).ok());
  auto q = c->Search({.vector = std::vector<float>{1, 2}}, {});
  EXPECT_EQ(q.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(q.status().message().find("query"), std::string::npos);
  EXPECT_EQ(c->Count(), 1u);
}

TEST(DatabaseTest, RefusesDirectoriesItDidNotWriteOrFromANewerVersion) {
  TempDir dir;
  std::filesystem::create_directories(dir.Sub("photos"));
  std::ofstream(dir.Sub("photos/cat.jpg")) << "meow";
  auto other = Database::Open(dir.Sub("photos"));
  EXPECT_EQ(other.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(other.status().message().find("not an alike database"), std::string::npos);

  std::filesystem::create_directories(dir.Sub("foreign"));
  std::ofstream(dir.Sub("foreign/ALIKE")) << R"({"format":"something-else","version":1})";
  EXPECT_EQ(Database::Open(dir.Sub("foreign")).status().code(), Status::Code::kInvalidArgument);

  // Found by fuzz/database_fuzzer.cc: a format of another JSON type threw out of Open.
  std::filesystem::create_directories(dir.Sub("numeric"));
  std::ofstream(dir.Sub("numeric/ALIKE")) << R"({"format":1})";
  EXPECT_EQ(Database::Open(dir.Sub("numeric")).status().code(), Status::Code::kInvalidArgument);

  std::filesystem::create_directories(dir.Sub("future"));
  std::ofstream(dir.Sub("future/ALIKE")) << R"({"format":"alike-database","version":99})";
  auto future = Database::Open(dir.Sub("future"));
  EXPECT_EQ(future.status().code(), Status::Code::kNotSupported);
  EXPECT_NE(future.status().message().find("newer"), std::string::npos);

  EXPECT_EQ(Database::Open(dir.Sub("absent"), {.create_if_missing = false}).status().code(),
            Status::Code::kNotFound);
}

TEST(DatabaseTest, ASecondOpenOfTheSameDirectoryIsRefused) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok());
  auto again = Database::Open(dir.Sub("db"));
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
}

TEST(DatabaseTest, DeletesAreNeverReturnedAndRecallHoldsAfterThirtyPercent) {
  TempDir dir;
  // One thread: a graph built by several insert threads differs from run to run, and so does
  // its recall (0.9475 against the 0.95 asked for, once in CI); this one gives 0.990 and 0.985
  // every run.
  auto db = Database::Open(dir.Sub("db"), {.compact_deleted_fraction = 0.9, .threads = 1});
  auto c = MustCreate(**db, "d", {.dimension = 32, .metric = Metric::kL2});
  const auto records = ClusteredRecords(4000, 32, 7);
  ASSERT_TRUE(c->Upsert(records).ok());
  std::vector<uint64_t> doomed;
  for (size_t i = 0; i < records.size(); i += 10) {
    for (size_t j = i; j < i + 3; ++j) doomed.push_back(records[j].id);  // 30%
  }
  auto n = c->Delete(doomed);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, doomed.size());
  const std::set<uint64_t> gone(doomed.begin(), doomed.end());
  auto check = [&](const char* stage) {
    std::mt19937 rng(8);
    double recall = 0;
    for (int q = 0; q < 40; ++q) {
      const auto& query = records[rng() % records.size()].vector;
      auto got = c->Search({.vector = query}, {.k = 10});
      auto truth = c->Search({.vector = query}, {.k = 10, .exact = true});
      ASSERT_TRUE(got.ok() && truth.ok());
      for (const auto& h : *got) EXPECT_FALSE(gone.count(h.id)) << stage;
      recall += Recall(*got, *truth);
    }
    EXPECT_GE(recall / 40, 0.95) << stage;
  };
  check("tombstoned");
  ASSERT_TRUE(c->Compact().ok());
  EXPECT_EQ(c->Info().deleted, 0u);
  check("compacted");
  EXPECT_EQ(c->Count(), records.size() - doomed.size());
}

TEST(DatabaseTest, ChurnKeepsDiskAndMemoryBounded) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"), {.checkpoint_log_bytes = 1 << 20});
  auto c = MustCreate(**db, "churn", {.dimension = 16, .metric = Metric::kL2});
  uint64_t first_disk = 0, first_memory = 0;
  std::mt19937 rng(9);
  std::set<uint64_t> deleted_ever;
  for (int cycle = 0; cycle < 12; ++cycle) {
    auto batch = ClusteredRecords(1000, 16, 100 + cycle);
    for (auto& r : batch) r.id = cycle * 1000 + (r.id - 1000);
    ASSERT_TRUE(c->Upsert(batch).ok());
    std::vector<uint64_t> ids;
    for (const auto& r : batch) ids.push_back(r.id);
    ASSERT_TRUE(c->Delete(ids).ok());
    deleted_ever.insert(ids.begin(), ids.end());
    auto hits = c->Search({.vector = batch[0].vector}, {.k = 10});
    ASSERT_TRUE(hits.ok());
    EXPECT_TRUE(hits->empty()) << "every record was deleted";
    ASSERT_TRUE(c->Compact().ok());
    auto info = c->Info();
    if (cycle == 1) first_disk = info.disk_bytes, first_memory = info.memory_bytes;
    if (cycle > 1) {
      EXPECT_LE(info.disk_bytes, first_disk * 2) << "cycle " << cycle;
      EXPECT_LE(info.memory_bytes, first_memory * 2) << "cycle " << cycle;
    }
  }
  EXPECT_EQ(c->Count(), 0u);
}

TEST(DatabaseTest, CompactLeavesNoDeletedVectorInAnyFile) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"), {});
  ASSERT_TRUE(db.ok());
  auto c = MustCreate(**db, "erase", {.dimension = 32, .metric = Metric::kL2});
  auto records = ClusteredRecords(200, 32, 5);
  ASSERT_TRUE(c->Upsert(records).ok());
  ASSERT_TRUE(c->Checkpoint().ok());  // the vectors are in the checkpoint, not only the log
  const Record& doomed = records[17];
  const Record& kept = records[18];
  ASSERT_FALSE(test::FilesContaining(dir.Sub("db"), test::BytesOf(doomed.vector)).empty())
      << "the scan must see a stored vector";
  ASSERT_TRUE(c->Delete(std::vector<uint64_t>{doomed.id}).ok());
  ASSERT_TRUE(c->Compact().ok());
  EXPECT_EQ(test::FilesContaining(dir.Sub("db"), test::BytesOf(doomed.vector)),
            std::vector<std::string>{});
  EXPECT_FALSE(test::FilesContaining(dir.Sub("db"), test::BytesOf(kept.vector)).empty());
  // The freed slot is reused and reads back right.
  Record again = doomed;
  again.id = 9999;
  ASSERT_TRUE(c->Upsert({&again, 1}).ok());
  auto got = c->Get(9999);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->vector, doomed.vector);
}

TEST(DatabaseTest, UpsertReplacesAndDeleteWhereUsesFilters) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  auto c = MustCreate(**db, "u", {.dimension = 4, .metric = Metric::kL2});
  auto records = ClusteredRecords(100, 4, 10);
  ASSERT_TRUE(c->Upsert(records).ok());
  Record replaced{.id = 1005, .vector = {9, 9, 9, 9}, .payload = R"({"new":true})"};
  ASSERT_TRUE(c->Upsert({&replaced, 1}).ok());
  EXPECT_EQ(c->Count(), 100u);
  auto r = c->Get(1005);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->vector, replaced.vector);
  auto hits = c->Search({.vector = records[5].vector}, {.k = 1, .exact = true});
  ASSERT_TRUE(hits.ok());
  EXPECT_NE((*hits)[0].id, 1005u) << "the old vector of a replaced id must be gone";

  auto n = c->DeleteWhere(R"({"color": "red"})");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 34u);  // i % 3 == 0 for i in 0..99
}

TEST(DatabaseTest, SnapshotWhileServingOpensAsACopy) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  auto a = MustCreate(**db, "a", {.dimension = 8, .metric = Metric::kL2});
  auto b =
      MustCreate(**db, "b", {.dimension = 8, .metric = Metric::kL2, .index = IndexKind::kFlat});
  ASSERT_TRUE(a->Upsert(ClusteredRecords(300, 8, 11)).ok());
  ASSERT_TRUE(a->Checkpoint().ok());
  ASSERT_TRUE(a->Upsert(ClusteredRecords(50, 8, 12)).ok());  // in the log only
  ASSERT_TRUE(b->Upsert(ClusteredRecords(20, 8, 13)).ok());
  std::atomic<bool> stop{false};
  std::thread searcher([&] {
    std::mt19937 rng(1);
    while (!stop) (void)a->Search({.vector = RandomVector(rng, 8)}, {.k = 5});
  });
  ASSERT_TRUE((*db)->Snapshot(dir.Sub("snap")).ok());
  stop = true;
  searcher.join();
  EXPECT_FALSE((*db)->Snapshot(dir.Sub("snap")).ok()) << "an existing target is refused";
  auto copy = Database::Open(dir.Sub("snap"));
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ((*copy)->ListCollections(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*(*copy)->GetCollection("a"))->Count(), a->Count());
  EXPECT_EQ((*(*copy)->GetCollection("b"))->Count(), 20u);
}

// A batch of one record of dimension 8, every component `value`.
std::vector<Record> OneRecord(uint64_t id, float value) {
  return {{.id = id, .vector = std::vector<float>(8, value)}};
}

TEST(DatabaseTest, ACollectionSnapshotRestoresOverTheCollectionOrIntoAnotherDatabase) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  const CollectionOptions options{.dimension = 8, .metric = Metric::kL2};
  auto a = MustCreate(**db, "a", options);
  auto b = MustCreate(**db, "b", options);
  ASSERT_TRUE(a->Upsert(ClusteredRecords(300, 8, 11)).ok());
  ASSERT_TRUE(a->Checkpoint().ok());
  ASSERT_TRUE(a->Upsert(OneRecord(1, 1.0f)).ok());  // log only
  ASSERT_TRUE(b->Upsert(ClusteredRecords(20, 8, 13)).ok());
  ASSERT_TRUE((*db)->SnapshotCollection("a", dir.Sub("snap")).ok());
  EXPECT_EQ((*db)->SnapshotCollection("a", dir.Sub("snap")).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ((*db)->SnapshotCollection("none", dir.Sub("other")).code(), Status::Code::kNotFound);
  {
    auto copy = Database::Open(dir.Sub("snap"));
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    EXPECT_EQ((*copy)->ListCollections(), std::vector<std::string>{"a"}) << "only the one";
  }
  ASSERT_TRUE((*db)->SnapshotCollection("a", dir.Sub("snap2")).ok());

  // Writes after the snapshot are undone by restoring it.
  ASSERT_TRUE(a->Upsert(OneRecord(2, 2.0f)).ok());
  ASSERT_TRUE(a->Delete(std::vector<uint64_t>{1000, 1001}).ok());
  uint64_t seen_count = 0;
  auto restored = (*db)->RestoreCollection("a", dir.Sub("snap"), [&](const Collection& c) {
    seen_count = c.Count();
    return Status::OK();
  });
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(seen_count, 301u) << "accept sees the snapshot's collection";
  EXPECT_EQ((*restored)->Count(), 301u);
  EXPECT_TRUE((*restored)->Get(1).ok());
  EXPECT_TRUE((*restored)->Get(1000).ok());
  EXPECT_FALSE((*restored)->Get(2).ok());
  EXPECT_FALSE(a->Upsert(OneRecord(3, 3.0f)).ok())
      << "the replaced collection's handles fail their next write";
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("snap") + "/collections/a")) << "moved, not copied";
  EXPECT_EQ(b->Count(), 20u);
  ASSERT_TRUE((*restored)->Upsert(OneRecord(4, 4.0f)).ok());
  db->reset();
  db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*(*db)->GetCollection("a"))->Count(), 302u) << "the restored collection reopens";
  EXPECT_EQ((*(*db)->GetCollection("b"))->Count(), 20u);

  // Into a database that does not hold it.
  auto other = Database::Open(dir.Sub("other-db"));
  ASSERT_TRUE(other.ok());
  auto fresh = (*other)->RestoreCollection("a", dir.Sub("snap2"), nullptr);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ((*fresh)->Count(), 301u);
  EXPECT_EQ((*other)->ListCollections(), std::vector<std::string>{"a"});
}

TEST(DatabaseTest, ARefusedOrDamagedRestoreInstallsNothingAndKeepsTheCollection) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  const CollectionOptions options{.dimension = 8, .metric = Metric::kL2};
  auto a = MustCreate(**db, "a", options);
  ASSERT_TRUE(a->Upsert(ClusteredRecords(100, 8, 11)).ok());
  ASSERT_TRUE(a->Checkpoint().ok());
  auto other = Database::Open(dir.Sub("other"));
  auto other_a = MustCreate(**other, "a", options);
  ASSERT_TRUE(other_a->Upsert(ClusteredRecords(10, 8, 12)).ok());
  ASSERT_TRUE(other_a->Checkpoint().ok());
  const std::vector<std::string> snaps = {dir.Sub("refused"), dir.Sub("damaged")};
  for (const std::string& snap : snaps) ASSERT_TRUE((*other)->SnapshotCollection("a", snap).ok());
  {
    // One flipped bit in the middle of the checkpoint.
    std::fstream f(dir.Sub("damaged") + "/collections/a/checkpoint",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const std::streamoff middle = f.tellg() / 2;
    char byte = 0;
    f.seekg(middle);
    f.read(&byte, 1);
    byte ^= 0x10;
    f.seekp(middle);
    f.write(&byte, 1);
  }
  auto refused = (*db)->RestoreCollection("a", dir.Sub("refused"), [](const Collection& c) {
    return Status::FailedPrecondition("not this one: " + std::to_string(c.Count()));
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("not this one: 10"), std::string::npos)
      << refused.status().ToString();
  auto damaged = (*db)->RestoreCollection("a", dir.Sub("damaged"), nullptr);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), Status::Code::kCorruption) << damaged.status().ToString();
  auto not_a_snapshot = (*db)->RestoreCollection("a", dir.Sub("db") + "/collections", nullptr);
  EXPECT_EQ(not_a_snapshot.status().code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE((*other)->SnapshotCollection("a", dir.Sub("again")).ok());
  auto absent = (*db)->RestoreCollection("b", dir.Sub("again"), nullptr);
  EXPECT_EQ(absent.status().code(), Status::Code::kNotFound) << absent.status().ToString();

  // The collection is as it was, and takes writes; nothing staged is left behind.
  EXPECT_EQ(a->Count(), 100u);
  EXPECT_TRUE(a->Upsert(OneRecord(1, 1.0f)).ok());
  EXPECT_EQ((*db)->ListCollections(), std::vector<std::string>{"a"});
  for (const auto& entry : std::filesystem::directory_iterator(dir.Sub("db") + "/collections")) {
    EXPECT_EQ(entry.path().filename(), "a") << "left behind: " << entry.path();
  }
}

TEST(DatabaseTest, SearchesRunWhileWritersWriteAndSeeWholeBatches) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"), {.sync = SyncPolicy::kNone});
  auto c = MustCreate(**db, "rt", {.dimension = 8, .metric = Metric::kL2});
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    std::mt19937 rng(2);
    while (!done) {
      // Batches are 50 records; a search must never see part of one.
      uint64_t n = c->Count();
      if (n % 50 != 0) ++bad;
      auto hits = c->Search({.vector = RandomVector(rng, 8)}, {.k = 5});
      if (!hits.ok()) ++bad;
    }
  });
  for (int b = 0; b < 40; ++b) {
    auto batch = ClusteredRecords(50, 8, 200 + b);
    for (auto& r : batch) r.id += b * 50;
    ASSERT_TRUE(c->Upsert(batch).ok());
    // Visible to the very next search.
    auto hits = c->Search({.vector = batch[3].vector}, {.k = 1, .exact = true});
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ((*hits)[0].id, batch[3].id);
  }
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(DatabaseTest, DropRemovesFilesAndFailsLaterWrites) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  auto c = MustCreate(**db, "gone", {.dimension = 2, .metric = Metric::kL2});
  ASSERT_TRUE((*db)->DropCollection("gone").ok());
  Record r{.id = 1, .vector = {1, 2}};
  EXPECT_EQ(c->Upsert({&r, 1}).code(), Status::Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("db/collections/gone")));
  EXPECT_TRUE((*db)->ListCollections().empty());
}

}  // namespace
}  // namespace alike
