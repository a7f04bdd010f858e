#include "embed/face_detector.h"

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "embed/dlib_boxes.h"
#include "embed/face_dnn.h"

namespace alike::embed {
namespace {

constexpr char kYunetFile[] = "yunet_2022mar_320x320.onnx";
constexpr char kMmodFile[] = "mmod_human_face_detector.dat";
constexpr int kYunetSide = 320;  // the model's fixed input
// Tiles overlap by this much, so a face up to this size is whole in some tile; larger faces are
// at least half as large one level up, where YuNet still finds them.
constexpr int kTileOverlap = 96;
// YuNet's smallest anchors are 10 px; below about 16 px its recall falls off.
constexpr double kYunetSmallestFace = 16;
// Detections overlapping more than this (intersection over union) are one face.
constexpr float kNmsIou = 0.3f;

float DefaultMinScore(FaceDetectorKind kind) { return kind == FaceDetectorKind::kYunet ? 0.6f : 0; }

float MinScore(const FaceDetectorOptions& o) {
  return std::isnan(o.min_score) ? DefaultMinScore(o.kind) : o.min_score;
}

// cv::resize by `scale`, area-averaging when shrinking (no aliasing), bilinear when enlarging.
cv::Mat Rescale(const cv::Mat& bgr, double scale) {
  if (scale == 1) return bgr;
  const cv::Size size(std::max(1, int(std::lround(bgr.cols * scale))),
                      std::max(1, int(std::lround(bgr.rows * scale))));
  cv::Mat out;
  cv::resize(bgr, out, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return out;
}

// Merges overlapping boxes (keeping the best) and drops those below `min_score` or `min_face`;
// best first.
std::vector<FaceBox> Suppress(const std::vector<FaceBox>& faces, float min_score, int min_face) {
  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  for (const FaceBox& f : faces) {
    boxes.emplace_back(f.box);
    scores.push_back(f.score);
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(boxes, scores, min_score, kNmsIou, keep);
  std::vector<FaceBox> out;
  for (int i : keep) {
    if (std::max(faces[i].box.width, faces[i].box.height) >= min_face) out.push_back(faces[i]);
  }
  std::sort(out.begin(), out.end(),
            [](const FaceBox& a, const FaceBox& b) { return a.score > b.score; });
  return out;
}

// YuNet's anchors: for each output stride, each cell, each anchor size; the order of the
// network's outputs.
struct Prior {
  float cx, cy, size;
};

std::vector<Prior> YunetPriors() {
  static constexpr int kSteps[] = {8, 16, 32, 64};
  static const std::vector<std::vector<float>> kSizes = {
      {10, 16, 24}, {32, 48}, {64, 96}, {128, 192, 256}};
  std::vector<Prior> priors;
  for (size_t level = 0; level < 4; ++level) {
    const int step = kSteps[level], cells = kYunetSide / step;
    for (int y = 0; y < cells; ++y) {
      for (int x = 0; x < cells; ++x) {
        for (float size : kSizes[level]) {
          priors.push_back({(x + 0.5f) * step, (y + 0.5f) * step, size});
        }
      }
    }
  }
  return priors;
}

// Maps a YuNet box onto the box dlib's HOG detector gives the same face, the convention the
// landmark model was trained on (it is less precise from others): square, 7% smaller, its centre
// 5% of the side to the right and 8% lower. Medians over the 298 faces both detectors found in
// 300 LFW photos, in units of the side of the YuNet box's area-equivalent square.
cv::Rect2f ToDlibBox(const cv::Rect2f& yunet) {
  constexpr float kShiftX = 0.05f, kShiftY = 0.08f, kSide = 0.93f;
  const float s = std::sqrt(yunet.width * yunet.height);
  const float cx = yunet.x + yunet.width / 2 + kShiftX * s;
  const float cy = yunet.y + yunet.height / 2 + kShiftY * s;
  return {cx - kSide * s / 2, cy - kSide * s / 2, kSide * s, kSide * s};
}

class YunetDetector : public FaceDetector {
 public:
  YunetDetector(cv::dnn::Net net, const FaceDetectorOptions& options)
      : net_(std::move(net)), options_(options), priors_(YunetPriors()) {}

  Result<std::vector<FaceBox>> Detect(const cv::Mat& bgr) override {
    if (bgr.empty() || bgr.type() != CV_8UC3) {
      return Status::InvalidArgument("face detector: expected a non-empty 8-bit BGR image");
    }
    const double longer = std::max(bgr.cols, bgr.rows);
    // Coarsest level: the whole picture in one pass, never enlarged: enlarged blurry pixels
    // made YuNet see faces in 1 of 5 flower photos of 128 px. Finest: min_face becomes YuNet's
    // smallest face, unless that exceeds max_side.
    const double coarsest = std::min(1.0, kYunetSide / longer);
    const double finest =
        std::min(kYunetSmallestFace / options_.min_face, options_.max_side / longer);
    std::vector<FaceBox> found;
    try {
      for (double scale = coarsest;; scale = std::min(2 * scale, finest)) {
        if (Status s = DetectAtScale(bgr, scale, found); !s.ok()) return s;
        if (scale >= finest) break;
      }
    } catch (const cv::Exception& e) {
      return Status::Internal(std::string("face detector: YuNet failed: ") + e.what());
    }
    std::vector<FaceBox> faces = Suppress(found, MinScore(options_), options_.min_face);
    for (FaceBox& f : faces) f.box = ToDlibBox(f.box);
    return faces;
  }

 private:
  // Runs YuNet over `bgr` shrunk by `scale`, in overlapping 320x320 tiles (one, padded, when it
  // fits), adding what it finds to `found` in the picture's coordinates. `found` holds the
  // coarser levels' faces.
  Status DetectAtScale(const cv::Mat& bgr, double scale, std::vector<FaceBox>& found) {
    const cv::Mat img = Rescale(bgr, scale);
    const std::vector<int> xs = TileOrigins(img.cols), ys = TileOrigins(img.rows);
    const bool finer = xs.size() > 1 || ys.size() > 1;  // the coarsest level is one tile
    const size_t coarser = found.size();
    for (int y0 : ys) {
      for (int x0 : xs) {
        const cv::Rect tile =
            cv::Rect(x0, y0, kYunetSide, kYunetSide) & cv::Rect(0, 0, img.cols, img.rows);
        cv::Mat input;
        cv::copyMakeBorder(img(tile), input, 0, kYunetSide - tile.height, 0,
                           kYunetSide - tile.width, cv::BORDER_CONSTANT, cv::Scalar::all(0));
        // A box touching a tile edge inside the picture is a cut face: it is whole in the
        // neighbouring tile or, when larger than the overlap, one level up.
        const bool open_left = x0 > 0, open_top = y0 > 0;
        const bool open_right = tile.br().x < img.cols, open_bottom = tile.br().y < img.rows;
        for (const FaceBox& f : RunTile(input)) {
          const cv::Rect2f& b = f.box;
          if ((open_left && b.x <= 1) || (open_top && b.y <= 1) ||
              (open_right && b.br().x >= tile.width - 1) ||
              (open_bottom && b.br().y >= tile.height - 1)) {
            continue;
          }
          // A tile cut through a large face shows YuNet part of it (a nose and mouth) as a
          // face of its own: at the finer levels, faces larger than the overlap, or lying
          // mostly inside a face a coarser level found, are left to the coarser level.
          if (finer && std::max(b.width, b.height) > kTileOverlap) continue;
          const cv::Rect2f box((b.x + x0) / scale, (b.y + y0) / scale, b.width / scale,
                               b.height / scale);
          const bool inside = std::any_of(
              found.begin(), found.begin() + coarser,
              [&](const FaceBox& c) { return (c.box & box).area() > 0.5f * box.area(); });
          if (inside) continue;
          FaceBox face{box, f.score, {}};
          for (const cv::Point2f& p : f.landmarks) {
            face.landmarks.emplace_back((p.x + x0) / scale, (p.y + y0) / scale);
          }
          found.push_back(std::move(face));
        }
      }
    }
    return Status::OK();
  }

  // Where tiles start along a side of `length` pixels: evenly spread, the last one ending at
  // the far edge, neighbours overlapping by at least kTileOverlap.
  static std::vector<int> TileOrigins(int length) {
    if (length <= kYunetSide) return {0};
    const int span = length - kYunetSide;
    const int n = (span + kYunetSide - kTileOverlap - 1) / (kYunetSide - kTileOverlap) + 1;
    std::vector<int> origins;
    for (int i = 0; i < n; ++i) origins.push_back(int(std::lround(double(span) * i / (n - 1))));
    return origins;
  }

  // One 320x320 pass: decodes every anchor scoring at least the threshold into a box and its
  // five landmarks in the tile's pixels. Score: sqrt(face probability x predicted IoU), as
  // libfacedetection does.
  std::vector<FaceBox> RunTile(const cv::Mat& input) {
    net_.setInput(cv::dnn::blobFromImage(input));
    static const std::vector<std::string> kOutputs = {"loc", "conf", "iou"};
    std::vector<cv::Mat> out;
    net_.forward(out, kOutputs);
    const float* loc = out[0].ptr<float>();
    const float* conf = out[1].ptr<float>();
    const float* iou = out[2].ptr<float>();
    const float min_score = MinScore(options_);
    std::vector<FaceBox> faces;
    for (size_t i = 0; i < priors_.size(); ++i) {
      // conf holds two logits (background, face) that the model leaves unnormalised.
      const float face = 1 / (1 + std::exp(conf[2 * i] - conf[2 * i + 1]));
      const float score = std::sqrt(face * std::clamp(iou[i], 0.0f, 1.0f));
      if (score < min_score) continue;
      const Prior& p = priors_[i];
      const float* l = loc + 14 * i;
      const float cx = p.cx + l[0] * 0.1f * p.size, cy = p.cy + l[1] * 0.1f * p.size;
      const float w = p.size * std::exp(l[2] * 0.2f), h = p.size * std::exp(l[3] * 0.2f);
      FaceBox box{cv::Rect2f(cx - w / 2, cy - h / 2, w, h), score, {}};
      for (int k = 0; k < 5; ++k) {
        box.landmarks.emplace_back(p.cx + l[4 + 2 * k] * 0.1f * p.size,
                                   p.cy + l[5 + 2 * k] * 0.1f * p.size);
      }
      faces.push_back(std::move(box));
    }
    return faces;
  }

  cv::dnn::Net net_;
  const FaceDetectorOptions options_;
  const std::vector<Prior> priors_;
};

// dlib's sliding-window detectors (HOG, MMOD) search from the given resolution downwards (image
// pyramids), so the picture is first scaled so that min_face pixels fill their window, within
// max_side.
class DlibDetector : public FaceDetector {
 public:
  // Finds faces in an 8-bit BGR image, in its pixels.
  using Run = std::function<Result<std::vector<FaceBox>>(const cv::Mat& bgr)>;

  DlibDetector(Run run, int window, const FaceDetectorOptions& options)
      : run_(std::move(run)), window_(window), options_(options) {}

  Result<std::vector<FaceBox>> Detect(const cv::Mat& bgr) override {
    if (bgr.empty() || bgr.type() != CV_8UC3) {
      return Status::InvalidArgument("face detector: expected a non-empty 8-bit BGR image");
    }
    const double scale = std::min(double(window_) / options_.min_face,
                                  double(options_.max_side) / std::max(bgr.cols, bgr.rows));
    auto found = run_(Rescale(bgr, scale));
    if (!found.ok()) return found.status();
    for (FaceBox& f : *found) {
      f.box =
          cv::Rect2f(f.box.x / scale, f.box.y / scale, f.box.width / scale, f.box.height / scale);
    }
    return Suppress(*found, MinScore(options_), options_.min_face);
  }

 private:
  const Run run_;
  const int window_;
  const FaceDetectorOptions options_;
};

std::unique_ptr<FaceDetector> NewHogDetector(const FaceDetectorOptions& options) {
  constexpr int kWindow = 80;  // the frontal detector's window side
  auto hog = std::make_shared<dlib::frontal_face_detector>(dlib::get_frontal_face_detector());
  const double threshold = MinScore(options);
  auto run = [hog, threshold](const cv::Mat& bgr) -> Result<std::vector<FaceBox>> {
    try {
      std::vector<dlib::rect_detection> dets;
      (*hog)(dlib::cv_image<dlib::bgr_pixel>(bgr), dets, threshold);
      return ToFaceBoxes(dets);
    } catch (const std::exception& e) {
      return Status::Internal(std::string("face detector: dlib HOG failed: ") + e.what());
    }
  };
  return std::make_unique<DlibDetector>(std::move(run), kWindow, options);
}

}  // namespace

std::string_view FaceDetectorName(FaceDetectorKind kind) {
  switch (kind) {
    case FaceDetectorKind::kYunet:
      return "yunet";
    case FaceDetectorKind::kHog:
      return "hog";
    case FaceDetectorKind::kMmod:
      return "mmod";
  }
  return "?";
}

Result<FaceDetectorKind> ParseFaceDetector(std::string_view name) {
  for (FaceDetectorKind k :
       {FaceDetectorKind::kYunet, FaceDetectorKind::kHog, FaceDetectorKind::kMmod}) {
    if (name == FaceDetectorName(k)) return k;
  }
  return Status::InvalidArgument("unknown face detector '" + std::string(name) +
                                 "' (known: yunet, hog, mmod)");
}

std::vector<std::string> FaceDetectorFiles(FaceDetectorKind kind) {
  switch (kind) {
    case FaceDetectorKind::kYunet:
      return {kYunetFile};
    case FaceDetectorKind::kHog:
      return {};
    case FaceDetectorKind::kMmod:
      return {kMmodFile};
  }
  return {};
}

Result<std::unique_ptr<FaceDetector>> OpenFaceDetector(const FaceDetectorOptions& options,
                                                       const std::string& models_dir) {
  if (options.min_face < 1 || options.max_side < 1) {
    return Status::InvalidArgument("face detector: min_face and max_side must be positive");
  }
  switch (options.kind) {
    case FaceDetectorKind::kYunet: {
      const std::string path = models_dir + "/" + kYunetFile;
      if (!std::filesystem::is_regular_file(path)) {
        return Status::NotFound(path + ": no such model file (run scripts/setup.sh)");
      }
      cv::dnn::Net net;
      try {
        net = cv::dnn::readNetFromONNX(path);
      } catch (const cv::Exception& e) {
        return Status::Corruption(path + ": OpenCV cannot read the model: " + e.what());
      }
      if (net.empty()) return Status::Corruption(path + ": empty network");
      return std::unique_ptr<FaceDetector>(
          std::make_unique<YunetDetector>(std::move(net), options));
    }
    case FaceDetectorKind::kHog:
      return NewHogDetector(options);
    case FaceDetectorKind::kMmod: {
      auto mmod = MmodNet::Load(models_dir + "/" + kMmodFile);
      if (!mmod.ok()) return mmod.status();
      std::shared_ptr<MmodNet> net = std::move(*mmod);
      auto run = [net](const cv::Mat& bgr) { return net->Detect(bgr); };
      return std::unique_ptr<FaceDetector>(
          std::make_unique<DlibDetector>(std::move(run), MmodNet::kWindow, options));
    }
  }
  return Status::InvalidArgument("unknown face detector");
}

}  // namespace alike::embed
