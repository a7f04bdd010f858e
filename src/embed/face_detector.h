// Face detectors for the face embedder: where the faces of a picture are, as boxes the dlib
// 5-point landmark model can start from.
//
//   yunet  YuNet (libfacedetection, 2022mar, fixed 320x320 input) through OpenCV's DNN module with
//          alike's own decoding of its loc/conf/iou outputs. The default: ~10 ms per 320x320
//          pass, every face found in the LFW and deepface photos, and the best LFW accuracy
//          downstream (README, "Face search"). Faces of every size are found over a pyramid: the
//          whole picture in one pass (shrunk to fit, never enlarged), then twice the resolution
//          at each level, cut into 320x320 tiles overlapping by 96 px, down to the level where
//          `min_face` pixels of the original become 16 px, YuNet's smallest reliable face.
//          Its boxes are mapped onto dlib's HOG box convention, the one the landmark model was
//          trained on, by a fixed map measured on LFW.
//   hog    dlib's HOG + linear SVM frontal detector: no weights, ~0.3-0.4 s per photo.
//   mmod   dlib's CNN (max-margin object detection) detector, mmod_human_face_detector.dat: more
//          tolerant of pose than HOG, and much slower on a CPU.
//
// Scores differ by detector: YuNet's is a probability (0..1), HOG's an SVM margin (>= 0 kept),
// MMOD's a detection confidence (>= 0 kept). Each detector keeps its own default threshold.
//
// Thread-safety: a FaceDetector holds per-call scratch state (an OpenCV Net, a dlib detector):
// one instance must not be used by two threads at once; use one per thread.
#ifndef ALIKE_EMBED_FACE_DETECTOR_H_
#define ALIKE_EMBED_FACE_DETECTOR_H_

#include <limits>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

namespace alike::embed {

enum class FaceDetectorKind { kYunet, kHog, kMmod };

std::string_view FaceDetectorName(FaceDetectorKind kind);
Result<FaceDetectorKind> ParseFaceDetector(std::string_view name);  // "yunet", "hog", "mmod"

struct FaceDetectorOptions {
  FaceDetectorKind kind = FaceDetectorKind::kYunet;
  // Faces smaller than this (box side, in pixels of the picture given) are neither searched for
  // nor returned: below it the 150x150 chips carry too little detail to identify anyone.
  int min_face = 32;
  // A picture is never examined at more than this many pixels on its longer side (a 12 MP photo
  // is shrunk first), which bounds the time per picture; faces smaller than about
  // min_face * (longer side / max_side) are then missed.
  int max_side = 1600;
  // Detections below this score are dropped; NaN: the detector's own default (yunet 0.6: every
  // LFW face scores above 0.7, while 4.5% of 4,317 flower photos of 128 px, some showing people,
  // have a box above 0.6; hog 0; mmod 0).
  float min_score = std::numeric_limits<float>::quiet_NaN();
};

struct FaceBox {
  cv::Rect2f box;  // in the picture's pixels, dlib's convention; may extend past the border
  float score = 0;
  // YuNet's five landmarks in the picture's pixels, in its order: the eye centres, the nose tip,
  // the mouth corners (the subject's right first, which is on the picture's left in a frontal
  // face); empty from hog and mmod.
  std::vector<cv::Point2f> landmarks;
};

class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  // `bgr`: 8-bit, 3 channels. Faces best first, overlapping detections merged.
  virtual Result<std::vector<FaceBox>> Detect(const cv::Mat& bgr) = 0;
};

// The files a detector kind needs in a models directory (empty for hog).
std::vector<std::string> FaceDetectorFiles(FaceDetectorKind kind);

// Loads the detector `options.kind` from `models_dir`.
Result<std::unique_ptr<FaceDetector>> OpenFaceDetector(const FaceDetectorOptions& options,
                                                       const std::string& models_dir);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_FACE_DETECTOR_H_
