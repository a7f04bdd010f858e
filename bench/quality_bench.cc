// alike-bench quality: how well, and how fast, each image embedder variant finds photos of the
// same kind, on the flowers set (5 classes; a result is relevant when it has the query's class).
//
//   alike-bench quality [--flowers DIR] [--models DIR] [--other DIR,...] [--per-class 240]
//                       [--all] [--seed 42] [--variants LIST] [--spec FILE,...] [--k 10]
//                       [--threads 2] [--cv-threads 1] [--timing-images 100] [--repeats 2]
//                       [--no-large] [--json FILE] [--quick]
//
// For each variant: decode (image::DecodeFile at the embedder's preferred_short_side) and embed a
// fixed, seeded sample of the photos, then leave-one-out precision@k by exact cosine search;
// also after centring (subtracting a mean vector and renormalising) on the sample's own mean and
// on the mean of other photos; then decode + embed speed with 1 and 2 threads. See
// bench/README.md.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <thread>

#include "bench_util.h"
#include "commands.h"
#include "embed/cnn_embedder.h"
#include "embed/color_embedder.h"
#include "embed/model_dir.h"
#include "embed/model_spec.h"
#include "embed/tflite_model.h"
#include "image/decoder.h"
#include "table.h"

namespace alike::bench {
namespace {

struct QualityArgs {
  std::string flowers_dir = "../shared/data/categories/flowers/flowers";
  std::string models_dir = embed::DefaultModelDir();
  // Photos that are not flowers, for centring on a mean taken elsewhere than the evaluation set.
  std::vector<std::string> other_dirs = {"../shared/data/copies", "../shared/data/faces/deepface"};
  size_t per_class = 0;  // 0: 240, or 40 with --quick
  bool all = false;
  uint64_t seed = 42;
  std::vector<std::string> variants;  // empty: every built-in variant
  std::vector<std::string> specs;     // JSON spec files, one variant each
  size_t k = 10;
  unsigned threads = 2;  // embedding threads for the quality pass
  unsigned cv_threads = 1;
  size_t timing_images = 0;  // 0: 100, or 30 with --quick
  unsigned repeats = 0;      // 0: 2, or 1 with --quick
  bool large = true;
  std::string json_path;
  bool quick = false;
};

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr size_t kPerClass = 240, kQuickPerClass = 40;
constexpr size_t kTimingImages = 100, kQuickTimingImages = 30;
constexpr unsigned kRepeats = 2;
constexpr size_t kLargeDecodes = 24;  // per thread count and round
// A 12-megapixel camera picture: 4032 x 3024.
constexpr int kLargeWidth = 4032, kLargeHeight = 3024;

struct Photo {
  std::string path;
  int label = -1;
};

bool IsImageFile(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp" || ext == ".bmp" ||
         ext == ".tif" || ext == ".tiff";
}

std::vector<std::string> SortedImages(const fs::path& dir, bool recursive) {
  std::vector<std::string> files;
  std::error_code ec;
  auto add = [&](const fs::directory_entry& e) {
    if (e.is_regular_file() && IsImageFile(e.path())) files.push_back(e.path().string());
  };
  if (recursive) {
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) add(e);
  } else {
    for (const auto& e : fs::directory_iterator(dir, ec)) add(e);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The classes (subfolders, by name) and a sample of their photos: per class, the sorted file list
// shuffled by Fisher-Yates with one mt19937_64 seeded `seed` (classes in name order), first
// `per_class` kept (0: all), then sorted again. Same seed, same files: the sample is portable
// because it uses only the engine's raw output, never a library distribution.
std::vector<Photo> SampleFlowers(const std::string& dir, size_t per_class, uint64_t seed,
                                 std::vector<std::string>* class_names) {
  std::vector<fs::path> classes;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_directory()) classes.push_back(e.path());
  }
  if (ec || classes.empty()) Fail("no class folders under " + dir);
  std::sort(classes.begin(), classes.end());
  std::mt19937_64 rng(seed);
  std::vector<Photo> photos;
  for (size_t c = 0; c < classes.size(); ++c) {
    class_names->push_back(classes[c].filename().string());
    std::vector<std::string> files = SortedImages(classes[c], false);
    for (size_t i = files.size(); i > 1; --i) std::swap(files[i - 1], files[rng() % i]);
    if (per_class != 0 && files.size() > per_class) files.resize(per_class);
    std::sort(files.begin(), files.end());
    for (auto& f : files) photos.push_back({std::move(f), static_cast<int>(c)});
  }
  return photos;
}

// --- variants ---------------------------------------------------------------------------------

struct BuiltinVariant {
  const char* name;
  const char* what;
};

constexpr BuiltinVariant kBuiltins[] = {
    {"color", "weight-free colour/texture/layout descriptor"},
    {"cnn", "the default cnn embedder (DefaultCnnSpec)"},
    {"v2-gap", "MobileNetV2, GAP of the last conv"},
    {"v2-gap-flip", "MobileNetV2, GAP, flip-averaged"},
    {"v2-gem", "MobileNetV2, GeM p=3 of the last conv"},
    {"v2-gem-flip", "MobileNetV2, GeM, flip-averaged"},
    {"v1-gem", "MobileNetV1, GeM p=3 of the last pointwise conv"},
    {"v1-gem-flip", "MobileNetV1, GeM, flip-averaged"},
    {"v1dw-gem", "MobileNetV1, GeM of the last depthwise conv (dw13)"},
    {"v2+v1dw", "MobileNetV2 GeM + MobileNetV1 dw13 GeM x1.4"},
    {"v2+v1-gap", "MobileNetV2 GAP + MobileNetV1 GAP x1.4"},
    {"v2+v1-w1", "MobileNetV2 GeM + MobileNetV1 GeM x1"},
    {"v2+v1-w2", "MobileNetV2 GeM + MobileNetV1 GeM x2"},
    {"v2+v1-flip", "MobileNetV2 GeM + MobileNetV1 GeM x1.4, both flip-averaged"},
    {"v2+v1+color", "MobileNetV2 GeM + MobileNetV1 GeM x1.4 + colour x0.3"},
    {"v2+v1+darknet", "MobileNetV2 GeM + MobileNetV1 GeM x1.4 + Darknet-tiny GeM x1"},
};

// The first tensor whose name starts with `prefix` (TFLite joins the names of fused operations
// with ';' into long ones; the importer names each layer after its tensor); empty if none.
std::string TensorNamed(const std::string& file, const std::string& prefix) {
  auto model = tflite::TfliteModel::Load(file);
  if (!model.ok()) return "";
  for (const auto& t : model->tensors()) {
    if (t.name.rfind(prefix, 0) == 0) return t.name;
  }
  return "";
}

// `which`: v2, v1 (last feature map), v1dw (MobileNetV1's last depthwise map) or darknet.
embed::ModelSpec Model(const std::string& dir, const std::string& which, embed::Pooling pooling,
                       bool flip, double weight) {
  embed::ModelSpec m;
  m.name = which;
  m.pooling = pooling;
  m.flip_average = flip;
  m.weight = weight;
  if (which == "v2") {
    m.file = dir + "/tf2_mobilenet_v2_1.0_224_ptq.tflite";
  } else if (which == "v1" || which == "v1dw") {
    m.file = dir + "/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite";
    if (which == "v1dw") {
      m.output = TensorNamed(m.file, "MobilenetV1/MobilenetV1/Conv2d_13_depthwise/Relu6");
    }
  } else {
    m.file = dir + "/darknet_tiny_imagenet.onnx";
    m.output = "leaky_re_lu_14";
    m.input.mean = cv::Scalar::all(0);
    m.input.scale = cv::Scalar::all(1 / 255.0);
  }
  return m;
}

// Wraps the colour descriptor as one "model" of a concatenation: the benchmark's own composite,
// since the cnn spec holds networks only.
class WithColor : public embed::Embedder {
 public:
  WithColor(std::unique_ptr<embed::Embedder> cnn, float weight)
      : cnn_(std::move(cnn)), weight_(weight), version_(cnn_->version() + "+color") {}
  const std::string& name() const override { return cnn_->name(); }
  const std::string& version() const override { return version_; }
  uint32_t dimension() const override { return cnn_->dimension() + color_.dimension(); }
  Metric metric() const override { return Metric::kCosine; }
  int preferred_short_side() const override { return cnn_->preferred_short_side(); }
  Result<std::vector<embed::Embedding>> Embed(const cv::Mat& bgr) const override {
    auto v = cnn_->Embed(bgr);
    if (!v.ok()) return v;
    auto c = color_.Describe(bgr);
    if (!c.ok()) return c.status();
    std::vector<float>& out = (*v)[0].vector;
    for (const float x : *c) out.push_back(x * weight_);
    embed::L2Normalize(out);
    return v;
  }

