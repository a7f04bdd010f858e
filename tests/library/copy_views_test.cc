// The views of a copy query that copy search's second look embeds and verifies.
#include "library/copy_views.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "image/pixels.h"

namespace alike::library {
namespace {

cv::Mat Textured(int width, int height) {
  cv::Mat m(height, width, CV_8UC3);
  cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(m, m, cv::Size(), 2);
  return m;
}

// How much of `inner` (a rectangle of the query) the window at `window` of `query` holds.
double Held(const cv::Mat& window, const cv::Mat& query, const cv::Rect& inner) {
  cv::Size whole;
  cv::Point at;
  window.locateROI(whole, at);
  EXPECT_EQ(whole, query.size());
  return double((cv::Rect(at, window.size()) & inner).area()) / inner.area();
}

TEST(CopyViewsTest, AHalfSizePictureAnywhereIsMostlyInsideOneHalfWindow) {
  const cv::Mat query = Textured(800, 600);
  const std::vector<cv::Mat> windows = HalfWindows(query);
  ASSERT_EQ(windows.size(), 9u);
  for (const cv::Mat& w : windows) EXPECT_EQ(w.size(), cv::Size(400, 300));
  // A picture of 45% of each side, at every place on a grid of 20-pixel steps: at least 60% of it
  // inside one window.
  const cv::Size pasted(360, 270);
  for (int x = 0; x + pasted.width <= query.cols; x += 20) {
    for (int y = 0; y + pasted.height <= query.rows; y += 20) {
      double best = 0;
      for (const cv::Mat& w : windows) {
        best = std::max(best, Held(w, query, cv::Rect(cv::Point(x, y), pasted)));
      }
      EXPECT_GE(best, 0.6) << x << "," << y;  // the worst place: 0.78 of each side
    }
  }
}

TEST(CopyViewsTest, OneUntiltedViewTurnsA15DegreeCopyBackUpright) {
  const cv::Mat photo = Textured(400, 300);
  for (const double degrees : {15.0, -15.0}) {
    const cv::Mat copy = image::RotateOnGrownCanvas(photo, degrees);
    double best = 1e9;
    for (const cv::Mat& view : Untilted(copy)) {
      // The photo upright at the view's centre: compare its middle.
      const cv::Rect middle(view.cols / 2 - 100, view.rows / 2 - 75, 200, 150);
      const cv::Rect original(100, 75, 200, 150);
      best = std::min(best, cv::norm(view(middle), photo(original), cv::NORM_L1) / middle.area());
    }
    EXPECT_LT(best, 20) << degrees;  // the wrong way round differs by ~50 levels a pixel
  }
}

TEST(CopyViewsTest, OnlyThumbnailsAreEnlargedForDescribing) {
  EXPECT_EQ(EnlargeIfSmall(Textured(96, 64)).cols, kEnlargedSide);
  EXPECT_NEAR(EnlargeIfSmall(Textured(96, 64)).rows, kEnlargedSide * 2 / 3, 1);
  EXPECT_EQ(EnlargeIfSmall(Textured(64, 96)).rows, kEnlargedSide);
  EXPECT_EQ(EnlargeIfSmall(Textured(256, 192)).size(), cv::Size(256, 192));
  EXPECT_EQ(EnlargeTo(Textured(320, 240), 640).size(), cv::Size(640, 480));
  EXPECT_EQ(EnlargeTo(Textured(800, 600), 640).size(), cv::Size(800, 600));
}

}  // namespace
}  // namespace alike::library
