// ColorEmbedder ("color"): a compact global descriptor of colour, texture and layout that needs
// no model weights, in the spirit of LIRE's CEDD and MPEG-7's colour layout. It is the fallback
// when no CNN is available and a cheap complement to one.
//
// Blocks, each normalised on its own, weighted, concatenated, then L2-normalised (cosine):
//   - HSV colour histogram, 16 hue x 4 saturation x 2 value bins, over the whole picture and over
//     each cell of a 2x2 grid (5 x 128 values): what colours, and roughly where;
//   - edge-orientation histogram: Sobel gradients, 8 unsigned orientations weighted by gradient
//     magnitude, whole picture and 2x2 grid (5 x 8), plus the mean gradient strength: texture
//     and dominant shape directions;
//   - colour layout: the first DCT coefficients (zig-zag order; 6 of Y, 3 each of Cr and Cb) of
//     an 8x8 YCrCb thumbnail: the coarse arrangement of colour.
// Histograms are square-rooted (Hellinger kernel: cosine of square-rooted distributions
// discounts a few dominant bins); the DCT block keeps its sign (signed square root).
//
// The picture is first shrunk so its longer side is at most 256 px: fast (~2 ms) and
// independent of the input resolution.
//
// Thread-safety: immutable after construction; Embed() may be called from any number of threads.
#ifndef ALIKE_EMBED_COLOR_EMBEDDER_H_
#define ALIKE_EMBED_COLOR_EMBEDDER_H_

#include <string>
#include <vector>

#include "embed/embedder.h"

namespace alike::embed {

class ColorEmbedder : public Embedder {
 public:
  ColorEmbedder() = default;

  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  uint32_t dimension() const override;
  Metric metric() const override { return Metric::kCosine; }
  int preferred_short_side() const override { return 256; }

  Result<std::vector<Embedding>> Embed(const cv::Mat& bgr) const override;

  // The descriptor itself (unit length), for callers that need no Embedding wrapper.
  Result<std::vector<float>> Describe(const cv::Mat& bgr) const;

 private:
  const std::string name_ = "color";
  // Bump the suffix whenever bins, blocks, weights or the shrink size change.
  const std::string version_ = "hsv16x4x2g2-eoh8g2-cld12/2";
};

}  // namespace alike::embed

#endif  // ALIKE_EMBED_COLOR_EMBEDDER_H_
