// An sq8 collection keeps only its 8-bit codes in memory once checkpointed, and reads the float
// vectors it re-ranks and returns from the checkpoint's memory map: every vector read back, before
// and after reopening, after purges that reuse mapped slots, must still be exact.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>

#include "alike/vector_db.h"
#include "testing/temp_dir.h"
#include "util/crc32c.h"

namespace alike {
namespace {

constexpr uint32_t kDim = 256;
constexpr size_t kFloatBytes = kDim * sizeof(float);

std::vector<Record> RandomRecords(uint64_t first_id, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<Record> records(n);
  for (size_t i = 0; i < n; ++i) {
    records[i].id = first_id + i;
    records[i].vector.resize(kDim);
    for (auto& x : records[i].vector) x = normal(rng);
  }
  return records;
}

// Every record of `model` is in `c` with its exact vector, and a search for it finds it first.
void ExpectExactly(Collection& c, const std::map<uint64_t, std::vector<float>>& model) {
  ASSERT_EQ(c.Count(), model.size());
  size_t searched = 0;
  for (const auto& [id, vector] : model) {
    auto got = c.Get(id);
    ASSERT_TRUE(got.ok()) << id;
    ASSERT_EQ(got->vector, vector) << id;
    if (searched++ % 25 != 0) continue;
    auto hits = c.Search({.vector = vector}, {.k = 3});
    ASSERT_TRUE(hits.ok());
    ASSERT_FALSE(hits->empty());
    EXPECT_EQ((*hits)[0].id, id);
    EXPECT_NEAR((*hits)[0].distance, 0.0f, 1e-5f);  // cosine: 1 - <v, v> rounds
  }
}

TEST(Sq8CollectionTest, KeepsOnlyCodesInMemoryAndReadsExactVectorsFromTheCheckpoint) {
  test::TempDir dir;
  const std::string path = dir.Sub("db");
  const CollectionOptions options{
      .dimension = kDim, .metric = Metric::kL2, .index = IndexKind::kSq8};
  std::map<uint64_t, std::vector<float>> model;
  auto remember = [&](const std::vector<Record>& records) {
    for (const auto& r : records) model[r.id] = r.vector;
  };
  const size_t n = 3000;
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    auto c = (*db)->CreateCollection("v", options);
    ASSERT_TRUE(c.ok());
    auto records = RandomRecords(0, n, 1);
    ASSERT_TRUE((*c)->Upsert(records).ok());
    remember(records);
    // Before a checkpoint the floats are in memory (the log holds them on disk).
    EXPECT_GT((*c)->Info().memory_bytes, n * kFloatBytes);
    EXPECT_EQ((*c)->Info().mapped_bytes, 0u);
    ASSERT_TRUE((*c)->Checkpoint().ok());
    // After it, memory holds about one byte per dimension, and the floats are mapped.
    EXPECT_LT((*c)->Info().memory_bytes, n * kFloatBytes / 2);
    EXPECT_EQ((*c)->Info().mapped_bytes, n * kFloatBytes);
    ExpectExactly(**c, model);
  }
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    auto c = (*db)->GetCollection("v");
    ASSERT_TRUE(c.ok());
    EXPECT_LT((*c)->Info().memory_bytes, n * kFloatBytes / 2);
    EXPECT_EQ((*c)->Info().mapped_bytes, n * kFloatBytes);
    ExpectExactly(**c, model);

    // Deletes and a compaction free mapped slots; new records and replacements reuse them
    // before the next checkpoint, so their floats sit in memory over the map.
    std::vector<uint64_t> gone;
    for (uint64_t id = 0; id < n; id += 3) gone.push_back(id);
    ASSERT_TRUE((*c)->Delete(gone).ok());
    for (uint64_t id : gone) model.erase(id);
    ASSERT_TRUE((*c)->Compact().ok());
    auto added = RandomRecords(n, 500, 2);
    auto replaced = RandomRecords(1, 200, 3);  // ids 1..200, most of them live
    ASSERT_TRUE((*c)->Upsert(added).ok());
    ASSERT_TRUE((*c)->Upsert(replaced).ok());
    remember(added);
    remember(replaced);  // a third of them had been deleted: those come back
    ExpectExactly(**c, model);
  }
  // Reopened from the compaction's checkpoint plus the log of what followed.
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok());
  auto c = (*db)->GetCollection("v");
  ASSERT_TRUE(c.ok());
  ExpectExactly(**c, model);
  ASSERT_TRUE((*c)->Checkpoint().ok());
  ExpectExactly(**c, model);
}

// Version 1 checkpoints (codes right after the ids, unaligned) are still read, into memory, and
// the next checkpoint writes version 2 and maps it.
TEST(Sq8CollectionTest, ReadsAVersionOneCheckpointAndMapsTheNextOne) {
  test::TempDir dir;
  const std::string path = dir.Sub("db");
  std::map<uint64_t, std::vector<float>> model;
  const size_t n = 301;  // 28 + 9n header bytes: not a multiple of 64, so v2 pads
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    auto c = (*db)->CreateCollection(
        "v", {.dimension = kDim, .metric = Metric::kCosine, .index = IndexKind::kSq8});
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Upsert(RandomRecords(0, n, 4)).ok());
    ASSERT_TRUE((*c)->Checkpoint().ok());
    ASSERT_TRUE((*c)->ForEach([&](const Record& r) {
                      model[r.id] = r.vector;  // normalised by the cosine collection
                      return true;
                    })
                    .ok());
  }
  // Rewrite the checkpoint as version 1 would have: no padding, version 1, the CRC over it all.
  const std::string file = path + "/collections/v/checkpoint";
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 4u);
  const size_t header_end = 28 + 9 * n, padded = (header_end + 63) / 64 * 64;
  std::string v1 = bytes.substr(0, header_end) + bytes.substr(padded, bytes.size() - 4 - padded);
  const uint32_t version = 1;
  std::memcpy(v1.data() + 8, &version, sizeof(version));
  const uint32_t crc = Crc32c(v1.data(), v1.size());
  v1.append(reinterpret_cast<const char*>(&crc), sizeof(crc));
  std::ofstream(file, std::ios::binary | std::ios::trunc) << v1;

  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto c = (*db)->GetCollection("v");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Info().mapped_bytes, 0u);
  ExpectExactly(**c, model);
  ASSERT_TRUE((*c)->Checkpoint().ok());
  EXPECT_EQ((*c)->Info().mapped_bytes, n * kFloatBytes);
  ExpectExactly(**c, model);
}

}  // namespace
}  // namespace alike