 private:
  std::unique_ptr<embed::Embedder> cnn_;
  embed::ColorEmbedder color_;
  float weight_;
  std::string version_;
};

Result<std::unique_ptr<embed::Embedder>> OpenCnn(const embed::EmbedderSpec& spec) {
  auto e = embed::CnnEmbedder::Open(spec);
  if (!e.ok()) return e.status();
  return std::unique_ptr<embed::Embedder>(std::move(*e));
}

Result<std::unique_ptr<embed::Embedder>> OpenBuiltin(const std::string& name,
                                                     const std::string& dir) {
  using embed::Pooling;
  const auto one = [&](const char* which, Pooling pooling, bool flip) {
    return OpenCnn({.name = name, .models = {Model(dir, which, pooling, flip, 1)}});
  };
  const auto pair = [&](Pooling pooling, bool flip, double weight, const char* v1 = "v1") {
    return embed::EmbedderSpec{
        .name = name,
        .models = {Model(dir, "v2", pooling, flip, 1), Model(dir, v1, pooling, flip, weight)}};
  };
  if (name == "color") return std::unique_ptr<embed::Embedder>(new embed::ColorEmbedder());
  if (name == "cnn") return OpenCnn(embed::DefaultCnnSpec(dir));
  if (name == "v2-gap") return one("v2", Pooling::kGap, false);
  if (name == "v2-gap-flip") return one("v2", Pooling::kGap, true);
  if (name == "v2-gem") return one("v2", Pooling::kGem, false);
  if (name == "v2-gem-flip") return one("v2", Pooling::kGem, true);
  if (name == "v1-gem") return one("v1", Pooling::kGem, false);
  if (name == "v1-gem-flip") return one("v1", Pooling::kGem, true);
  if (name == "v1dw-gem") return one("v1dw", Pooling::kGem, false);
  if (name == "v2+v1dw") return OpenCnn(pair(Pooling::kGem, false, 1.4, "v1dw"));
  if (name == "v2+v1-gap") return OpenCnn(pair(Pooling::kGap, false, 1.4));
  if (name == "v2+v1-w1") return OpenCnn(pair(Pooling::kGem, false, 1));
  if (name == "v2+v1-w2") return OpenCnn(pair(Pooling::kGem, false, 2));
  if (name == "v2+v1-flip") return OpenCnn(pair(Pooling::kGem, true, 1.4));
  if (name == "v2+v1+color") {
    auto cnn = OpenCnn(pair(Pooling::kGem, false, 1.4));
    if (!cnn.ok()) return cnn.status();
    return std::unique_ptr<embed::Embedder>(new WithColor(std::move(*cnn), 0.3f));
  }
  if (name == "v2+v1+darknet") {
    embed::EmbedderSpec spec = pair(Pooling::kGem, false, 1.4);
    spec.models.push_back(Model(dir, "darknet", Pooling::kGem, false, 1));
    return OpenCnn(spec);
  }
  std::string known;
  for (const auto& b : kBuiltins) known += std::string(known.empty() ? "" : ", ") + b.name;
  return Status::InvalidArgument("unknown variant '" + name + "' (" + known + ")");
}

struct Variant {
  std::string name;
  std::string what;
  std::unique_ptr<embed::Embedder> embedder;
  // Results.
  double precision = 0, precision_sample_centred = 0, precision_other_centred = 0;
  double embed_ms = 0;               // per image, 1 thread, embedding only
  std::vector<double> images_per_s;  // decode + embed, 1 and 2 threads
  std::vector<double> large_per_s;   // the same on 12-megapixel JPEGs (cnn and color only)
};

// --- measuring --------------------------------------------------------------------------------

std::vector<std::vector<float>> EmbedAll(const embed::Embedder& e, const std::vector<Photo>& photos,
                                         unsigned threads) {
  std::vector<std::vector<float>> out(photos.size());
  const image::DecodeOptions options{.min_short_side = e.preferred_short_side()};
  std::mutex mu;
  std::string error;
  ParallelFor(photos.size(), threads, [&](size_t i) {
    auto img = image::DecodeFile(photos[i].path, options);
    Result<std::vector<embed::Embedding>> v =
        img.ok() ? e.Embed(img->bgr) : Result<std::vector<embed::Embedding>>(img.status());
    if (v.ok() && v->size() == 1) {
      out[i] = std::move((*v)[0].vector);
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    error = v.ok() ? photos[i].path + ": no embedding" : v.status().ToString();
  });
  if (!error.empty()) Fail(error);
  return out;
}

// Leave-one-out precision@k: each photo queries all the others by exact cosine (vectors are unit
// length); ties go to the lower index so that the result does not depend on thread timing.
double PrecisionAtK(const std::vector<std::vector<float>>& v, const std::vector<Photo>& photos,
                    size_t k, unsigned threads) {
  const size_t n = v.size();
  std::vector<double> per_query(n, 0);
  ParallelFor(n, threads, [&](size_t q) {
    std::vector<std::pair<float, size_t>> scored;
    scored.reserve(n - 1);
    for (size_t j = 0; j < n; ++j) {
      if (j == q) continue;
      float dot = 0;
      for (size_t d = 0; d < v[q].size(); ++d) dot += v[q][d] * v[j][d];
      scored.push_back({dot, j});
    }
    const size_t top = std::min(k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + top, scored.end(), [](auto& a, auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    size_t relevant = 0;
    for (size_t i = 0; i < top; ++i) relevant += photos[scored[i].second].label == photos[q].label;
    per_query[q] = static_cast<double>(relevant) / static_cast<double>(k);
  });
  double sum = 0;
  for (double p : per_query) sum += p;
  return n == 0 ? 0 : sum / static_cast<double>(n);
}

std::vector<float> Mean(const std::vector<std::vector<float>>& v) {
  std::vector<double> sum(v.empty() ? 0 : v[0].size(), 0);
  for (const auto& x : v) {
    for (size_t d = 0; d < x.size(); ++d) sum[d] += x[d];
  }
  std::vector<float> mean(sum.size());
  for (size_t d = 0; d < sum.size(); ++d) mean[d] = static_cast<float>(sum[d] / v.size());
  return mean;
}

std::vector<std::vector<float>> Centred(std::vector<std::vector<float>> v,
                                        const std::vector<float>& mean) {
  for (auto& x : v) {
    for (size_t d = 0; d < x.size(); ++d) x[d] -= mean[d];
    embed::L2Normalize(x);
  }
  return v;
}

// Decodes and embeds `count` inputs (input(i) gives the i-th image) on `threads` threads;
// returns images/s and adds the time spent inside Embed to *embed_seconds.
double MeasureThroughput(const embed::Embedder& e, size_t count, unsigned threads,
                         const std::function<Result<image::Image>(size_t)>& input,
                         double* embed_seconds) {
  std::atomic<int64_t> embed_ns{0};
  Stopwatch wall;
  ParallelFor(count, threads, [&](size_t i) {
    auto img = input(i);
    CheckOk(img.status(), "decode");
    Stopwatch watch;
    CheckOk(e.Embed(img->bgr).status(), "embed");
    embed_ns.fetch_add(static_cast<int64_t>(watch.Seconds() * 1e9));
  });
  const double seconds = wall.Seconds();
  if (embed_seconds != nullptr) *embed_seconds += static_cast<double>(embed_ns.load()) / 1e9;
  return static_cast<double>(count) / seconds;
}

// A 12-megapixel JPEG (4032 x 3024, quality 90) made from a sample photo, with mild noise so that
// its size and decoding cost are those of a camera picture (a smooth upscale compresses ~10x
// better than a real photo and decodes faster).
std::vector<uint8_t> MakeLargeJpeg(const std::string& path) {
  auto img = image::DecodeFile(path);
  CheckOk(img.status(), "decode " + path);
  cv::Mat big, noise(kLargeHeight, kLargeWidth, CV_16SC3);
  cv::resize(img->bgr, big, cv::Size(kLargeWidth, kLargeHeight), 0, 0, cv::INTER_CUBIC);
  cv::theRNG().state = 42;
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(8));
  cv::add(big, noise, big, cv::noArray(), CV_8UC3);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", big, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  return jpeg;
}

std::string ThreadsLabel(unsigned threads) {
  return "img/s " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

Json ToJson(const QualityArgs& args, size_t n, size_t others, size_t large_bytes,
            const std::vector<Variant>& variants) {
  Json j;
  j["photos"] = n;
  j["per_class"] = args.all ? 0 : args.per_class;
  j["seed"] = args.seed;
  j["k"] = args.k;
  j["other_photos"] = others;
  j["cv_threads"] = args.cv_threads;
  j["timing_images"] = args.timing_images;
  j["large_jpeg_bytes"] = large_bytes;
  Json rows = Json::array();
  for (const Variant& v : variants) {
    Json r;
    r["variant"] = v.name;
    r["what"] = v.what;
    r["version"] = v.embedder->version();
    r["dimension"] = v.embedder->dimension();
    r["precision"] = v.precision;
    r["precision_centred_sample_mean"] = v.precision_sample_centred;
    r["precision_centred_other_mean"] = v.precision_other_centred;
    r["embed_ms"] = v.embed_ms;
    r["images_per_second"] = {{"1", v.images_per_s[0]}, {"2", v.images_per_s[1]}};
    if (!v.large_per_s.empty()) {
      r["large_images_per_second"] = {{"1", v.large_per_s[0]}, {"2", v.large_per_s[1]}};
    }
    rows.push_back(r);
  }
  j["variants"] = rows;
  return j;
}

int RunQuality(QualityArgs args) {
  if (args.per_class == 0) args.per_class = args.quick ? kQuickPerClass : kPerClass;
  if (args.timing_images == 0) args.timing_images = args.quick ? kQuickTimingImages : kTimingImages;
  if (args.repeats == 0) args.repeats = args.quick ? 1 : kRepeats;
  if (args.k == 0 || args.threads == 0) Fail("--k and --threads must be positive");
  cv::setNumThreads(static_cast<int>(args.cv_threads));
  std::vector<std::string> class_names;
  const std::vector<Photo> photos =
      SampleFlowers(args.flowers_dir, args.all ? 0 : args.per_class, args.seed, &class_names);
  std::vector<Photo> others;
  for (const auto& dir : args.other_dirs) {
    for (auto& f : SortedImages(dir, true)) others.push_back({std::move(f), -1});
  }
  // Foreign photos that do not decode (the copy-detection set keeps a corrupt JPEG on purpose)
  // are left out rather than failing the run.
  std::erase_if(others, [](const Photo& p) { return !image::ProbeFile(p.path).ok(); });

  std::vector<Variant> variants;
  const std::vector<std::string> names = [&] {
    if (!args.variants.empty() || !args.specs.empty()) return args.variants;
    std::vector<std::string> all;
    for (const auto& b : kBuiltins) all.push_back(b.name);
    return all;
  }();
  for (const auto& name : names) {
    auto e = OpenBuiltin(name, args.models_dir);
    CheckOk(e.status(), "variant " + name);
    std::string what;
    for (const auto& b : kBuiltins) {
      if (name == b.name) what = b.what;
    }
    variants.push_back({.name = name, .what = what, .embedder = std::move(*e)});
  }
  for (const auto& path : args.specs) {
    auto spec = embed::LoadEmbedderSpec(path);
    CheckOk(spec.status(), "spec");
    auto e = OpenCnn(*spec);
    CheckOk(e.status(), "spec " + path);
    variants.push_back(
        {.name = fs::path(path).stem().string(), .what = path, .embedder = std::move(*e)});
  }

  std::printf(
      "alike-bench quality: %zu photos (%s, seed %llu) from %s, %zu classes; %zu other "
      "photos; OpenCV threads per forward %u (%s)\n",
      photos.size(), args.all ? "all" : (std::to_string(args.per_class) + " per class").c_str(),
      static_cast<unsigned long long>(args.seed), args.flowers_dir.c_str(), class_names.size(),
      others.size(), args.cv_threads,
      cv::getBuildInformation().find("AVX512_SKX") != std::string::npos
          ? "CPU dispatch up to AVX512_SKX"
          : "no AVX-512 dispatch");
  std::fflush(stdout);

  for (Variant& v : variants) {
    std::fprintf(stderr, "  %s: embedding %zu + %zu photos...\n", v.name.c_str(), photos.size(),
                 others.size());
    const auto vectors = EmbedAll(*v.embedder, photos, args.threads);
    v.precision = PrecisionAtK(vectors, photos, args.k, args.threads);
    v.precision_sample_centred =
        PrecisionAtK(Centred(vectors, Mean(vectors)), photos, args.k, args.threads);
    if (!others.empty()) {
      const auto other_mean = Mean(EmbedAll(*v.embedder, others, args.threads));
      v.precision_other_centred =
          PrecisionAtK(Centred(vectors, other_mean), photos, args.k, args.threads);
    }
  }

  // Speed: the variants take turns within each (round, thread count), best of the rounds, so that
  // a change in machine load hits every variant rather than whichever ran then.
  const std::vector<unsigned> thread_counts = {1, 2};
  const size_t timing = std::min(args.timing_images, photos.size());
  std::vector<uint8_t> large;
  if (args.large) large = MakeLargeJpeg(photos.front().path);
  for (Variant& v : variants) {
    v.images_per_s.assign(thread_counts.size(), 0);
    if (!large.empty() && (v.name == "cnn" || v.name == "color")) {
      v.large_per_s.assign(thread_counts.size(), 0);
    }
    // Warm-up: each thread's first call loads its nets.
    double ignored = 0;
    MeasureThroughput(
        *v.embedder, 2, 2,
        [&](size_t i) {
          return image::DecodeFile(photos[i].path,
                                   {.min_short_side = v.embedder->preferred_short_side()});
        },
        &ignored);
  }
  for (unsigned r = 0; r < args.repeats; ++r) {
    std::fprintf(stderr, "  speed, round %u of %u\n", r + 1, args.repeats);
    for (size_t t = 0; t < thread_counts.size(); ++t) {
      for (Variant& v : variants) {
        const image::DecodeOptions options{.min_short_side = v.embedder->preferred_short_side()};
        double embed_seconds = 0;
        const double rate = MeasureThroughput(
            *v.embedder, timing, thread_counts[t],
            [&](size_t i) { return image::DecodeFile(photos[i].path, options); }, &embed_seconds);
        if (rate > v.images_per_s[t]) {
          v.images_per_s[t] = rate;
          if (thread_counts[t] == 1) v.embed_ms = embed_seconds * 1e3 / static_cast<double>(timing);
        }
        if (v.large_per_s.empty()) continue;
        v.large_per_s[t] = std::max(
            v.large_per_s[t],
            MeasureThroughput(
                *v.embedder, kLargeDecodes, thread_counts[t],
                [&](size_t) { return image::DecodeMemory(large, options, "12mp"); }, nullptr));
      }
    }
  }

  std::printf(
      "\nprecision@%zu, leave-one-out, exact cosine; centred: minus the mean vector of the sample "
      "itself (optimistic: the evaluation set's own statistics) or of the %zu other photos, "
      "renormalised. Speed: decode + embed of %zu photos, best of %u rounds; ms/image: embedding "
      "only, 1 thread.\n",
      args.k, others.size(), timing, args.repeats);
  Table table({"variant", "dim", "p@" + std::to_string(args.k), "centred sample", "centred other",
               "ms/image", ThreadsLabel(1), ThreadsLabel(2)});
  for (const Variant& v : variants) {
    table.AddRow({v.name, std::to_string(v.embedder->dimension()), FormatFixed(v.precision, 3),
                  FormatFixed(v.precision_sample_centred, 3),
                  others.empty() ? "-" : FormatFixed(v.precision_other_centred, 3),
                  FormatFixed(v.embed_ms, 1), FormatRate(v.images_per_s[0]),
                  FormatRate(v.images_per_s[1])});
  }
  table.Print(stdout);
  if (!large.empty()) {
    std::printf("\n12-megapixel JPEGs (%dx%d, %.1f MB, decoded with DCT downscaling): images/s\n",
                kLargeWidth, kLargeHeight, static_cast<double>(large.size()) / 1e6);
    Table big({"variant", ThreadsLabel(1), ThreadsLabel(2)});
    for (const Variant& v : variants) {
      if (!v.large_per_s.empty()) {
        big.AddRow({v.name, FormatRate(v.large_per_s[0]), FormatRate(v.large_per_s[1])});
      }
    }
    big.Print(stdout);
  }
  std::printf("\nvariants:\n");
  for (const Variant& v : variants) {
    std::printf("  %s: %s\n    version %s\n", v.name.c_str(), v.what.c_str(),
                v.embedder->version().c_str());
  }
  if (!args.json_path.empty()) {
    std::ofstream out(args.json_path, std::ios::trunc);
    out << ToJson(args, photos.size(), others.size(), large.size(), variants).dump(2) << "\n";
    if (!out) Fail("cannot write " + args.json_path);
    std::printf("\nwrote %s\n", args.json_path.c_str());
  }
  return 0;
}

}  // namespace

Command AddQualityCommand(CLI::App& app) {
  auto args = std::make_shared<QualityArgs>();
  CLI::App* q = app.add_subcommand(
      "quality", "precision@k and speed of the image embedders on the flowers photos");
  q->add_option("--flowers", args->flowers_dir, "Flowers set: one folder of photos per class")
      ->capture_default_str();
  q->add_option("--models", args->models_dir, "Model folder (installed by scripts/setup.sh)")
      ->capture_default_str();
  q->add_option("--other", args->other_dirs, "Folders of other photos, for a foreign mean")
      ->delimiter(',')
      ->capture_default_str();
  q->add_option("--per-class", args->per_class, "Photos per class in the sample [240]");
  q->add_flag("--all", args->all, "Every photo of the set instead of a sample");
  q->add_option("--seed", args->seed, "Seed of the sample")->capture_default_str();
  std::string names;
  for (const auto& b : kBuiltins) names += std::string(names.empty() ? "" : ", ") + b.name;
  q->add_option("--variants", args->variants, "Built-in variants (default: all): " + names)
      ->delimiter(',');
  q->add_option("--spec", args->specs, "Also JSON embedder spec files, one variant each")
      ->delimiter(',');
  q->add_option("--k", args->k, "precision@k")->capture_default_str();
  q->add_option("--threads", args->threads, "Embedding threads of the quality pass")
      ->capture_default_str();
  q->add_option("--cv-threads", args->cv_threads,
                "OpenCV threads per forward pass (cv::setNumThreads)")
      ->capture_default_str();
  q->add_option("--timing-images", args->timing_images, "Photos per speed measurement [100]");
  q->add_option("--repeats", args->repeats, "Speed rounds; the best is kept [2]");
  q->add_flag("!--no-large", args->large, "Skip the 12-megapixel JPEG speed rows");
  q->add_option("--json", args->json_path, "Also write the results as JSON to this file");
  q->add_flag("--quick", args->quick,
              "Unless given: 40 photos per class, 30 timing photos, 1 round");
  return {q, [args] { return RunQuality(*args); }};
}

}  // namespace alike::bench
