#include "embed/pdq_hash.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <span>
#include <vector>

#include "embed/dct.h"
#include "embed/perceptual_hash.h"

namespace alike::embed {
namespace {

constexpr int kSide = 64;    // the picture is decimated to kSide x kSide
constexpr int kCoeffs = 16;  // kCoeffs x kCoeffs DCT coefficients, one bit each
constexpr int kBlurPasses = 2;

// Box filter width along a side: two passes of it make a tent about 1/64th of the side wide.
int WindowFor(int side) { return (side + 2 * kSide - 1) / (2 * kSide); }

// The mean over a window of `window` samples, placed as the reference places it: with
// half = (window + 2) / 2, output o averages inputs o - (window - half) .. o + half - 1, clipped
// to the vector (so the ends average fewer samples). One running sum per lane, updated in the
// reference's order (add the entering sample, then drop the leaving one), keeps every output
// bit-identical to it. `lanes` independent vectors are filtered at once: element o of lane l is
// at in[o * step + l] (a row: step 1, lanes 1; all columns at once: step = lanes = width).
void BoxFilter(const float* in, float* out, int length, int lanes, int step, int window) {
  const int half = (window + 2) / 2;
  std::vector<float> sum(lanes, 0.0f);
  int count = 0;
  auto add = [&](int o, float sign) {
    const float* src = in + size_t(o) * step;
    for (int l = 0; l < lanes; ++l) sum[l] += sign * src[l];
  };
  for (int o = 0; o < std::min(half - 1, length); ++o, ++count) add(o, 1.0f);
  for (int o = 0; o < length; ++o) {
    const int enter = o + half - 1;
    const int leave = o - (window - half) - 1;
    if (enter < length) {
      add(enter, 1.0f);
      ++count;
    }
    if (leave >= 0) {
      add(leave, -1.0f);
      --count;
    }
    float* dst = out + size_t(o) * step;
    for (int l = 0; l < lanes; ++l) dst[l] = sum[l] / static_cast<float>(count);
  }
}

// Step 0: the picture shrunk to fit in kPdqFitSide x kPdqFitSide, or itself when it fits.
cv::Mat FitInBox(const cv::Mat& image) {
  const int longer = std::max(image.cols, image.rows);
  if (longer <= kPdqFitSide) return image;
  const double scale = static_cast<double>(kPdqFitSide) / longer;
  const cv::Size size(std::max(1, cvRound(image.cols * scale)),
                      std::max(1, cvRound(image.rows * scale)));
  cv::Mat fitted;
  cv::resize(image, fitted, size, 0, 0, cv::INTER_AREA);
  return fitted;
}

// The blurred luma decimated to kSide x kSide (row-major).
std::vector<float> Downsample(cv::Mat luma) {
  const int rows = luma.rows, cols = luma.cols;
  cv::Mat tmp(rows, cols, CV_32F);
  const int along_rows = WindowFor(cols), along_cols = WindowFor(rows);
  for (int pass = 0; pass < kBlurPasses; ++pass) {
    for (int y = 0; y < rows; ++y) {
      BoxFilter(luma.ptr<float>(y), tmp.ptr<float>(y), cols, 1, 1, along_rows);
    }
    BoxFilter(tmp.ptr<float>(), luma.ptr<float>(), rows, cols, cols, along_cols);
  }
  std::vector<float> out(kSide * kSide);
  for (int i = 0; i < kSide; ++i) {
    const int y = static_cast<int>((i + 0.5) * rows / kSide);
    for (int j = 0; j < kSide; ++j) {
      out[i * kSide + j] = luma.at<float>(y, static_cast<int>((j + 0.5) * cols / kSide));
    }
  }
  return out;
}

// The reference's heuristic: neighbouring-pixel differences, in percent of the luma range and
// truncated, summed over the 64 x 64 picture and scaled so that a detailed photo reaches 100.
int Quality(const std::vector<float>& p) {
  int sum = 0;
  auto step = [&sum](float u, float v) { sum += std::abs(static_cast<int>((u - v) * 100 / 255)); };
  for (int i = 0; i + 1 < kSide; ++i) {
    for (int j = 0; j < kSide; ++j) step(p[i * kSide + j], p[(i + 1) * kSide + j]);
  }
  for (int i = 0; i < kSide; ++i) {
    for (int j = 0; j + 1 < kSide; ++j) step(p[i * kSide + j], p[i * kSide + j + 1]);
  }
  return std::min(sum / 90, 100);
}

struct Coefficients {
  std::array<float, kCoeffs * kCoeffs> c{};  // vertical frequency i + 1, horizontal j + 1
  int quality = 0;
};

// Steps 0-4 of the header, or nothing for a picture too small to hash.
std::optional<Coefficients> Analyse(const cv::Mat& image) {
  if (image.rows < kPdqMinSide || image.cols < kPdqMinSide) return std::nullopt;
  static const LowFrequencyDct dct(kSide, kCoeffs);
  const std::vector<float> small = Downsample(LumaOf(FitInBox(image)));
  Coefficients out;
  out.quality = Quality(small);
  dct.Transform(small.data(), out.c.data());
  return out;
}

PdqBits ToBits(std::span<const float> coefficients) {
  const std::vector<uint8_t> bits = MedianBits(coefficients);
  PdqBits out;
  std::copy(bits.begin(), bits.end(), out.begin());
  return out;
}

// How each dihedral variant's coefficients follow from the original's. Mirroring a picture along
// an axis multiplies the basis of frequency f on that axis by (-1)^f, so with frequencies
// starting at 1 the even indexes change sign; a transposition swaps the two axes. The signs apply
// to the variant's own row (vertical) and column (horizontal) indexes.
struct DihedralMap {
  bool transpose;
  bool negate_even_rows;
  bool negate_even_cols;
};
constexpr DihedralMap kDihedralMaps[kDihedralCount] = {
    {false, false, false},  // kOriginal
    {true, true, false},    // kRotate90: transpose, then mirror top to bottom
    {false, true, true},    // kRotate180
    {true, false, true},    // kRotate270: transpose, then mirror left to right
    {false, true, false},   // kFlipX
    {false, false, true},   // kFlipY
    {true, false, false},   // kFlipPlus1
    {true, true, true},     // kFlipMinus1
};

}  // namespace

PdqHash ComputePdq(const cv::Mat& image) {
  const auto analysed = Analyse(image);
  if (!analysed) return {};
  return {ToBits(analysed->c), analysed->quality};
}

PdqDihedralHashes ComputePdqDihedral(const cv::Mat& image) {
  const auto analysed = Analyse(image);
  if (!analysed) return {};
  PdqDihedralHashes out;
  out.quality = analysed->quality;
  for (int d = 0; d < kDihedralCount; ++d) {
    const DihedralMap& map = kDihedralMaps[d];
    std::array<float, kCoeffs * kCoeffs> c;
    for (int i = 0; i < kCoeffs; ++i) {
      for (int j = 0; j < kCoeffs; ++j) {
        float v = map.transpose ? analysed->c[j * kCoeffs + i] : analysed->c[i * kCoeffs + j];
        if (map.negate_even_rows && i % 2 == 0) v = -v;
        if (map.negate_even_cols && j % 2 == 0) v = -v;
        c[i * kCoeffs + j] = v;
      }
    }
    out.bits[d] = ToBits(c);
  }
  return out;
}

}  // namespace alike::embed
