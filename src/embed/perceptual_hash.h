// What alike's perceptual hashes (PDQ in pdq_hash.h, the 64-bit DCT hash in dct_hash.h) share:
// the luma they are computed from, the median threshold that turns coefficients into bits, the
// packed bit layout, and the Hamming distance between two hashes.
//
// Packing: bit k of a hash has the weight 2^k of one big-endian number, so byte 0 holds the top
// bits 8n-1..8n-8 and HexString (util/text.h) prints the hash the way PDQ's reference prints its
// hashes. Records of kHamming collections take these bytes as they are.
//
// Thread-safety: pure functions.
#ifndef ALIKE_EMBED_PERCEPTUAL_HASH_H_
#define ALIKE_EMBED_PERCEPTUAL_HASH_H_

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>
#include <vector>

namespace alike::embed {

// Luma (Y of YUV, 0.299 R + 0.587 G + 0.114 B, summed in float as PDQ's reference does) of an
// 8-bit BGR, BGRA or grey picture, as a CV_32F matrix of the same size.
cv::Mat LumaOf(const cv::Mat& image);

// One bit per value, set when the value is above the median (the lower one: the (n+1)/2-th
// smallest), so that half the bits are set whatever the picture's contrast. `values.size()` must
// be a multiple of 8.
std::vector<uint8_t> MedianBits(std::span<const float> values);

// Sets bit k of packed bits (see the layout above).
void SetBit(std::span<uint8_t> bits, size_t k);

// Number of differing bits; the spans must have the same size.
int BitDistance(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_PERCEPTUAL_HASH_H_
