#include "embed/cnn_embedder.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/dnn.hpp>
#include <sstream>

#include "embed/preprocess.h"
#include "embed/tflite_importer.h"
#include "util/crc32c.h"

namespace alike::embed {
namespace {

namespace fs = std::filesystem;

std::string Hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

bool IsTflite(const std::string& file) { return fs::path(file).extension() == ".tflite"; }

// x^n for a whole n >= 1 (GeM's exponent is at most 16).
double WholePower(double x, int n) {
  double r = x;
  for (int i = 1; i < n; ++i) r *= x;
  return r;
}

// Reduces an output blob ([1, C, H, W], [1, C, 1, 1] or [1, C]) of layer `layer` to C values.
Result<std::vector<float>> Pool(const cv::Mat& out, const ModelSpec& spec,
                                const std::string& layer) {
  if (out.empty() || out.type() != CV_32F || out.dims < 2 || out.size[0] != 1) {
    return Status::Internal(spec.file + ": output \"" + layer + "\" is not a float batch of 1");
  }
  const int channels = out.size[1];
  size_t hw = 1;
  for (int d = 2; d < out.dims; ++d) hw *= out.size[d];
  if (hw > 1 && spec.pooling == Pooling::kNone) {
    return Status::InvalidArgument(spec.file + ": output has spatial extent; pooling \"none\" " +
                                   "needs a flat output (use gap or gem)");
  }
  const int whole_p = spec.gem_p == std::floor(spec.gem_p) ? static_cast<int>(spec.gem_p) : 0;
  std::vector<float> v(channels);
  const float* p = out.ptr<float>();
  for (int c = 0; c < channels; ++c) {
    const float* ch = p + size_t(c) * hw;
    double sum = 0;
    if (spec.pooling == Pooling::kGem) {
      // GeM: (mean x^p)^(1/p); clamp because activations may be <= 0 and x^p needs x > 0.
      // Whole exponents (the usual p = 3) multiply: std::pow on every activation cost ~3 ms
      // per MobileNetV2 embedding (of ~20).
      for (size_t i = 0; i < hw; ++i) {
        const double x = std::max<double>(ch[i], 1e-6);
        sum += whole_p > 0 ? WholePower(x, whole_p) : std::pow(x, spec.gem_p);
      }
      v[c] = static_cast<float>(std::pow(sum / hw, 1.0 / spec.gem_p));
    } else {
      for (size_t i = 0; i < hw; ++i) sum += ch[i];
      v[c] = static_cast<float>(sum / hw);
    }
  }
  return v;
}

std::string PreprocessKey(const PreprocessSpec& p) {
  std::ostringstream s;
  s.precision(9);
  s << p.width << 'x' << p.height << ' ' << ResizeName(p.resize) << ' ' << (p.rgb ? "rgb" : "bgr");
  for (int c = 0; c < 3; ++c) s << ' ' << p.mean[c] << ' ' << p.scale[c];
  s << ' ' << p.pad;
  return s.str();
}

// The version part of one model; `several`: the spec has more than one model, so names and
// weights tell the parts apart.
std::string ModelKey(const ModelSpec& spec, const std::string& layer, const std::string& file_key,
                     bool several) {
  const std::string key = PreprocessKey(spec.input);
  // Importer layer names are long TFLite tensor paths: name short outputs, hash long ones.
  const std::string output = spec.output.empty()  ? "embedding"
                             : layer.size() <= 24 ? layer
                                                  : Hex32(Crc32c(layer.data(), layer.size()));
  char gem[32] = "";
  if (spec.pooling == Pooling::kGem) std::snprintf(gem, sizeof(gem), "%.9g", spec.gem_p);
  char weight[32] = "";
  if (several) std::snprintf(weight, sizeof(weight), "-w%.9g", spec.weight);
  return (several ? spec.name + "-" : "") + file_key + "-" + output + "-" +
         PoolingName(spec.pooling) + gem + "-" + (spec.flip_average ? "flip" : "noflip") + "-pre" +
         Hex32(Crc32c(key.data(), key.size())) + weight;
}

}  // namespace

struct CnnEmbedder::Loaded {
  cv::dnn::Net net;
  std::string input;   // name for setInput ("" for ONNX: the only input)
  std::string output;  // layer to forward to
};

CnnEmbedder::CnnEmbedder(EmbedderSpec spec) : spec_(std::move(spec)) {}
CnnEmbedder::~CnnEmbedder() = default;

Result<std::unique_ptr<CnnEmbedder::Loaded>> CnnEmbedder::Load(const ModelSpec& spec) {
  auto loaded = std::make_unique<Loaded>();
  if (IsTflite(spec.file)) {
    tflite::TfliteImportInfo info;
    auto net = tflite::ImportTflite(spec.file, &info);
    if (!net.ok()) return net.status();
    loaded->net = std::move(*net);
    loaded->input = info.input_name;
    loaded->output = !spec.output.empty()            ? spec.output
                     : spec.pooling == Pooling::kGem ? info.feature_map_name
                                                     : info.embedding_name;
    if (loaded->output.empty()) {
      return Status::InvalidArgument(spec.file + ": the model has no global pooling layer; " +
                                     "name an output layer in the spec");
    }
  } else {
    if (spec.output.empty()) return Status::InvalidArgument(spec.file + ": no output layer named");
    try {
      loaded->net = cv::dnn::readNetFromONNX(spec.file);
    } catch (const cv::Exception& e) {
      return Status::Corruption(spec.file + ": OpenCV cannot read the model: " + e.what());
    }
    if (loaded->net.empty()) return Status::Corruption(spec.file + ": empty network");
    loaded->output = spec.output;
  }
  if (loaded->net.getLayerId(loaded->output) < 0) {
    // OpenCV 4.6 gives an ONNX node's layer its plain output name only for graph outputs.
    const char* hint = IsTflite(spec.file) ? "" : " (for .onnx, name one of the graph's outputs)";
    return Status::InvalidArgument(spec.file + ": no layer named \"" + loaded->output + "\"" +
                                   hint);
  }
  return loaded;
}

Result<CnnEmbedder::NetSet> CnnEmbedder::LoadAll(const EmbedderSpec& spec) {
  NetSet nets;
  for (const ModelSpec& model : spec.models) {
    auto loaded = Load(model);
    if (!loaded.ok()) return loaded.status();
    nets.push_back(std::move(*loaded));
  }
  return nets;
}

Result<std::unique_ptr<CnnEmbedder>> CnnEmbedder::OpenDefault(const std::string& model_dir) {
  return Open(DefaultCnnSpec(model_dir));
}

Result<std::unique_ptr<CnnEmbedder>> CnnEmbedder::Open(const ModelSpec& spec) {
  return Open(EmbedderSpec{.name = spec.name, .models = {spec}});
}

Result<std::unique_ptr<CnnEmbedder>> CnnEmbedder::Open(const EmbedderSpec& spec) {
  if (spec.models.empty()) return Status::InvalidArgument(spec.name + ": no models in the spec");
  std::unique_ptr<CnnEmbedder> e(new CnnEmbedder(spec));
  auto nets = LoadAll(spec);
  if (!nets.ok()) return nets.status();
  const bool several = spec.models.size() > 1;
  std::string parts;
  for (size_t i = 0; i < spec.models.size(); ++i) {
    const ModelSpec& model = spec.models[i];
    Loaded& net = *(*nets)[i];
    auto file_key = ModelFileKey(model.file);
    if (!file_key.ok()) return file_key.status();
    // One pass on a grey picture: validates the output layer and learns the dimension.
    const cv::Mat grey(model.input.height, model.input.width, CV_8UC3, cv::Scalar::all(128));
    auto probe = e->Describe(model, net, MakeBlob(grey, model.input));
    if (!probe.ok()) return probe.status();
    const auto dimension = static_cast<uint32_t>(probe->size());
    if (model.dimension != 0 && model.dimension != dimension) {
      return Status::InvalidArgument(model.file + ": the spec says dimension " +
                                     std::to_string(model.dimension) + " but layer \"" +
                                     net.output + "\" gives " + std::to_string(dimension));
    }
    e->dimension_ += dimension;
    if (i > 0) parts += '+';
    parts += ModelKey(model, net.output, *file_key, several);
  }
  e->version_ = spec.name + "-" + parts + "/1";
  e->idle_.Put(std::make_unique<NetSet>(std::move(*nets)));
  return e;
}

int CnnEmbedder::preferred_short_side() const {
  int side = 0;
  for (const ModelSpec& model : spec_.models) {
    const int needed = std::max(model.input.width, model.input.height);
    side = std::max(side, needed == 224 ? 256 : needed);
  }
  return side;
}

Result<std::unique_ptr<CnnEmbedder::NetSet>> CnnEmbedder::Borrow() const {
  if (std::unique_ptr<NetSet> nets = idle_.TakeIdle()) return nets;
  auto nets = LoadAll(spec_);  // all sets busy: load another
  if (!nets.ok()) return nets.status();
  return std::make_unique<NetSet>(std::move(*nets));
}

void CnnEmbedder::Return(std::unique_ptr<NetSet> nets) const { idle_.Put(std::move(nets)); }

Result<std::vector<float>> CnnEmbedder::Describe(const ModelSpec& model, Loaded& loaded,
                                                 const cv::Mat& blob) const {
  if (blob.empty()) return Status::InvalidArgument("expected a non-empty 8-bit BGR image");
  try {
    loaded.net.setInput(blob, loaded.input);
    auto v = Pool(loaded.net.forward(loaded.output), model, loaded.output);
    if (!v.ok() || !model.flip_average) return v;
    loaded.net.setInput(FlipBlobHorizontally(blob), loaded.input);
    auto mirrored = Pool(loaded.net.forward(loaded.output), model, loaded.output);
    if (!mirrored.ok()) return mirrored.status();
    // a + b == b + a exactly in IEEE arithmetic, so a picture and its mirror image embed alike.
    for (size_t i = 0; i < v->size(); ++i) (*v)[i] = ((*v)[i] + (*mirrored)[i]) * 0.5f;
    return v;
  } catch (const cv::Exception& e) {
    return Status::Internal(model.file + ": forward pass failed: " + e.what());
  }
}

Result<std::vector<float>> CnnEmbedder::DescribeAll(NetSet& nets, const cv::Mat& bgr) const {
  std::vector<float> out;
  out.reserve(dimension_);
  cv::Mat blob;
  for (size_t i = 0; i < spec_.models.size(); ++i) {
    const ModelSpec& model = spec_.models[i];
    // Models that share preprocessing (the MobileNets) share the blob.
    if (i == 0 || model.input != spec_.models[i - 1].input) blob = MakeBlob(bgr, model.input);
    auto v = Describe(model, *nets[i], blob);
    if (!v.ok()) return v.status();
    L2Normalize(*v);
    for (const float x : *v) out.push_back(static_cast<float>(x * model.weight));
  }
  return out;
}

Result<std::vector<Embedding>> CnnEmbedder::Embed(const cv::Mat& bgr) const {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("cnn embedder: expected a non-empty 8-bit BGR image");
  }
  auto nets = Borrow();
  if (!nets.ok()) return nets.status();
  auto v = DescribeAll(**nets, bgr);
  Return(std::move(*nets));
  if (!v.ok()) return v.status();
  L2Normalize(*v);
  std::vector<Embedding> out(1);
  out[0].vector = std::move(*v);
  return out;
}

}  // namespace alike::embed
