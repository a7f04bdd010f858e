// A face model's calibration: how the share of different-person pairs closer than a distance
// (the false accept rate, FAR) falls with the distance, measured on labelled faces and kept with
// the model, so that a search can pick the distance that lets through a chosen share of
// strangers.
//
// Thread-safety: pure functions and immutable data.
#ifndef ALIKE_EMBED_FACE_CALIBRATION_H_
#define ALIKE_EMBED_FACE_CALIBRATION_H_

#include <span>
#include <vector>

namespace alike::embed {

// Different-person pairs closer than `distance` are `far` of all different-person pairs.
struct FarPoint {
  double far = 0;
  float distance = 0;
};

// The points a calibration is measured at: FAR 1e-2 down to 1e-7, three per decade.
std::vector<double> CalibrationFars();

// The calibration of the built-in face model (dlib's ResNet, flip-averaged, YuNet boxes), FAR
// falling: measured by `alike eval faces` on LFW folds 1-5 of ../shared (3,811 images, every
// different-person pair among them).
std::span<const FarPoint> DlibFaceCalibration();

// The distance at which the share `far` of different-person pairs is closer: interpolated
// linearly in log FAR between the table's points (FAR falling), extrapolated from the last two
// below the last point (never under 0) and the first distance above the first point. An empty
// table gives 0.
float DistanceAtFar(std::span<const FarPoint> table, double far);

// Measures a table at `fars` (falling) from different-person distances (any order): at each
// FAR the distance with that share of pairs below it. FARs below one pair in all are left out.
std::vector<FarPoint> MeasureCalibration(std::vector<float> different,
                                         std::span<const double> fars);

// The share of `same` (same-person distances) strictly below `distance`: the true accept rate.
double TrueAcceptRate(std::span<const float> same, float distance);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_FACE_CALIBRATION_H_
