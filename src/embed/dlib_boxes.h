// dlib's detections (HOG's rect_detection, MMOD's mmod_rect) as alike FaceBoxes.
//
// Thread-safety: a pure function.
#ifndef ALIKE_EMBED_DLIB_BOXES_H_
#define ALIKE_EMBED_DLIB_BOXES_H_

#include <dlib/geometry/rectangle.h>

#include <vector>

#include "embed/face_detector.h"

namespace alike::embed {

template <typename Detection>
std::vector<FaceBox> ToFaceBoxes(const std::vector<Detection>& detections) {
  std::vector<FaceBox> boxes;
  for (const Detection& d : detections) {
    const dlib::rectangle& r = d.rect;
    boxes.push_back(
        {cv::Rect2f(r.left(), r.top(), r.width(), r.height()), float(d.detection_confidence)});
  }
  return boxes;
}

}  // namespace alike::embed

#endif  // ALIKE_EMBED_DLIB_BOXES_H_
