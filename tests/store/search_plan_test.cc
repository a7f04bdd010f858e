#include "store/search_plan.h"

#include <gtest/gtest.h>

namespace alike::store {
namespace {

TEST(SearchPlanTest, FewMatchesAreScannedExactly) {
  EXPECT_TRUE(PlanFilteredSearch(100000, 0.01, 64).exact);     // 1,000 matches
  EXPECT_TRUE(PlanFilteredSearch(10000000, 0.049, 64).exact);  // many, but under 5%
  EXPECT_TRUE(PlanFilteredSearch(5000, 0.3, 64).exact);        // 1,500 matches
  EXPECT_FALSE(PlanFilteredSearch(100000, 0.05, 64).exact);
  EXPECT_FALSE(PlanFilteredSearch(10000, 0.2, 64).exact);  // exactly 2,000
}

TEST(SearchPlanTest, ModerateSelectivityKeepsTheUnfilteredBeam) {
  for (double selectivity : {0.2, 0.29, 0.5, 1.0}) {
    EXPECT_EQ(PlanFilteredSearch(100000, selectivity, 64).ef, 64u) << selectivity;
  }
}

TEST(SearchPlanTest, LowSelectivityWidensTheBeamUpToACap) {
  EXPECT_EQ(PlanFilteredSearch(100000, 0.1, 64).ef, 128u);
  EXPECT_EQ(PlanFilteredSearch(1000000, 0.05, 64).ef, 256u);
  EXPECT_EQ(PlanFilteredSearch(1000000, 0.05, 10).ef, 40u);
  const uint32_t narrower = PlanFilteredSearch(1000000, 0.15, 64).ef;
  EXPECT_GT(narrower, 64u);
  EXPECT_LT(narrower, 128u);
}

}  // namespace
}  // namespace alike::store
