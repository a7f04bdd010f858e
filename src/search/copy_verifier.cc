#include "search/copy_verifier.h"

#include <algorithm>
#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include "image/pixels.h"
#include "search/hamming_matcher.h"

namespace alike::search {
namespace {

// Signed area of a polygon (shoelace): positive for one winding, negative for the other.
double SignedArea(const std::array<cv::Point2f, 4>& q) {
  double twice = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    const cv::Point2f& a = q[i];
    const cv::Point2f& b = q[(i + 1) % q.size()];
    twice += double(a.x) * b.y - double(b.x) * a.y;
  }
  return twice / 2;
}

// A mapping a real copy can have: the query's outline stays a convex quadrilateral with its
// winding kept (a mirror image is matched by describing the mirrored query, not by a flipping
// homography), and its area changes by less than 256x either way. RANSAC on random matches
// tends to produce folded or collapsed quadrilaterals, which this refuses.
bool Plausible(const std::array<cv::Point2f, 4>& corners, cv::Size query) {
  double sign = 0;
  for (size_t i = 0; i < corners.size(); ++i) {
    const cv::Point2f a = corners[(i + 1) % 4] - corners[i];
    const cv::Point2f b = corners[(i + 2) % 4] - corners[(i + 1) % 4];
    const double cross = double(a.x) * b.y - double(a.y) * b.x;
    if (cross == 0 || (sign != 0 && (cross > 0) != (sign > 0))) return false;
    sign = cross;
  }
  const double area = SignedArea(corners);
  const double query_area = double(query.width) * query.height;
  return area > 0 && area > query_area / 256 && area < query_area * 256;
}

// Inliers bunched in a corner of the query (a shared logo, a line of text) say little about the
// whole picture; a copy, even a 50% crop, spreads them over a good part of it.
double InlierSpread(const std::vector<cv::Point2f>& points, cv::Size size) {
  if (points.empty()) return 0;
  const cv::Rect box = cv::boundingRect(points);
  return double(box.area()) / (double(size.width) * size.height);
}

// `inliers` over the query keypoints that `h` maps inside a `size` picture.
float Coverage(int inliers, const std::vector<cv::Point2f>& query_points, const cv::Mat& h,
               cv::Size size) {
  std::vector<cv::Point2f> mapped;
  cv::perspectiveTransform(query_points, mapped, h);
  const cv::Rect2f inside(0, 0, float(size.width), float(size.height));
  const auto shared = std::count_if(mapped.begin(), mapped.end(),
                                    [&](const cv::Point2f& p) { return inside.contains(p); });
  return shared > 0 ? std::min(1.0f, float(inliers) / float(shared)) : 0.0f;
}

}  // namespace

std::vector<DescriptorMatch> CopyVerifier::RatioMatches(const cv::Mat& query,
                                                        const cv::Mat& candidate) const {
  if (query.type() == CV_8U && query.cols == kHammingDescriptorBytes) {
    return HammingRatioMatches(query, candidate, options_.ratio);
  }
  // SIFT's float descriptors (both sides come from one verifier, so the type decides the norm).
  const int norm = query.type() == CV_8U ? cv::NORM_HAMMING : cv::NORM_L2;
  std::vector<std::vector<cv::DMatch>> knn;
  cv::BFMatcher(norm).knnMatch(query, candidate, knn, 2);
  std::vector<DescriptorMatch> out;
  for (const auto& pair : knn) {
    if (pair.size() == 2 && pair[0].distance < options_.ratio * pair[1].distance) {
      out.push_back({.query = pair[0].queryIdx, .candidate = pair[0].trainIdx});
    }
  }
  return out;
}

