#include "embed/face_calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace alike::embed {
namespace {

TEST(FaceCalibrationTest, DistanceAtFarInterpolatesInLogFar) {
  const FarPoint table[] = {{1e-2, 0.20f}, {1e-3, 0.15f}, {1e-4, 0.12f}};
  EXPECT_FLOAT_EQ(DistanceAtFar(table, 1e-3), 0.15f);
  EXPECT_NEAR(DistanceAtFar(table, std::sqrt(1e-2 * 1e-3)), 0.175f, 1e-5);  // halfway in log
  EXPECT_FLOAT_EQ(DistanceAtFar(table, 0.5), 0.20f);                        // above: the first
  EXPECT_NEAR(DistanceAtFar(table, 1e-5), 0.09f, 1e-5);  // below: the last two's slope
  EXPECT_FLOAT_EQ(DistanceAtFar(table, 1e-40), 0.f);     // never under 0
  EXPECT_FLOAT_EQ(DistanceAtFar({}, 1e-3), 0.f);
}

TEST(FaceCalibrationTest, MeasuresTheDistanceBelowAShareOfPairs) {
  std::vector<float> different;
  for (int i = 1; i <= 1000; ++i) different.push_back(i / 1000.f);  // 0.001 .. 1
  const double fars[] = {1e-1, 1e-2, 1e-3, 1e-4};
  const std::vector<FarPoint> table = MeasureCalibration(different, fars);
  ASSERT_EQ(table.size(), 3u);                    // 1e-4 is under one pair in 1,000
  EXPECT_NEAR(table[0].distance, 0.1005f, 1e-6);  // 100 pairs below
  EXPECT_NEAR(table[1].distance, 0.0105f, 1e-6);
  EXPECT_NEAR(table[2].distance, 0.0015f, 1e-6);
  const float same[] = {0.001f, 0.05f, 0.2f, 0.5f};
  EXPECT_DOUBLE_EQ(TrueAcceptRate(same, table[0].distance), 0.5);
}

TEST(FaceCalibrationTest, BuiltInTableFallsWithFar) {
  const std::span<const FarPoint> table = DlibFaceCalibration();
  ASSERT_GE(table.size(), 10u);
  for (size_t i = 1; i < table.size(); ++i) {
    EXPECT_LT(table[i].far, table[i - 1].far) << i;
    EXPECT_LE(table[i].distance, table[i - 1].distance) << i;
  }
}

}  // namespace
}  // namespace alike::embed
