#include "search/hamming_matcher.h"

#include <gtest/gtest.h>

#include <opencv2/features2d.hpp>
#include <random>
#include <utility>
#include <vector>

namespace alike::search {
namespace {

cv::Mat RandomDescriptors(int rows, std::mt19937& rng) {
  cv::Mat m(rows, kHammingDescriptorBytes, CV_8U);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < m.cols; ++c) m.at<uint8_t>(r, c) = static_cast<uint8_t>(rng());
  }
  return m;
}

// What copy verification did before: OpenCV's brute-force matcher and Lowe's ratio test.
std::vector<std::pair<int, int>> OpenCvRatioMatches(const cv::Mat& query, const cv::Mat& candidate,
                                                    float ratio) {
  std::vector<std::vector<cv::DMatch>> knn;
  cv::BFMatcher(cv::NORM_HAMMING).knnMatch(query, candidate, knn, 2);
  std::vector<std::pair<int, int>> out;
  for (const auto& pair : knn) {
    if (pair.size() == 2 && pair[0].distance < ratio * pair[1].distance) {
      out.emplace_back(pair[0].queryIdx, pair[0].trainIdx);
    }
  }
  return out;
}

std::vector<std::pair<int, int>> Pairs(const std::vector<DescriptorMatch>& matches) {
  std::vector<std::pair<int, int>> out;
  for (const DescriptorMatch& m : matches) out.emplace_back(m.query, m.candidate);
  return out;
}

// Query descriptors that are candidates' with a few bits flipped (true matches), exact
// duplicates among the candidates (a tie for the nearest, which the ratio test refuses), and
// random ones; query sizes that fill the matcher's blocks of 16 and sizes that do not.
// Takes about 0.1 s.
TEST(HammingMatcherTest, MatchesWhatOpenCvsBruteForceMatcherFinds) {
  std::mt19937 rng(7);
  for (const auto& [query_rows, candidate_rows] :
       std::vector<std::pair<int, int>>{{1, 2}, {37, 2}, {64, 90}, {500, 700}, {333, 1500}}) {
    cv::Mat candidate = RandomDescriptors(candidate_rows, rng);
    // What the matcher pads a last, partial block with: those lanes must never be answered.
    candidate.row(0).setTo(0);
    cv::Mat query = RandomDescriptors(query_rows, rng);
    for (int q = 0; q < query_rows; q += 3) {
      const int c = int(rng() % candidate_rows);
      candidate.row(c).copyTo(query.row(q));
      for (int flips = int(rng() % 60); flips > 0; --flips) {
        query.at<uint8_t>(q, int(rng() % 32)) ^= uint8_t(1u << (rng() % 8));
      }
      if (q % 2 == 0 && candidate_rows > 2) {
        candidate.row(c).copyTo(candidate.row((c + 1) % candidate_rows));
      }
    }
    for (const float ratio : {0.75f, 0.9f}) {
      const auto expected = OpenCvRatioMatches(query, candidate, ratio);
      EXPECT_EQ(Pairs(HammingRatioMatches(query, candidate, ratio)), expected)
          << query_rows << " x " << candidate_rows << " at ratio " << ratio;
      if (query_rows >= 64) {
        EXPECT_GT(expected.size(), size_t(query_rows) / 10);
      }
    }
  }
}

}  // namespace
}  // namespace alike::search
