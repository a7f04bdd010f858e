#include "library/copy_views.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "image/pixels.h"

namespace alike::library {

std::vector<cv::Mat> HalfWindows(const cv::Mat& query) {
  const int w = std::max(1, query.cols / 2), h = std::max(1, query.rows / 2);
  std::vector<cv::Mat> out;
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) {
      const int x = std::min(query.cols - w, col * query.cols / 4);
      const int y = std::min(query.rows - h, row * query.rows / 4);
      out.push_back(query(cv::Rect(x, y, w, h)));
    }
  }
  return out;
}

std::vector<cv::Mat> Untilted(const cv::Mat& query) {
  std::vector<cv::Mat> out;
  for (const double degrees : kTilts) out.push_back(image::RotateOnGrownCanvas(query, degrees));
  return out;
}

cv::Mat EnlargeTo(const cv::Mat& window, int side) {
  const int longer = std::max(window.cols, window.rows);
  if (longer >= side || longer == 0) return window;
  const double scale = double(side) / longer;
  cv::Mat out;
  cv::resize(window, out, cv::Size(), scale, scale, cv::INTER_CUBIC);
  return out;
}

cv::Mat EnlargeIfSmall(const cv::Mat& query) {
  return std::max(query.cols, query.rows) < kSmallQuerySide ? EnlargeTo(query, kEnlargedSide)
                                                            : query;
}

}  // namespace alike::library
