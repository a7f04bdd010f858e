// PDQ, the 256-bit perceptual hash Facebook published for matching copies of photos (see
// hashing.pdf in facebook/ThreatExchange), computed as the reference does so that hashes are
// interchangeable with other PDQ implementations:
//
//   0. a picture larger than 512 x 512 is shrunk to fit in it by area averaging, aspect kept: the
//      published reference hashes were made so (PIL's thumbnail in the Python reference; the C++
//      reference squashes pictures to 512 x 512 by nearest neighbour, which moves 4-10 bits);
//   1. luma from RGB (LumaOf in perceptual_hash.h);
//   2. a tent-filter blur: two passes of horizontal then vertical box filters (Jarosz), each
//      ceil(side / 128) pixels wide, so that every output pixel of step 3 sees a full 1/64th of
//      the picture;
//   3. decimation to 64 x 64 by sampling the centre of each cell;
//   4. the 16 x 16 lowest non-constant frequencies of the 64 x 64 DCT-II (dct.h);
//   5. one bit per coefficient: above the median or not.
//
// The quality (0-100) counts the significant luma gradients of the 64 x 64 picture. Flat or
// nearly flat pictures score low and their bits are noise around the median: the reference
// recommends discarding hashes under kPdqMinQuality, and two hashes match at a Hamming distance
// of at most kPdqMatchDistance.
//
// The eight dihedral variants (rotations by multiples of 90 degrees, with and without a mirror)
// come from the one DCT: transposing the picture transposes the coefficients, and mirroring it
// negates the odd frequencies, so no rotated pixels are ever hashed.
//
// Thread-safety: pure functions.
#ifndef ALIKE_EMBED_PDQ_HASH_H_
#define ALIKE_EMBED_PDQ_HASH_H_

#include <array>
#include <cstdint>
#include <opencv2/core.hpp>

namespace alike::embed {

inline constexpr int kPdqBits = 256;
inline constexpr int kPdqMatchDistance = 31;
inline constexpr int kPdqMinQuality = 50;
// Pictures narrower or lower than this hash to all zeros with quality 0, as in the reference.
inline constexpr int kPdqMinSide = 5;
// Step 0's box.
inline constexpr int kPdqFitSide = 512;

using PdqBits = std::array<uint8_t, kPdqBits / 8>;  // packed as perceptual_hash.h says

// The dihedral group, named as in the reference. kRotate90 turns the picture 90 degrees
// counter-clockwise (cv::ROTATE_90_COUNTERCLOCKWISE); kFlipX mirrors it top to bottom (about
// the x axis), kFlipY left to right; kFlipPlus1 transposes it (mirrors it about the diagonal
// through the top-left corner), kFlipMinus1 mirrors it about the other diagonal.
enum class Dihedral {
  kOriginal,
  kRotate90,
  kRotate180,
  kRotate270,
  kFlipX,
  kFlipY,
  kFlipPlus1,
  kFlipMinus1
};
inline constexpr int kDihedralCount = 8;

struct PdqHash {
  PdqBits bits{};
  int quality = 0;  // 0-100
};

struct PdqDihedralHashes {
  std::array<PdqBits, kDihedralCount> bits{};  // indexed by Dihedral
  int quality = 0;
};

// `image`: 8-bit BGR, BGRA or grey, best at full resolution (or at least 512 pixels on its
// shorter side, so that step 0 sees the same picture whatever size it was decoded at).
PdqHash ComputePdq(const cv::Mat& image);
PdqDihedralHashes ComputePdqDihedral(const cv::Mat& image);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_PDQ_HASH_H_
