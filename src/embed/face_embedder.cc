#include "embed/face_embedder.h"

#include <dlib/image_processing.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <span>

#include "embed/cnn_embedder.h"
#include "embed/face_dnn.h"

namespace alike::embed {
namespace {

// dlib's face recognition network was trained on 150x150 chips with 25% padding around the
// landmarks' extent.
constexpr double kChipPadding = 0.25;

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// The network sees at most this many chips at once, bounding the memory a crowd of faces with
// many jittered copies each would take.
constexpr size_t kChipsPerPass = 64;

// The chips whose descriptors are averaged into one face's vector: the chip itself, its mirror
// image, and `jitter` copies from dlib::jitter_image.
std::vector<cv::Mat> ChipVariants(const cv::Mat& chip, bool flip, int jitter) {
  std::vector<cv::Mat> out = {chip};
  if (flip) {
    cv::Mat mirrored;
    cv::flip(chip, mirrored, 1);
    out.push_back(std::move(mirrored));
  }
  if (jitter > 0) {
    dlib::matrix<dlib::bgr_pixel> m;
    dlib::assign_image(m, dlib::cv_image<dlib::bgr_pixel>(chip));
    // Seeded by the chip's own pixels: the same face always gets the same copies, and no
    // generator state is shared between calls or threads.
    dlib::rand rnd(std::string(chip.ptr<char>(), chip.total() * chip.elemSize()));
    for (int i = 0; i < jitter; ++i) {
      dlib::matrix<dlib::bgr_pixel> copy = dlib::jitter_image(m, rnd);
      out.push_back(dlib::toMat(copy).clone());
    }
  }
  return out;
}

// The similarity transform (rotation, uniform scale, shift) that takes `from` nearest to `to` in
// least squares (Umeyama's closed form in the plane), as a 2x3 matrix for cv::warpAffine.
cv::Mat SimilarityTransform(std::span<const cv::Point2f> from, std::span<const cv::Point2f> to) {
  cv::Point2d mf(0, 0), mt(0, 0);
  for (size_t i = 0; i < from.size(); ++i) {
    mf += cv::Point2d(from[i]);
    mt += cv::Point2d(to[i]);
  }
  mf /= double(from.size());
  mt /= double(to.size());
  double dot = 0, cross = 0, norm = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    const cv::Point2d f = cv::Point2d(from[i]) - mf, t = cv::Point2d(to[i]) - mt;
    dot += f.x * t.x + f.y * t.y;
    cross += f.x * t.y - f.y * t.x;
    norm += f.x * f.x + f.y * f.y;
  }
  const double a = norm > 0 ? dot / norm : 1, b = norm > 0 ? cross / norm : 0;
  return (cv::Mat_<double>(2, 3) << a, -b, mt.x - (a * mf.x - b * mf.y), b, a,
          mt.y - (b * mf.x + a * mf.y));
}

// Where a face's five landmarks are taken to be when only its box is known: the template, as if
// the model's input square were the box.
std::vector<cv::Point2f> TemplateInBox(const FaceModelSpec& model, const cv::Rect2f& box) {
  std::vector<cv::Point2f> points;
  for (const cv::Point2f& p : model.alignment_template) {
    points.emplace_back(box.x + p.x * box.width / float(model.network.input.width),
                        box.y + p.y * box.height / float(model.network.input.height));
  }
  return points;
}

}  // namespace

struct FaceEmbedder::Landmarks {
  dlib::shape_predictor predictor;
};

struct FaceEmbedder::Worker {
  std::unique_ptr<FaceDetector> detector;
  std::unique_ptr<FaceNet> net;
};

FaceEmbedder::FaceEmbedder(std::string models_dir, const FaceEmbedderOptions& options)
    : models_dir_(std::move(models_dir)), options_(options) {}
FaceEmbedder::~FaceEmbedder() = default;

bool FaceEmbedder::Installed(const std::string& models_dir, const FaceEmbedderOptions& options) {
  std::vector<std::string> files;
  for (const std::string& f : FaceDetectorFiles(options.detector.kind)) {
    files.push_back(models_dir + "/" + f);
  }
  if (options.model.is_dlib()) {
    files.push_back(models_dir + "/" + kRecognitionFile);
    files.push_back(models_dir + "/" + kLandmarksFile);
  } else {
    files.push_back(options.model.network.file);
  }
  for (const std::string& f : files) {
    if (!std::filesystem::is_regular_file(f)) return false;
  }
  return true;
}

