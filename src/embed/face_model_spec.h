// FaceModelSpec: which network turns an aligned face into a vector, and how its distances read,
// so that a face model other than dlib's needs no code change. dlib's ResNet is the built-in
// default (DlibFaceModelSpec); any ArcFace-style ONNX network (InsightFace's and the like: an
// aligned face crop in, one embedding out) is declared in a JSON file in the models directory:
//
//   {"kind": "face", "name": "faceplugin", "file": "fr_feature.onnx",
//    "input": {"width": 112, "height": 112, "color": "rgb", "mean": 127, "scale": 0.0078125},
//    "template": [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
//                 [41.5493, 92.3655], [70.7299, 92.2041]],
//    "output": "output", "dimension": 512, "metric": "cosine", "flip_average": false,
//    "same_person_distance": 0.9, "margin_scale": 10, "calibration": [[1e-2, 1.05], [1e-3, 0.93],
//    ...]}
//
// "kind": "face" tells it from a cnn spec (model_spec.h, whose fields "file", "input", "output",
// "dimension" and "flip_average" it shares and reads the same way). "template": where the five
// points YuNet finds (the eyes' centres, the nose tip, the mouth's corners: left and right as seen
// in the picture) go in the input, in its pixels; the face is warped there by a similarity
// transform. "metric": "cosine" (the default) or "l2"; either way alike L2-normalises the output
// and compares squared L2 distances (2 - 2 cosine), the scale every distance below is in.
// "same_person_distance": the pair-verification threshold (grouping faces into persons, the
// ceiling of the search threshold). "margin_scale": the factor a search's margin over the best
// hit (given in dlib's units) is multiplied by for this model (default 1). "expansion_scale": the
// same for a search's expansion strangers (default 1). "calibration": [FAR,
// distance] pairs, FAR falling (face_calibration.h), which the search threshold is read from;
// measured by `alike eval faces`. Errors name the spec file and the field.
//
// Thread-safety: plain values and pure functions.
#ifndef ALIKE_EMBED_FACE_MODEL_SPEC_H_
#define ALIKE_EMBED_FACE_MODEL_SPEC_H_

#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"
#include "embed/face_calibration.h"
#include "embed/model_spec.h"

namespace alike::embed {

struct FaceModelSpec {
  enum class Weights { kDlib, kOnnx };
  std::string name;  // "face" for dlib's
  Weights weights = Weights::kDlib;
  // kOnnx: the network, run by CnnEmbedder on the aligned face (its input size, resize "stretch",
  // pooling "none"); dlib's files are found by FaceEmbedder.
  ModelSpec network;
  std::vector<cv::Point2f> alignment_template;  // kOnnx: five points in input pixels
  uint32_t dimension = 128;
  bool cosine = false;  // how the spec declared its metric (distances are squared L2 either way)
  float same_person_distance = 0.17f;
  // How much farther than dlib's this model's distances spread: a face search's margin over the
  // best hit (FaceSearchOptions::margin, in dlib's units) is multiplied by it.
  float margin_scale = 1;
  // The factor a face search's expansion strangers (FaceSearchOptions::expansion_strangers, set
  // for dlib) is multiplied by for this model.
  float expansion_scale = 1;
  std::vector<FarPoint> calibration;  // FAR falling; empty: the threshold is same_person_distance

  bool is_dlib() const { return weights == Weights::kDlib; }
};

// dlib's ResNet (150x150 chips cut by dlib's 5 landmarks, 128-d, flip-averaged), its pair
// threshold 0.17 and DlibFaceCalibration().
FaceModelSpec DlibFaceModelSpec();

// Whether a spec file's JSON declares a face model ("kind": "face"); false for anything else,
// invalid JSON included.
bool IsFaceModelSpec(std::string_view json);

// Parses a face model spec; "file" is resolved against `base_dir`; `origin` names it in errors.
Result<FaceModelSpec> ParseFaceModelSpec(std::string_view json, const std::string& base_dir,
                                         const std::string& origin);
// Reads and parses a spec file.
Result<FaceModelSpec> LoadFaceModelSpec(const std::string& path);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_FACE_MODEL_SPEC_H_
