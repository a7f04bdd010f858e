// dlib's two deep networks in the face pipeline, behind plain OpenCV types: the face recognition
// ResNet (dlib_face_recognition_resnet_model_v1.dat: 150x150 aligned chip -> 128-d descriptor,
// 99.38% on LFW as published by dlib) and the MMOD CNN face detector
// (mmod_human_face_detector.dat). dlib's DNN templates take minutes to compile, so every
// instantiation of them lives in face_dnn.cc and nowhere else.
//
// Thread-safety: a network keeps its activations between calls, so one instance must not be used
// by two threads at once. Clone() gives another thread its own copy of the weights.
#ifndef ALIKE_EMBED_FACE_DNN_H_
#define ALIKE_EMBED_FACE_DNN_H_

#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "alike/status.h"
#include "embed/face_detector.h"

namespace alike::embed {

class FaceNet {
 public:
  static constexpr int kChipSize = 150;  // the side of the chips the network was trained on
  static constexpr int kDimension = 128;

  struct Net;  // the dlib network, defined in face_dnn.cc

  static Result<std::unique_ptr<FaceNet>> Load(const std::string& path);
  explicit FaceNet(std::unique_ptr<Net> net);  // use Load
  ~FaceNet();
  std::unique_ptr<FaceNet> Clone() const;

  // One 128-d descriptor (not normalised) per chip, in order. Each chip: kChipSize square,
  // CV_8UC3, BGR.
  Result<std::vector<std::vector<float>>> Describe(const std::vector<cv::Mat>& chips);

 private:
  std::unique_ptr<Net> net_;
};

class MmodNet {
 public:
  static constexpr int kWindow = 80;  // the smallest face it was trained to find, in pixels

  struct Net;  // the dlib network, defined in face_dnn.cc

  static Result<std::unique_ptr<MmodNet>> Load(const std::string& path);
  explicit MmodNet(std::unique_ptr<Net> net);  // use Load
  ~MmodNet();

  // Faces in `bgr` (8-bit, 3 channels) at its own resolution and smaller (the network scans an
  // image pyramid), in its pixels; score: MMOD's detection confidence (> 0).
  Result<std::vector<FaceBox>> Detect(const cv::Mat& bgr);

 private:
  std::unique_ptr<Net> net_;
};

}  // namespace alike::embed

#endif  // ALIKE_EMBED_FACE_DNN_H_