Result<std::unique_ptr<FaceEmbedder>> FaceEmbedder::Open(const std::string& models_dir,
                                                         const FaceEmbedderOptions& options) {
  if (options.max_faces == 0) return Status::InvalidArgument("face embedder: max_faces is 0");
  if (options.jitter < 0) return Status::InvalidArgument("face embedder: jitter is negative");
  const FaceModelSpec& model = options.model;
  if (!model.is_dlib()) {
    if (options.jitter != 0) {
      return Status::InvalidArgument("face model " + model.name + ": jitter is for dlib's only");
    }
    if (options.detector.kind != FaceDetectorKind::kYunet) {
      return Status::InvalidArgument("face model " + model.name +
                                     " aligns faces by YuNet's landmarks: use the yunet detector");
    }
  }
  auto e = std::unique_ptr<FaceEmbedder>(new FaceEmbedder(models_dir, options));
  // The version: every model file's content key, the detector and its settings, the chips.
  std::string version = model.is_dlib() ? "face" : "face-" + model.name;
  std::vector<std::string> files;
  if (model.is_dlib()) {
    files = {models_dir + "/" + kRecognitionFile, models_dir + "/" + kLandmarksFile};
  } else {
    files = {model.network.file};
  }
  for (const std::string& f : FaceDetectorFiles(options.detector.kind)) {
    files.push_back(models_dir + "/" + f);
  }
  for (const std::string& f : files) {
    auto key = ModelFileKey(f);
    if (!key.ok()) return key.status();
    version += "-" + *key;
  }
  const FaceDetectorOptions& d = options.detector;
  version += "-" + std::string(FaceDetectorName(d.kind)) + "-min" + std::to_string(d.min_face) +
             "-side" + std::to_string(d.max_side) +
             (std::isnan(d.min_score) ? "" : "-score" + Number(d.min_score));
  if (model.is_dlib()) {
    version += "-chip" + std::to_string(FaceNet::kChipSize) + "p" + Number(kChipPadding) +
               (options.flip_average ? "-flip" : "-noflip") +
               (options.jitter > 0 ? "-jitter" + std::to_string(options.jitter) : "") + "/1";
  } else {
    auto network = CnnEmbedder::Open(model.network);
    if (!network.ok()) return network.status();
    e->network_ = std::move(*network);
    version += "-tpl";
    for (const cv::Point2f& p : model.alignment_template) {
      version += "_" + Number(p.x) + "," + Number(p.y);
    }
    version += "-" + e->network_->version();
  }
  e->version_ = std::move(version);

  if (model.is_dlib()) {
    const std::string sp_path = models_dir + "/" + kLandmarksFile;
    e->landmarks_ = std::make_unique<Landmarks>();
    try {
      dlib::deserialize(sp_path) >> e->landmarks_->predictor;
    } catch (const std::exception& ex) {
      return Status::Corruption(sp_path + ": dlib cannot read the model: " + ex.what());
    }
    auto net = FaceNet::Load(models_dir + "/" + kRecognitionFile);
    if (!net.ok()) return net.status();
    e->prototype_ = std::move(*net);
  }
  auto worker = e->Borrow();  // loads the detector: its errors show here, not at first use
  if (!worker.ok()) return worker.status();
  e->Return(std::move(*worker));
  return e;
}

Result<std::unique_ptr<FaceEmbedder::Worker>> FaceEmbedder::Borrow() const {
  if (std::unique_ptr<Worker> w = idle_.TakeIdle()) return w;
  // All workers busy: make another.
  auto detector = OpenFaceDetector(options_.detector, models_dir_);
  if (!detector.ok()) return detector.status();
  auto w = std::make_unique<Worker>();
  w->detector = std::move(*detector);
  if (prototype_) w->net = prototype_->Clone();
  return w;
}

void FaceEmbedder::Return(std::unique_ptr<Worker> worker) const { idle_.Put(std::move(worker)); }

Result<std::vector<Embedding>> FaceEmbedder::Embed(const cv::Mat& bgr) const {
  return Embed(bgr, nullptr);
}

Result<std::vector<Embedding>> FaceEmbedder::Embed(const cv::Mat& bgr, FaceTimes* times) const {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("face embedder: expected a non-empty 8-bit BGR image");
  }
  auto worker = Borrow();
  if (!worker.ok()) return worker.status();
  const auto start = std::chrono::steady_clock::now();
  auto faces = (*worker)->detector->Detect(bgr);
  if (times != nullptr) times->detect_ms += MsSince(start);
  Result<std::vector<Embedding>> out = faces.status();
  if (faces.ok()) {
    if (faces->size() > options_.max_faces) faces->resize(options_.max_faces);  // best first
    out = network_ ? DescribeAligned(bgr, *faces, times) : Describe(**worker, bgr, *faces, times);
  }
  Return(std::move(*worker));
  return out;
}

Result<Embedding> FaceEmbedder::EmbedBox(const cv::Mat& bgr, const cv::Rect2f& box,
                                         FaceTimes* times) const {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("face embedder: expected a non-empty 8-bit BGR image");
  }
  if (network_) {
    auto out = DescribeAligned(bgr, {FaceBox{box, 0, TemplateInBox(model(), box)}}, times);
    if (!out.ok()) return out.status();
    return std::move(out->front());
  }
  auto worker = Borrow();
  if (!worker.ok()) return worker.status();
  auto out = Describe(**worker, bgr, {FaceBox{box, 0, {}}}, times);
  Return(std::move(*worker));
  if (!out.ok()) return out.status();
  return std::move(out->front());
}

