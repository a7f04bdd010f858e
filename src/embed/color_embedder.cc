#include "embed/color_embedder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "image/pixels.h"

namespace alike::embed {
namespace {

constexpr int kHueBins = 16, kSatBins = 4, kValBins = 2;
constexpr int kColorBins = kHueBins * kSatBins * kValBins;  // 128
constexpr int kRegions = 5;                                 // whole picture + 2x2 grid
constexpr int kOrientations = 8;
constexpr int kLayoutCoefficients = 12;
constexpr int kDimension =
    kRegions * kColorBins + kRegions * kOrientations + 1 + kLayoutCoefficients;
constexpr int kMaxSide = 256;

// Bins and block weights were chosen on the 300 flowers photos of the precision test: hue
// resolution matters most (8 -> 16 hue bins: precision@10 0.36 -> 0.38); the grid cells, edges
// and layout change it by <0.01 there but separate pictures of the same colours.
constexpr float kWholeColorWeight = 1.0f, kCellColorWeight = 0.25f;
constexpr float kEdgeWeight = 0.5f, kLayoutWeight = 0.35f;

// Region index of pixel (x, y): 1..4 for the 2x2 grid cells (region 0 is the whole picture).
inline int Cell(int x, int y, int w, int h) { return 1 + (y * 2 >= h) * 2 + (x * 2 >= w); }

// L1-normalises, square-roots (Hellinger) and weights values[0, n).
void HellingerBlock(float* values, int n, float weight) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += values[i];
  if (sum <= 0) return;
  for (int i = 0; i < n; ++i) values[i] = weight * static_cast<float>(std::sqrt(values[i] / sum));
}

void ColorHistograms(const cv::Mat& bgr, float* out) {
  cv::Mat hsv;
  cv::cvtColor(bgr, hsv, cv::COLOR_BGR2HSV);  // H in 0..179, S and V in 0..255
  // Per-channel bin offsets, looked up instead of divided per pixel.
  uint8_t hue[256], sat[256], val[256];
  for (int i = 0; i < 256; ++i) {
    hue[i] = static_cast<uint8_t>(std::min(i, 179) * kHueBins / 180 * kSatBins * kValBins);
    sat[i] = static_cast<uint8_t>(i * kSatBins / 256 * kValBins);
    val[i] = static_cast<uint8_t>(i * kValBins / 256);
  }
  const int w = hsv.cols, h = hsv.rows;
  const int half_w = (w + 1) / 2;  // Cell(): x * 2 >= w
  for (int y = 0; y < h; ++y) {
    const uint8_t* p = hsv.ptr<uint8_t>(y);
    float* left = out + Cell(0, y, w, h) * kColorBins;
    float* right = out + Cell(w - 1, y, w, h) * kColorBins;
    for (int x = 0; x < w; ++x, p += 3) {
      const int bin = hue[p[0]] + sat[p[1]] + val[p[2]];
      out[bin] += 1;
      (x < half_w ? left : right)[bin] += 1;
    }
  }
  for (int r = 0; r < kRegions; ++r) {
    HellingerBlock(out + r * kColorBins, kColorBins, r == 0 ? kWholeColorWeight : kCellColorWeight);
  }
}

// Which of kOrientations equal sectors of [0, pi) holds the unsigned direction of (dx, dy): an
// edge and its reverse are the same edge. Without atan2, the cost of the whole descriptor once:
// the angle is at or past the sector boundary phi exactly when dy cos(phi) - dx sin(phi) >= 0,
// once (dx, dy) is turned into the upper half-plane.
int OrientationBin(float dx, float dy) {
  static const auto kBoundaries = [] {
    std::array<std::pair<float, float>, kOrientations - 1> b{};  // (cos, sin) of k pi / 8
    for (int k = 1; k < kOrientations; ++k) {
      const double phi = CV_PI * k / kOrientations;
      b[k - 1] = {static_cast<float>(std::cos(phi)), static_cast<float>(std::sin(phi))};
    }
    return b;
  }();
  if (dy < 0) {
    dx = -dx;
    dy = -dy;
  }
  int bin = 0;
  for (const auto& [c, s] : kBoundaries) bin += dy * c - dx * s >= 0;
  return bin;
}

// Edge orientations, and the mean gradient magnitude (how textured the picture is) last.
void EdgeHistograms(const cv::Mat& bgr, float* out) {
  cv::Mat grey, gx, gy;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::Sobel(grey, gx, CV_32F, 1, 0);
  cv::Sobel(grey, gy, CV_32F, 0, 1);
  const int w = grey.cols, h = grey.rows;
  double total = 0;
  for (int y = 0; y < h; ++y) {
    const float* dx = gx.ptr<float>(y);
    const float* dy = gy.ptr<float>(y);
    for (int x = 0; x < w; ++x) {
      const float mag = std::sqrt(dx[x] * dx[x] + dy[x] * dy[x]);
      total += mag;
      if (mag < 16) continue;  // flat areas and JPEG noise have no meaningful direction
      const int bin = OrientationBin(dx[x], dy[x]);
      out[bin] += mag;
      out[Cell(x, y, w, h) * kOrientations + bin] += mag;
    }
  }
  for (int r = 0; r < kRegions; ++r) {
    HellingerBlock(out + r * kOrientations, kOrientations, kEdgeWeight * (r == 0 ? 1.0f : 0.5f));
  }
  // Mean Sobel magnitude of 8-bit pictures rarely exceeds ~200; squash into 0..1.
  out[kRegions * kOrientations] =
      kEdgeWeight * static_cast<float>(std::sqrt(std::min(1.0, total / (w * h) / 200.0)));
}

void ColorLayout(const cv::Mat& bgr, float* out) {
  cv::Mat thumb, ycrcb, planes[3];
  cv::resize(bgr, thumb, cv::Size(8, 8), 0, 0, cv::INTER_AREA);
  cv::cvtColor(thumb, ycrcb, cv::COLOR_BGR2YCrCb);
  ycrcb.convertTo(ycrcb, CV_32F, 1.0 / 255);
  cv::split(ycrcb, planes);
  // Zig-zag order of the first coefficients of an 8x8 DCT.
  static constexpr int kZigzag[6][2] = {{0, 0}, {0, 1}, {1, 0}, {2, 0}, {1, 1}, {0, 2}};
  const int take[3] = {6, 3, 3};
  int k = 0;
  for (int c = 0; c < 3; ++c) {
    cv::Mat coeffs;
    cv::dct(planes[c], coeffs);
    for (int i = 0; i < take[c]; ++i) out[k++] = coeffs.at<float>(kZigzag[i][0], kZigzag[i][1]);
  }
  double norm = 0;
  for (int i = 0; i < kLayoutCoefficients; ++i) norm += double(out[i]) * out[i];
  if (norm <= 0) return;
  const double inv = 1 / std::sqrt(norm);
  for (int i = 0; i < kLayoutCoefficients; ++i) {
    const double v = out[i] * inv;
    out[i] = kLayoutWeight * static_cast<float>(std::copysign(std::sqrt(std::abs(v)), v));
  }
}

}  // namespace

uint32_t ColorEmbedder::dimension() const { return kDimension; }

Result<std::vector<float>> ColorEmbedder::Describe(const cv::Mat& bgr) const {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("color embedder: expected a non-empty 8-bit BGR image");
  }
  try {
    const cv::Mat small = image::ShrinkToFit(bgr, kMaxSide);
    std::vector<float> v(kDimension, 0.0f);
    ColorHistograms(small, v.data());
    EdgeHistograms(small, v.data() + kRegions * kColorBins);
    ColorLayout(small, v.data() + kRegions * kColorBins + kRegions * kOrientations + 1);
    L2Normalize(v);
    return v;
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("color embedder: ") + e.what());
  }
}

Result<std::vector<Embedding>> ColorEmbedder::Embed(const cv::Mat& bgr) const {
  auto v = Describe(bgr);
  if (!v.ok()) return v.status();
  std::vector<Embedding> out(1);
  out[0].vector = std::move(*v);
  return out;
}

}  // namespace alike::embed
