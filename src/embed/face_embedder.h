// FaceEmbedder ("face"): one vector per face in a picture, from a face model (face_model_spec.h):
// dlib's face recognition ResNet by default (128-d), or an ArcFace-style ONNX network. Vectors are
// L2-normalised and compared by squared Euclidean distance (metric l2).
//
// With an ONNX model, each face is warped by the similarity transform that takes YuNet's five
// landmarks nearest to the model's template, into a chip of the model's input size, which the
// network (run by CnnEmbedder: flip averaging when the spec asks) turns into the vector; the
// yunet detector is then required, and the dlib shape predictor is not used. A box given without
// landmarks (EmbedBox) is aligned by placing the template in the box.
//
// With dlib's model (the rest of this comment):
// Pipeline, per picture: detect faces (face_detector.h; YuNet by default) -> five landmarks per
// face with dlib's shape predictor (shape_predictor_5_face_landmarks.dat) started from the
// detector's box -> a 150x150 chip rotated upright, centred and scaled by those landmarks
// (dlib's get_face_chip_details/extract_image_chip, padding 0.25, as the network was trained)
// -> the ResNet's 128-d descriptor, optionally averaged with those of the mirrored chip and of
// randomly jittered copies, then L2-normalised. Same person: squared distance below ~0.17 (the
// threshold LFW cross-validation picks; dlib's rule of 0.6 applies to the raw vectors, which verify
// LFW slightly worse).
//
// Each Embedding carries the face box (region, clipped to the picture), the detection score and
// the five landmarks. Faces smaller than the detector's min_face are skipped; in a crowd only
// the max_faces highest-scoring faces are embedded. A picture without a face gives no vectors.
//
// The version names the content (CRC and size) of the model files, the detector and its
// settings, the chip geometry and the flip and jitter settings: anything that moves a vector
// changes it. An ONNX model's version starts "face-" and its spec's name.
//
// Thread-safety: Embed() may be called concurrently. The shape predictor is shared (dlib
// documents it as safe for concurrent use); detectors and networks are not thread-safe, so each
// call borrows a worker (a detector and a copy of the network) from a pool guarded by a mutex,
// making a new one when all are busy, and returns it afterwards. The mutex is never held while
// a picture is processed.
#ifndef ALIKE_EMBED_FACE_EMBEDDER_H_
#define ALIKE_EMBED_FACE_EMBEDDER_H_

#include <memory>
#include <string>
#include <vector>

#include "embed/embedder.h"
#include "embed/face_detector.h"
#include "embed/face_model_spec.h"
#include "util/object_pool.h"

namespace alike::embed {

class CnnEmbedder;
class FaceNet;

struct FaceEmbedderOptions {
  FaceDetectorOptions detector;
  // Average each face's descriptor with its mirror image's: LFW accuracy 99.17% instead of
  // 98.67%, and a mirrored photo embeds almost exactly alike, for twice the network time.
  bool flip_average = true;
  // Also average this many jittered copies of each chip (dlib's jitter_image: shifted up to 2%,
  // zoomed up to 3%, turned up to 3 degrees, mirrored half the time), as dlib does to reach its
  // published LFW accuracy (with 100). Each copy costs one more network pass. The copies are
  // drawn from a generator seeded by the chip's pixels, so a face always gives the same vector.
  int jitter = 0;
  // In a crowd, only this many faces (highest detection scores) are embedded.
  size_t max_faces = 100;
  // The network; flip_average and jitter above apply to dlib's only (an ONNX spec says its own
  // flip averaging; jitter must be 0).
  FaceModelSpec model = DlibFaceModelSpec();
};

// Time spent in each stage, added up over calls (milliseconds).
struct FaceTimes {
  double detect_ms = 0;
  double landmarks_ms = 0;
  double align_ms = 0;
  double embed_ms = 0;
  size_t faces = 0;
};

class FaceEmbedder : public Embedder {
 public:
  static constexpr char kRecognitionFile[] = "dlib_face_recognition_resnet_model_v1.dat";
  static constexpr char kLandmarksFile[] = "shape_predictor_5_face_landmarks.dat";

  static Result<std::unique_ptr<FaceEmbedder>> Open(const std::string& models_dir,
                                                    const FaceEmbedderOptions& options = {});
  // Errors name the file: a missing or truncated model, a network whose input or output does not
  // match its spec.
  // Whether `models_dir` holds every file Open needs with these options.
  static bool Installed(const std::string& models_dir, const FaceEmbedderOptions& options = {});

  ~FaceEmbedder() override;
  FaceEmbedder(const FaceEmbedder&) = delete;
  FaceEmbedder& operator=(const FaceEmbedder&) = delete;

  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  uint32_t dimension() const override { return options_.model.dimension; }
  Metric metric() const override { return Metric::kL2; }
  // Full resolution: the chips are cut from the original pixels, and small faces need them all.
  int preferred_short_side() const override { return 0; }

  Result<std::vector<Embedding>> Embed(const cv::Mat& bgr) const override;
  // The same, adding the time of each stage to `times` (may be null).
  Result<std::vector<Embedding>> Embed(const cv::Mat& bgr, FaceTimes* times) const;
  // Embeds the face in `box` (as a detector gives it) without detecting, e.g. in a crop known
  // to show one face that the detector missed.
  Result<Embedding> EmbedBox(const cv::Mat& bgr, const cv::Rect2f& box, FaceTimes* times) const;

  const FaceEmbedderOptions& options() const { return options_; }
  const FaceModelSpec& model() const { return options_.model; }

 private:
  struct Landmarks;  // the dlib shape predictor
  struct Worker;     // a detector and a network, for one thread at a time
  FaceEmbedder(std::string models_dir, const FaceEmbedderOptions& options);

  Result<std::unique_ptr<Worker>> Borrow() const;
  void Return(std::unique_ptr<Worker> worker) const;
  // Landmarks, chips and descriptors for `faces` in `bgr`.
  Result<std::vector<Embedding>> Describe(Worker& worker, const cv::Mat& bgr,
                                          const std::vector<FaceBox>& faces,
                                          FaceTimes* times) const;
  // The same with an ONNX model: template-aligned chips through network_.
  Result<std::vector<Embedding>> DescribeAligned(const cv::Mat& bgr,
                                                 const std::vector<FaceBox>& faces,
                                                 FaceTimes* times) const;

  const std::string name_ = "face";
  const std::string models_dir_;
  const FaceEmbedderOptions options_;
  std::string version_;
  std::unique_ptr<Landmarks> landmarks_;
  std::unique_ptr<FaceNet> prototype_;    // dlib's; only ever copied, never run
  std::unique_ptr<CnnEmbedder> network_;  // an ONNX model's
  mutable ObjectPool<Worker> idle_;
};

}  // namespace alike::embed

#endif  // ALIKE_EMBED_FACE_EMBEDDER_H_