Result<std::vector<Embedding>> FaceEmbedder::Describe(Worker& worker, const cv::Mat& bgr,
                                                      const std::vector<FaceBox>& faces,
                                                      FaceTimes* times) const {
  std::vector<Embedding> out;
  if (faces.empty()) return out;
  std::vector<cv::Mat> chips;
  try {
    const dlib::cv_image<dlib::bgr_pixel> img(bgr);
    const cv::Rect frame(0, 0, bgr.cols, bgr.rows);
    for (const FaceBox& f : faces) {
      auto start = std::chrono::steady_clock::now();
      const dlib::rectangle rect(std::lround(f.box.x), std::lround(f.box.y),
                                 std::lround(f.box.br().x) - 1, std::lround(f.box.br().y) - 1);
      const dlib::full_object_detection shape = landmarks_->predictor(img, rect);
      if (times != nullptr) times->landmarks_ms += MsSince(start);

      start = std::chrono::steady_clock::now();
      dlib::matrix<dlib::bgr_pixel> chip;
      dlib::extract_image_chip(
          img, dlib::get_face_chip_details(shape, FaceNet::kChipSize, kChipPadding), chip);
      chips.push_back(dlib::toMat(chip).clone());
      if (times != nullptr) times->align_ms += MsSince(start);

      Embedding e;
      e.region = cv::Rect(f.box) & frame;
      e.score = f.score;
      for (unsigned long i = 0; i < shape.num_parts(); ++i) {
        e.landmarks.emplace_back(float(shape.part(i).x()), float(shape.part(i).y()));
      }
      out.push_back(std::move(e));
    }
  } catch (const std::exception& ex) {
    return Status::Internal(std::string("face embedder: dlib failed: ") + ex.what());
  }

  // Each face's vector is the sum of its variants' descriptors, normalised. With a chip and its
  // mirror only, a + b == b + a exactly, so a mirrored picture gives the same vector.
  std::vector<std::vector<float>> sums(out.size());
  for (size_t next = 0; next < out.size();) {
    auto start = std::chrono::steady_clock::now();
    std::vector<cv::Mat> batch;
    std::vector<size_t> face_of;
    try {
      for (; next < out.size() && batch.size() < kChipsPerPass; ++next) {
        for (cv::Mat& v : ChipVariants(chips[next], options_.flip_average, options_.jitter)) {
          batch.push_back(std::move(v));
          face_of.push_back(next);
        }
      }
    } catch (const std::exception& ex) {
      return Status::Internal(std::string("face embedder: dlib failed: ") + ex.what());
    }
    if (times != nullptr) times->align_ms += MsSince(start);

    start = std::chrono::steady_clock::now();
    auto descriptors = worker.net->Describe(batch);
    if (!descriptors.ok()) return descriptors.status();
    for (size_t k = 0; k < batch.size(); ++k) {
      std::vector<float>& sum = sums[face_of[k]];
      const std::vector<float>& d = (*descriptors)[k];
      if (sum.empty()) {
        sum = d;
      } else {
        for (size_t j = 0; j < sum.size(); ++j) sum[j] += d[j];
      }
    }
    if (times != nullptr) times->embed_ms += MsSince(start);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    L2Normalize(sums[i]);
    out[i].vector = std::move(sums[i]);
  }
  if (times != nullptr) times->faces += out.size();
  return out;
}

Result<std::vector<Embedding>> FaceEmbedder::DescribeAligned(const cv::Mat& bgr,
                                                             const std::vector<FaceBox>& faces,
                                                             FaceTimes* times) const {
  const FaceModelSpec& spec = model();
  const cv::Size size(spec.network.input.width, spec.network.input.height);
  const cv::Rect frame(0, 0, bgr.cols, bgr.rows);
  std::vector<Embedding> out;
  for (const FaceBox& f : faces) {
    if (f.landmarks.size() != spec.alignment_template.size()) {
      return Status::Internal("face embedder: a face came without its five landmarks");
    }
    auto start = std::chrono::steady_clock::now();
    cv::Mat chip;
    try {
      cv::warpAffine(bgr, chip, SimilarityTransform(f.landmarks, spec.alignment_template), size,
                     cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
    } catch (const cv::Exception& ex) {
      return Status::Internal(std::string("face embedder: alignment failed: ") + ex.what());
    }
    if (times != nullptr) times->align_ms += MsSince(start);
    start = std::chrono::steady_clock::now();
    auto v = network_->Embed(chip);
    if (!v.ok()) return v.status();
    if (times != nullptr) times->embed_ms += MsSince(start);
    Embedding e = std::move(v->front());
    e.region = cv::Rect(f.box) & frame;
    e.score = f.score;
    e.landmarks = f.landmarks;
    out.push_back(std::move(e));
  }
  if (times != nullptr) times->faces += out.size();
  return out;
}

}  // namespace alike::embed
