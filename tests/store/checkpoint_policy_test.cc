#include <gtest/gtest.h>

#include <random>

#include "alike/vector_db.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

constexpr uint32_t kDimension = 1024;  // 4 KiB a vector: a few hundred make a MiB of log

std::vector<Record> Records(uint64_t first, uint64_t count) {
  std::vector<Record> out;
  for (uint64_t id = first; id < first + count; ++id) {
    Record r;
    r.id = id;
    std::mt19937 random(static_cast<uint32_t>(id));
    std::normal_distribution<float> normal;
    for (uint32_t i = 0; i < kDimension; ++i) r.vector.push_back(normal(random));
    out.push_back(std::move(r));
  }
  return out;
}

TEST(CheckpointIfLogLargeTest, CheckpointsABulkLoadButNotASmallAddition) {
  test::TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto c = (*db)->CreateCollection("bulk", {.dimension = kDimension});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Collection& collection = **c;

  // Under the 1 MiB floor: left to the log.
  ASSERT_TRUE(collection.Upsert(Records(0, 100)).ok());
  ASSERT_TRUE(CheckpointIfLogLarge(collection).ok());
  // The records' vectors are still in the log (a checkpointed log keeps only its header).
  EXPECT_GT(collection.Info().log_bytes, 100u * kDimension * sizeof(float));

  // A bulk load: the log is all of the data, so it is written out whole.
  ASSERT_TRUE(collection.Upsert(Records(100, 2100)).ok());
  ASSERT_TRUE(CheckpointIfLogLarge(collection).ok());
  EXPECT_LT(collection.Info().log_bytes, 1024u);  // a fresh log: its header only

  // Over a MiB more, but under an eighth of the whole: replaying it costs less than rewriting.
  ASSERT_TRUE(collection.Upsert(Records(2200, 300)).ok());
  ASSERT_GT(collection.Info().log_bytes, 1u << 20);
  ASSERT_TRUE(CheckpointIfLogLarge(collection).ok());
  EXPECT_GT(collection.Info().log_bytes, 300u * kDimension * sizeof(float));

  // What was checkpointed and what stayed in the log both come back.
  c->reset();
  db->reset();
  auto reopened = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto again = (*reopened)->GetCollection("bulk");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Count(), 2500u);
  auto hits = (*again)->Search({.vector = Records(2400, 1)[0].vector}, {.k = 1});
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, 2400u);
}

}  // namespace
}  // namespace alike
