// LowFrequencyDct: the k x k lowest non-constant frequencies of the 2-D DCT-II of an n x n block,
// as PDQ and the 64-bit DCT hash both need. Only the wanted rows of the DCT matrix are kept
// (frequencies 1..k; the DC term only measures brightness, which a perceptual hash must ignore),
// and the transform is two matrix products, B = D A D^T with D the k x n basis: for k << n that
// beats a fast full DCT, and it keeps the reference's float arithmetic, which bit-exact PDQ needs.
//
// Thread-safety: immutable after construction; Transform may be called from any thread.
#ifndef ALIKE_EMBED_DCT_H_
#define ALIKE_EMBED_DCT_H_

#include <vector>

namespace alike::embed {

class LowFrequencyDct {
 public:
  // n: the block side; k: coefficients kept per axis (k < n).
  LowFrequencyDct(int n, int k);

  int n() const { return n_; }
  int k() const { return k_; }

  // `in`: n x n values, row-major. `out`: k x k coefficients, row-major; out[i * k + j] is the
  // vertical frequency i + 1 and horizontal frequency j + 1. Each coefficient is summed in float
  // in index order, as PDQ's reference does.
  void Transform(const float* in, float* out) const;

 private:
  int n_;
  int k_;
  std::vector<float> basis_;  // k x n: basis_[i * n + x] = sqrt(2/n) cos(pi/(2n) (i+1) (2x+1))
};

}  // namespace alike::embed

#endif  // ALIKE_EMBED_DCT_H_
