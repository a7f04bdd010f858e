// The 64-bit DCT hash ("pHash"): the picture's luma shrunk to 32 x 32 by area averaging, the
// 8 x 8 lowest non-constant frequencies of its DCT-II (dct.h), one bit per coefficient above
// their median. Cheaper and shorter than PDQ (perceptual hashes of the same picture resized or
// recompressed differ in a few bits), it is meant for exact and near-exact duplicates.
//
// A flat picture has no structure to describe: its coefficients are all near zero and its bits
// are noise. `strength` (the largest coefficient's magnitude; a cosine of amplitude a grey levels
// gives 16 a) tells such pictures apart; hashes under kDctHashMinStrength should not be used for
// matching. Flat pictures, even noisy and JPEG-compressed, measure under 2; photos over 40, the
// nearly featureless LabelMe q0003 (PDQ quality 3) 4.0.
//
// Thread-safety: pure functions.
#ifndef ALIKE_EMBED_DCT_HASH_H_
#define ALIKE_EMBED_DCT_HASH_H_

#include <array>
#include <cstdint>
#include <opencv2/core.hpp>

namespace alike::embed {

inline constexpr int kDctHashBits = 64;
inline constexpr float kDctHashMinStrength = 4.0f;

using DctHashBits = std::array<uint8_t, kDctHashBits / 8>;  // packed as perceptual_hash.h says

struct DctHash {
  DctHashBits bits{};
  float strength = 0;
};

// `image`: 8-bit BGR, BGRA or grey, any size (pictures smaller than 32 x 32 are enlarged).
DctHash ComputeDctHash(const cv::Mat& image);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_DCT_HASH_H_
