// CopyVerifier: the second stage of copy detection. Global descriptors (perceptual hashes, CNN
// vectors) find candidates fast but survive only mild edits; a crop, a rotation, a border or an
// overlay moves or hides much of the picture. Local features survive them: this matches the
// query's keypoints to a candidate's, fits a homography with RANSAC, and calls the candidate a copy
// when enough matches agree on one plane-to-plane mapping. The mapping also says where in the
// candidate the query's picture lies (the matched region), and how it was scaled and turned.
//
//   CopyVerifier verifier;
//   auto q = verifier.Describe(query_bgr);        // once per query
//   auto c = verifier.Describe(candidate_bgr);    // once per candidate (or cached)
//   CopyMatch m = verifier.Verify(*q, *c);        // m.is_copy, m.confidence, m.region
//
// Features are ORB by default, SIFT on request (OpenCV 4.6 features2d), on the grey picture shrunk
// to at most Options::max_side. On the OpenCV pairs (tests/search) both recover graf1 -> graf3 (a
// 40-degree change of viewpoint; worst error against the true homography 4.3 px with ORB, 4.0 with
// SIFT) and find the box in its scene (38 and 75 inliers), and ORB described and matched the
// pairs 5-7x faster, which decides it for whole libraries.
//
// Thread-safety: a CopyVerifier is immutable; Describe and Verify may run concurrently (each call
// makes its own OpenCV detector and matcher).
#ifndef ALIKE_SEARCH_COPY_VERIFIER_H_
#define ALIKE_SEARCH_COPY_VERIFIER_H_

#include <array>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "alike/status.h"
#include "search/hamming_matcher.h"

namespace alike::search {

// A picture's local features, in the coordinates of the picture as given to Describe.
struct LocalFeatures {
  cv::Size size;                    // of the picture described
  std::vector<cv::Point2f> points;  // keypoint positions
  cv::Mat descriptors;              // one row per point: CV_8U (ORB) or CV_32F (SIFT)
};

struct CopyMatch {
  bool is_copy = false;
  // 0..1: how sure the verifier is that the candidate holds a copy; is_copy from 0.5. 0 when the
  // matches fit no plausible homography at all.
  float confidence = 0;
  int matches = 0;  // descriptor matches that passed the ratio test
  int inliers = 0;  // of those, the ones the homography explains
  // Inliers per query keypoint that the homography maps inside the candidate: how much of the
  // shared region agrees. A copy keeps a good share even when heavily edited; two photos of one
  // face or one building agree on a few features among hundreds (computed when there are inliers).
  float coverage = 0;
  cv::Matx33d homography = cv::Matx33d::eye();  // query -> candidate pixels (when is_copy)
  // The query's corners mapped into the candidate, clockwise from top-left, and their bounding box
  // clipped to the candidate: the matched region.
  std::array<cv::Point2f, 4> corners{};
  cv::Rect region;
};

class CopyVerifier {
 public:
  enum class Features { kOrb, kSift };

  struct Options {
    Features features = Features::kOrb;
    int max_side = 640;              // pictures are shrunk to this longer side before detection
    int max_features = 1500;         // strongest keypoints kept per picture
    float ratio = 0.75f;             // Lowe's ratio test: best match clearly better than the second
    int min_inliers = 12;            // fewer agreeing matches are not evidence of a copy
    double ransac_pixels = 4;        // RANSAC reprojection tolerance, in max_side-scaled pixels
    double coverage_midpoint = 0.1;  // the coverage at which a match is as likely a copy as not
  };

  CopyVerifier() : CopyVerifier(Options{}) {}
  explicit CopyVerifier(Options options) : options_(options) {}

  // `bgr` is an 8-bit 3-channel picture. A flat or tiny picture yields few or no features, and
  // Verify then says "not a copy" rather than guessing.
  Result<LocalFeatures> Describe(const cv::Mat& bgr) const;

  CopyMatch Verify(const LocalFeatures& query, const LocalFeatures& candidate) const;

  // What decides the features Describe gives ("orb 640 1500"): features stored for later
  // verification are only valid for a verifier of the same version.
  std::string Version() const;

 private:
  // Descriptor pairs that pass the ratio test: ORB's by HammingRatioMatches, others by OpenCV's
  // brute-force matcher.
  std::vector<DescriptorMatch> RatioMatches(const cv::Mat& query, const cv::Mat& candidate) const;

  Options options_;
};

}  // namespace alike::search

#endif  // ALIKE_SEARCH_COPY_VERIFIER_H_