Result<LocalFeatures> CopyVerifier::Describe(const cv::Mat& bgr) const {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("copy verifier: expected a non-empty 8-bit BGR image");
  }
  LocalFeatures out;
  out.size = bgr.size();
  try {
    const cv::Mat small = image::ShrinkToFit(bgr, options_.max_side);
    cv::Mat grey;
    cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
    std::vector<cv::KeyPoint> keypoints;
    cv::Ptr<cv::Feature2D> detector;
    if (options_.features == Features::kSift) {
      detector = cv::SIFT::create(options_.max_features);
    } else {
      detector = cv::ORB::create(options_.max_features);
    }
    detector->detectAndCompute(grey, cv::noArray(), keypoints, out.descriptors);
    const float scale_x = float(bgr.cols) / small.cols, scale_y = float(bgr.rows) / small.rows;
    out.points.reserve(keypoints.size());
    for (const cv::KeyPoint& k : keypoints) {
      out.points.emplace_back(k.pt.x * scale_x, k.pt.y * scale_y);
    }
  } catch (const cv::Exception& e) {
    return Status::Internal(std::string("copy verifier: ") + e.what());
  }
  return out;
}

std::string CopyVerifier::Version() const {
  return std::string(options_.features == Features::kSift ? "sift " : "orb ") +
         std::to_string(options_.max_side) + " " + std::to_string(options_.max_features);
}

CopyMatch CopyVerifier::Verify(const LocalFeatures& query, const LocalFeatures& candidate) const {
  CopyMatch m;
  if (query.descriptors.rows < 2 || candidate.descriptors.rows < 2) return m;
  if (candidate.descriptors.type() != query.descriptors.type() ||
      candidate.descriptors.cols != query.descriptors.cols) {
    return m;
  }
  std::vector<cv::Point2f> from, to;
  for (const DescriptorMatch& match : RatioMatches(query.descriptors, candidate.descriptors)) {
    from.push_back(query.points[match.query]);
    to.push_back(candidate.points[match.candidate]);
  }
  m.matches = static_cast<int>(from.size());
  if (m.matches < std::max(4, options_.min_inliers)) return m;

  // The tolerance is set for pictures at max_side; scale it to the query's own pixels.
  const double longer = std::max(query.size.width, query.size.height);
  const double tolerance = options_.ransac_pixels * std::max(1.0, longer / options_.max_side);
  std::vector<uint8_t> mask;
  const cv::Mat h = cv::findHomography(from, to, cv::RANSAC, tolerance, mask, 4000, 0.999);
  if (h.empty()) return m;
  std::vector<cv::Point2f> inlier_points;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) inlier_points.push_back(from[i]);
  }
  m.inliers = static_cast<int>(inlier_points.size());
  m.homography = cv::Matx33d(h);

  const float w = float(query.size.width), hgt = float(query.size.height);
  std::vector<cv::Point2f> outline = {{0, 0}, {w, 0}, {w, hgt}, {0, hgt}}, mapped;
  cv::perspectiveTransform(outline, mapped, h);
  std::copy(mapped.begin(), mapped.end(), m.corners.begin());
  m.region = cv::boundingRect(mapped) & cv::Rect(cv::Point(0, 0), candidate.size);
  m.coverage = Coverage(m.inliers, query.points, h, candidate.size);

  const bool enough = m.inliers >= options_.min_inliers;
  const bool spread = InlierSpread(inlier_points, query.size) >= 0.02;
  if (enough && spread && !m.region.empty() && Plausible(m.corners, query.size)) {
    // Two pieces of evidence, both needed. The count saturates: min_inliers agreeing matches
    // give 0.5, twice that 0.75, ... The coverage tells a copy (a fifth to nine tenths of the
    // shared keypoints agree, even after heavy edits) from another photo of the same face or
    // wall (a few hundredths); it gives 0.5 at coverage_midpoint. Measured with alike eval
    // copies: README, "Copy detection".
    const double count = 1 - std::exp2(-double(m.inliers) / options_.min_inliers);
    const double odds = std::pow(m.coverage / options_.coverage_midpoint, 4);
    m.confidence = static_cast<float>(count * odds / (1 + odds));
    m.is_copy = m.confidence >= 0.5f;
  }
  return m;
}

}  // namespace alike::search
