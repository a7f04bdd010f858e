#include "search/hamming_matcher.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

namespace alike::search {
namespace {

constexpr int kWords = kHammingDescriptorBytes / 8;
// Query descriptors compared at once: 16 lanes of 64 bits are two AVX-512 registers a word,
// enough independent work to hide the latency of each lane's running minimum.
constexpr int kLanes = 16;
// Above any distance of 256 bits.
constexpr uint64_t kFar = kHammingDescriptorBytes * 8 + 1;

// kLanes query descriptors, word w of lane l at words[w][l]; missing lanes are zero.
struct QueryBlock {
  uint64_t words[kWords][kLanes] = {};
};

std::vector<QueryBlock> Transpose(const cv::Mat& query) {
  std::vector<QueryBlock> blocks((query.rows + kLanes - 1) / kLanes);
  for (int row = 0; row < query.rows; ++row) {
    uint64_t words[kWords];
    std::memcpy(words, query.ptr(row), sizeof(words));
    for (int w = 0; w < kWords; ++w) blocks[row / kLanes].words[w][row % kLanes] = words[w];
  }
  return blocks;
}

}  // namespace

std::vector<DescriptorMatch> HammingRatioMatches(const cv::Mat& query, const cv::Mat& candidate,
                                                 float ratio) {
  CV_Assert(query.type() == CV_8U && query.cols == kHammingDescriptorBytes);
  CV_Assert(candidate.type() == CV_8U && candidate.cols == kHammingDescriptorBytes);
  CV_Assert(candidate.rows >= 2);
  const std::vector<QueryBlock> blocks = Transpose(query);
  std::vector<uint64_t> candidate_words(size_t(candidate.rows) * kWords);
  for (int row = 0; row < candidate.rows; ++row) {
    std::memcpy(&candidate_words[size_t(row) * kWords], candidate.ptr(row),
                kHammingDescriptorBytes);
  }

  std::vector<DescriptorMatch> out;
  for (size_t b = 0; b < blocks.size(); ++b) {
    const QueryBlock& block = blocks[b];
    uint64_t nearest[kLanes], second[kLanes], nearest_row[kLanes];
    std::fill(std::begin(nearest), std::end(nearest), kFar);
    std::fill(std::begin(second), std::end(second), kFar);
    std::fill(std::begin(nearest_row), std::end(nearest_row), 0);
    for (int row = 0; row < candidate.rows; ++row) {
      const uint64_t* c = &candidate_words[size_t(row) * kWords];
      // Branch-free, so that the compiler vectorises across the lanes.
      for (int l = 0; l < kLanes; ++l) {
        uint64_t d = 0;
        for (int w = 0; w < kWords; ++w) d += std::popcount(block.words[w][l] ^ c[w]);
        second[l] = std::min(second[l], std::max(nearest[l], d));
        nearest_row[l] = d < nearest[l] ? uint64_t(row) : nearest_row[l];
        nearest[l] = std::min(nearest[l], d);
      }
    }
    for (int l = 0; l < kLanes; ++l) {
      const int q = int(b) * kLanes + l;
      if (q >= query.rows) break;
      if (float(nearest[l]) < ratio * float(second[l])) {
        out.push_back({.query = q, .candidate = int(nearest_row[l])});
      }
    }
  }
  return out;
}

}  // namespace alike::search
