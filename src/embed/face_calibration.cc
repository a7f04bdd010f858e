#include "embed/face_calibration.h"

#include <algorithm>
#include <cmath>

namespace alike::embed {
namespace {

// Measured 2026-12-07 by `alike eval faces` over the 7,255,541 different-person pairs of LFW
// folds 1-5 (see README, "Face search in a big library"), down to FAR 1e-6 (7 pairs); below,
// the few closest pairs are LFW's duplicate pictures under two names, so the table stops there
// and DistanceAtFar extrapolates.
constexpr FarPoint kDlib[] = {
    {1e-2, 0.1797f}, {5e-3, 0.1676f}, {2e-3, 0.1532f}, {1e-3, 0.1434f}, {5e-4, 0.1345f},
    {2e-4, 0.1234f}, {1e-4, 0.1149f}, {5e-5, 0.1076f}, {2e-5, 0.0985f}, {1e-5, 0.0927f},
    {5e-6, 0.0867f}, {2e-6, 0.0806f}, {1e-6, 0.0751f},
};

float Interpolate(const FarPoint& a, const FarPoint& b, double far) {
  const double la = std::log10(a.far), lb = std::log10(b.far);
  if (la == lb) return a.distance;
  const double t = (std::log10(far) - la) / (lb - la);
  return float(a.distance + t * (b.distance - a.distance));
}

}  // namespace

std::vector<double> CalibrationFars() {
  std::vector<double> fars;
  for (double decade = 1e-2; decade > 5e-8; decade /= 10) {
    for (double step : {1.0, 0.5, 0.2}) fars.push_back(decade * step);
  }
  while (fars.back() < 1e-7) fars.pop_back();
  return fars;
}

std::span<const FarPoint> DlibFaceCalibration() { return kDlib; }

float DistanceAtFar(std::span<const FarPoint> table, double far) {
  if (table.empty()) return 0;
  if (far >= table.front().far || table.size() == 1) return table.front().distance;
  for (size_t i = 1; i < table.size(); ++i) {
    if (far >= table[i].far) return Interpolate(table[i - 1], table[i], far);
  }
  return std::max(0.f, Interpolate(table[table.size() - 2], table.back(), far));
}

std::vector<FarPoint> MeasureCalibration(std::vector<float> different,
                                         std::span<const double> fars) {
  std::sort(different.begin(), different.end());
  std::vector<FarPoint> table;
  for (double far : fars) {
    const double below = far * double(different.size());
    if (below < 1) break;
    // The distance with floor(below) pairs under it: between that pair and the next.
    const size_t n = size_t(below);
    const float d = n < different.size() ? (different[n - 1] + different[n]) / 2 : different.back();
    table.push_back({far, d});
  }
  return table;
}

double TrueAcceptRate(std::span<const float> same, float distance) {
  if (same.empty()) return 0;
  const size_t below =
      std::count_if(same.begin(), same.end(), [&](float d) { return d < distance; });
  return double(below) / double(same.size());
}

}  // namespace alike::embed
