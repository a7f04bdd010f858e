// Views of a copy query for the second look copy search takes when the whole picture finds no
// copy (library/copies.h). The global descriptors see a query whole: a photo pasted at half size
// into another is a quarter of what cnn looks at, and a turned photo is seen through its tilt and
// black corners. Each view frames the query otherwise, so that one of them shows the copied
// picture much as it was indexed: half-size windows on a grid (a pasted photo lies mostly inside
// one), and the query turned back by a few tilts. Small pictures are enlarged before their local
// features are described, since ORB finds few keypoints in a thumbnail.
//
// Thread-safety: pure functions.
#ifndef ALIKE_LIBRARY_COPY_VIEWS_H_
#define ALIKE_LIBRARY_COPY_VIEWS_H_

#include <opencv2/core.hpp>
#include <vector>

namespace alike::library {

// Windows of half the query's width and height, their corners a quarter of a side apart (3 x 3),
// row by row from the top-left: a pasted picture of about half the size is mostly inside one.
std::vector<cv::Mat> HalfWindows(const cv::Mat& query);

// The query turned back by each of kTilts degrees about its centre, on a canvas grown to hold it.
inline constexpr double kTilts[] = {-15, 15};
std::vector<cv::Mat> Untilted(const cv::Mat& query);

// Queries whose longer side is under kSmallQuerySide are enlarged (cubic) to kEnlargedSide before
// their local features are described; others are returned as they are.
inline constexpr int kSmallQuerySide = 160;
inline constexpr int kEnlargedSide = 640;
cv::Mat EnlargeIfSmall(const cv::Mat& query);

// A window enlarged (cubic) to a longer side of `side` when it is shorter: a half window of a
// query decoded at a 512-pixel shorter side is 256 pixels high, where a pasted photo shows at
// half the scale of the candidates' features (described at 640).
cv::Mat EnlargeTo(const cv::Mat& window, int side);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_COPY_VIEWS_H_
