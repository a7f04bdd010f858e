// The face vectors `alike eval` measures: one face per labelled picture, embedded on worker
// threads, optionally kept in a cache file so that a slow face model embeds each picture once
// across runs.
//
// The cache is JSON lines, {"version": V, "path": P, "vector": [..] or null, "fallback": B},
// appended after each run; lines of another embedder version are ignored, so a changed model
// re-embeds. Keep it outside the repository (e.g. /tmp).
//
// Thread-safety: EmbedPictures runs on the calling thread and uses its own workers.
#ifndef ALIKE_CLI_FACE_VECTORS_H_
#define ALIKE_CLI_FACE_VECTORS_H_

#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "alike/status.h"
#include "embed/face_embedder.h"

namespace alike::cli {

// Which detected face a labelled picture is about.
enum class Pick {
  kCentre,   // LFW: the crops are centred on the labelled person
  kLargest,  // full-size photos: the person the photo is of
};

// One picture's face, as the evaluation uses it.
struct ImageFace {
  std::optional<std::vector<float>> vector;
  std::optional<cv::Rect2f> box;  // relative to the picture's size
  size_t faces = 0;               // detected
  bool fallback = false;          // embedded from the typical box: no face was detected
  bool cached = false;            // read from the cache file
  Status error;
};

struct EmbedPicturesOptions {
  Pick pick = Pick::kCentre;
  // Pictures without a detected face are embedded from the median detected box (relative to the
  // picture), as a fixed-crop pipeline would: for sets whose crops all frame the face alike.
  bool median_box_fallback = false;
  int jobs = 1;
  std::string cache;  // cache file; empty: none
};

// One ImageFace per path, in order, with the stage times of what was embedded added to `times`.
// Errors are the cache file's; a picture's own error is in its ImageFace.
Result<std::vector<ImageFace>> EmbedPictures(const embed::FaceEmbedder& embedder,
                                             const std::vector<std::string>& paths,
                                             const EmbedPicturesOptions& options,
                                             embed::FaceTimes& times);

// Squared Euclidean distance between two face vectors.
double SquaredL2(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace alike::cli

#endif  // ALIKE_CLI_FACE_VECTORS_H_
