#include "image/pixels.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace alike::image {
namespace {

TEST(ShrinkToFitTest, LongerSideBecomesTheLimitAspectKept) {
  struct Case {
    cv::Size in, out;
  };
  for (const Case& c : {Case{{640, 480}, {256, 192}}, Case{{4000, 3000}, {256, 192}},
                        Case{{3000, 4000}, {192, 256}}, Case{{1001, 7}, {256, 2}},
                        Case{{5000, 1}, {256, 1}}, Case{{300, 300}, {256, 256}}}) {
    const cv::Mat in(c.in, CV_8UC3, cv::Scalar(10, 20, 30));
    const cv::Mat out = ShrinkToFit(in, 256);
    EXPECT_EQ(out.size(), c.out) << c.in;
    // A flat picture stays exactly flat: both steps average neighbours.
    EXPECT_EQ(cv::mean(out), cv::Scalar(10, 20, 30)) << c.in;
  }
}

TEST(ShrinkToFitTest, SmallPicturesAreLeftAlone) {
  const cv::Mat in(192, 256, CV_8UC3, cv::Scalar::all(7));
  EXPECT_EQ(ShrinkToFit(in, 256).data, in.data);
  EXPECT_EQ(ShrinkToFit(in, 0).data, in.data);
}

// Averaging, not sampling: a one-pixel checkerboard shrunk 4x must come out grey, where picking
// every 4th pixel would give pure black or white.
TEST(ShrinkToFitTest, AveragesInsteadOfAliasing) {
  cv::Mat board(1024, 1024, CV_8UC1);
  for (int y = 0; y < board.rows; ++y) {
    for (int x = 0; x < board.cols; ++x) board.at<uint8_t>(y, x) = (x + y) % 2 ? 255 : 0;
  }
  cv::Mat bgr;
  cv::cvtColor(board, bgr, cv::COLOR_GRAY2BGR);
  const cv::Mat out = ShrinkToFit(bgr, 256);
  ASSERT_EQ(out.size(), cv::Size(256, 256));
  double lo = 0, hi = 0;
  cv::minMaxLoc(out.reshape(1), &lo, &hi);
  EXPECT_GE(lo, 120);
  EXPECT_LE(hi, 135);
}

}  // namespace
}  // namespace alike::image
