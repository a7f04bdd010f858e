// HammingRatioMatches: Lowe's ratio test over binary descriptors (ORB's 256 bits), the matching
// step of copy verification. For each query descriptor it finds the nearest and second-nearest
// candidate descriptors by Hamming distance and keeps the pair when the nearest is clearly
// nearer: the matches cv::BFMatcher(NORM_HAMMING).knnMatch(k = 2) plus the ratio test give,
// exactly (distances are whole bits, and a tie for the nearest never passes the test, so which
// of the tied descriptors a matcher would name does not matter).
//
// Why not BFMatcher: a copy query matches its ~1,500 descriptors against each of ~20 candidates'
// ~1,500, twice (upright and mirrored), which made matching most of a query's time. Here the
// query's descriptors are laid out word by word in blocks of 16, so that one candidate
// descriptor is compared with 16 query descriptors in a few vector instructions (on AVX-512
// VPOPCNTDQ the compiler turns the lanes' popcounts into one instruction per 8 words), and each
// lane keeps its own nearest two without branches: README, "Copy detection at archive scale".
//
// Thread-safety: pure functions.
#ifndef ALIKE_SEARCH_HAMMING_MATCHER_H_
#define ALIKE_SEARCH_HAMMING_MATCHER_H_

#include <opencv2/core.hpp>
#include <vector>

namespace alike::search {

// Bytes of the descriptors HammingRatioMatches takes (ORB's).
inline constexpr int kHammingDescriptorBytes = 32;

struct DescriptorMatch {
  int query = 0;      // row of the query descriptor
  int candidate = 0;  // row of its nearest candidate descriptor
};

// The pairs whose nearest distance is below `ratio` times the second nearest, in query order.
// Both matrices are CV_8U with kHammingDescriptorBytes columns; `candidate` has at least 2 rows.
std::vector<DescriptorMatch> HammingRatioMatches(const cv::Mat& query, const cv::Mat& candidate,
                                                 float ratio);

}  // namespace alike::search

#endif  // ALIKE_SEARCH_HAMMING_MATCHER_H_
