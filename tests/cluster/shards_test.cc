#include "cluster/shards.h"

#include <gtest/gtest.h>

#include <vector>

namespace alike::cluster {
namespace {

TEST(ShardsTest, MixIsTheSplitMix64Finaliser) {
  // SplitMix64 seeded with 0 first adds its increment, then finalises: its published first
  // output.
  EXPECT_EQ(Mix64(0x9e3779b97f4a7c15ull), 0xe220a8397b1dcdafull);
}

TEST(ShardsTest, SequentialIdsSpreadEvenlyOverShards) {
  constexpr uint32_t kShards = kDefaultShardCount;
  constexpr int kIds = 64000;
  std::vector<int> per_shard(kShards);
  for (uint64_t id = 0; id < kIds; ++id) {
    const uint32_t shard = ShardOf(id, kShards);
    ASSERT_LT(shard, kShards);
    ++per_shard[shard];
  }
  for (uint32_t s = 0; s < kShards; ++s) {
    // 1000 expected per shard; a binomial spread stays well within 20% of it.
    EXPECT_GT(per_shard[s], 800) << "shard " << s;
    EXPECT_LT(per_shard[s], 1200) << "shard " << s;
  }
}

TEST(ShardsTest, NamesAreValidStreamNamesAndSubjects) {
  EXPECT_EQ(ShardStreamName("photos", 7), "alike-photos-7");
  EXPECT_EQ(ShardSubject("photos", 7), "alike.photos.7");
  EXPECT_TRUE(ValidateClusterCollectionName("photos_2024-a").ok());
  for (const char* bad : {"", "a.b", "a b", "a*", "a>"}) {
    const Status s = ValidateClusterCollectionName(bad);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace alike::cluster
