// A kHamming collection indexed by multi-index hashing ("mih"), through the public API: the same
// hits as a flat twin holding the same records, across deletes, compaction and reopening.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "alike/vector_db.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

using test::TempDir;

constexpr uint32_t kBits = 256;

// Random 256-bit codes; every third a near copy (up to 40 flipped bits) of an earlier one.
std::vector<Record> Codes(size_t n, std::mt19937& rng) {
  std::vector<Record> records(n);
  for (size_t i = 0; i < n; ++i) {
    records[i].id = 100 + i;
    records[i].binary.resize(kBits / 8);
    if (i % 3 == 2) {
      records[i].binary = records[rng() % i].binary;
      for (uint32_t f = rng() % 41; f > 0; --f) records[i].binary[rng() % 32] ^= 1 << rng() % 8;
    } else {
      for (auto& b : records[i].binary) b = static_cast<uint8_t>(rng());
    }
    records[i].payload = "{\"odd\": " + std::string(i % 2 ? "true" : "false") + "}";
  }
  return records;
}

void ExpectSameHits(const Collection& mih, const Collection& flat, const std::vector<Record>& codes,
                    std::mt19937& rng, const std::string& when) {
  for (int q = 0; q < 40; ++q) {
    std::vector<uint8_t> query = codes[rng() % codes.size()].binary;
    for (int f = q % 20; f > 0; --f) query[rng() % 32] ^= 1 << rng() % 8;
    for (const SearchOptions& options :
         {SearchOptions{.k = 10, .max_distance = 31, .with_payload = false},
          SearchOptions{.k = 3, .max_distance = 60, .with_payload = false},
          SearchOptions{
              .k = 5, .filter = R"({"odd": true})", .max_distance = 31, .with_payload = false},
          SearchOptions{.k = 10, .with_payload = false}}) {
      auto got = mih.Search({.binary = query}, options);
      auto want = flat.Search({.binary = query}, options);
      ASSERT_TRUE(got.ok() && want.ok()) << when;
      ASSERT_EQ(got->size(), want->size()) << when;
      for (size_t i = 0; i < got->size(); ++i) {
        EXPECT_EQ((*got)[i].id, (*want)[i].id) << when << " rank " << i;
        EXPECT_EQ((*got)[i].distance, (*want)[i].distance) << when << " rank " << i;
      }
    }
  }
}

TEST(MultiHashCollectionTest, SameHitsAsAFlatTwinThroughDeletesCompactionAndReopen) {
  TempDir dir;
  std::mt19937 rng(21);
  const std::vector<Record> codes = Codes(6000, rng);
  std::vector<uint64_t> doomed;
  for (size_t i = 0; i < codes.size(); i += 4) doomed.push_back(codes[i].id);
  {
    auto db = Database::Open(dir.Sub("db"));
    ASSERT_TRUE(db.ok());
    auto mih = (*db)->CreateCollection(
        "mih", {.dimension = kBits, .metric = Metric::kHamming, .index = IndexKind::kMultiHash});
    auto flat = (*db)->CreateCollection(
        "flat", {.dimension = kBits, .metric = Metric::kHamming, .index = IndexKind::kFlat});
    ASSERT_TRUE(mih.ok() && flat.ok()) << mih.status().ToString();
    EXPECT_EQ((*mih)->Info().options.index, IndexKind::kMultiHash);
    ASSERT_TRUE((*mih)->Upsert(codes).ok());
    ASSERT_TRUE((*flat)->Upsert(codes).ok());
    ExpectSameHits(**mih, **flat, codes, rng, "after upserts");
    ASSERT_TRUE((*mih)->Delete(doomed).ok());
    ASSERT_TRUE((*flat)->Delete(doomed).ok());
    ExpectSameHits(**mih, **flat, codes, rng, "after deletes");
    ASSERT_TRUE((*mih)->Compact().ok());
    ASSERT_TRUE((*mih)->Checkpoint().ok());
    ExpectSameHits(**mih, **flat, codes, rng, "after compaction");
  }
  auto db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok());
  auto mih = (*db)->GetCollection("mih");
  auto flat = (*db)->GetCollection("flat");
  ASSERT_TRUE(mih.ok() && flat.ok());
  EXPECT_EQ((*mih)->Info().count, codes.size() - doomed.size());
  ExpectSameHits(**mih, **flat, codes, rng, "reopened");
}

TEST(MultiHashCollectionTest, OnlyHammingCodesOfWholeWordsTakeIt) {
  TempDir dir;
  auto db = Database::Open(dir.Sub("db"));
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(ParseIndexKind("mih").value(), IndexKind::kMultiHash);
  EXPECT_STREQ(IndexKindName(IndexKind::kMultiHash), "mih");
  for (const CollectionOptions& options :
       {CollectionOptions{.dimension = 256, .metric = Metric::kL2, .index = IndexKind::kMultiHash},
        CollectionOptions{
            .dimension = 72, .metric = Metric::kHamming, .index = IndexKind::kMultiHash}}) {
    auto c = (*db)->CreateCollection("bad", options);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("index mih"), std::string::npos) << c.status().message();
  }
}

}  // namespace
}  // namespace alike
