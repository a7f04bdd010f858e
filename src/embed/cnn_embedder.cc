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

// Reduces an output blob ([1, C, H, W], [1, C, 1, 1] or [1, C]) to C values.
Result<std::vector<float>> Pool(const cv::Mat& out, const ModelSpec& spec) {
  if (out.empty() || out.type() != CV_32F || out.dims < 2 || out.size[0] != 1) {
    return Status::Internal(spec.file + ": output \"" + spec.output +
                            "\" is not a float batch of 1");
  }
  const int channels = out.size[1];
  size_t hw = 1;
  for (int d = 2; d < out.dims; ++d) hw *= out.size[d];
  if (hw > 1 && spec.pooling == Pooling::kNone) {
    return Status::InvalidArgument(spec.file + ": output has spatial extent; pooling \"none\" " +
                                   "needs a flat output (use gap or gem)");
  }
  std::vector<float> v(channels);
  const float* p = out.ptr<float>();
  for (int c = 0; c < channels; ++c) {
    const float* ch = p + size_t(c) * hw;
    double sum = 0;
    if (spec.pooling == Pooling::kGem) {
      // GeM: (mean x^p)^(1/p); clamp because activations may be <= 0 and x^p needs x > 0.
      for (size_t i = 0; i < hw; ++i) sum += std::pow(std::max<double>(ch[i], 1e-6), spec.gem_p);
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

}  // namespace

struct CnnEmbedder::Loaded {
  cv::dnn::Net net;
  std::string input;   // name for setInput ("" for ONNX: the only input)
  std::string output;  // layer to forward to
};

CnnEmbedder::CnnEmbedder(ModelSpec spec) : spec_(std::move(spec)) {}
CnnEmbedder::~CnnEmbedder() = default;

Result<std::unique_ptr<CnnEmbedder::Loaded>> CnnEmbedder::Load(const ModelSpec& spec) {
  auto loaded = std::make_unique<Loaded>();
  if (IsTflite(spec.file)) {
    tflite::TfliteImportInfo info;
    auto net = tflite::ImportTflite(spec.file, &info);
    if (!net.ok()) return net.status();
    loaded->net = std::move(*net);
    loaded->input = info.input_name;
    loaded->output = spec.output.empty() ? info.embedding_name : spec.output;
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

Result<std::unique_ptr<CnnEmbedder>> CnnEmbedder::OpenDefault(const std::string& model_dir) {
  return Open(DefaultCnnSpec(model_dir));
}

Result<std::unique_ptr<CnnEmbedder>> CnnEmbedder::Open(const ModelSpec& spec) {
  auto file_key = ModelFileKey(spec.file);
  if (!file_key.ok()) return file_key.status();
  std::unique_ptr<CnnEmbedder> e(new CnnEmbedder(spec));
  auto loaded = Load(spec);
  if (!loaded.ok()) return loaded.status();
  // One pass on a grey picture: validates the output layer and learns the dimension.
  auto probe = e->Describe(
      **loaded, cv::Mat(spec.input.height, spec.input.width, CV_8UC3, cv::Scalar::all(128)));
  if (!probe.ok()) return probe.status();
  e->dimension_ = static_cast<uint32_t>(probe->size());
  if (spec.dimension != 0 && spec.dimension != e->dimension_) {
    return Status::InvalidArgument(spec.file + ": the spec says dimension " +
                                   std::to_string(spec.dimension) + " but layer \"" +
                                   (*loaded)->output + "\" gives " + std::to_string(e->dimension_));
  }
  const std::string key = PreprocessKey(spec.input);
  // Importer layer names are long TFLite tensor paths: name short outputs, hash long ones.
  const std::string& layer = (*loaded)->output;
  const std::string output = spec.output.empty()  ? "embedding"
                             : layer.size() <= 24 ? layer
                                                  : Hex32(Crc32c(layer.data(), layer.size()));
  char gem[32] = "";
  if (spec.pooling == Pooling::kGem) std::snprintf(gem, sizeof(gem), "%g", spec.gem_p);
  e->version_ = spec.name + "-" + *file_key + "-" + output + "-" + PoolingName(spec.pooling) + gem +
                "-" + (spec.flip_average ? "flip" : "noflip") + "-pre" +
                Hex32(Crc32c(key.data(), key.size())) + "/1";
  e->idle_.Put(std::move(*loaded));
  return e;
}

int CnnEmbedder::preferred_short_side() const {
  const int side = std::max(spec_.input.width, spec_.input.height);
  return side == 224 ? 256 : side;
}

Result<std::unique_ptr<CnnEmbedder::Loaded>> CnnEmbedder::Borrow() const {
  if (std::unique_ptr<Loaded> net = idle_.TakeIdle()) return net;
  return Load(spec_);  // all nets busy: load another
}

void CnnEmbedder::Return(std::unique_ptr<Loaded> net) const { idle_.Put(std::move(net)); }

Result<std::vector<float>> CnnEmbedder::Describe(Loaded& loaded, const cv::Mat& bgr) const {
  try {
    const cv::Mat blob = MakeBlob(bgr, spec_.input);
    if (blob.empty()) return Status::InvalidArgument("expected a non-empty 8-bit BGR image");
    loaded.net.setInput(blob, loaded.input);
    auto v = Pool(loaded.net.forward(loaded.output), spec_);
    if (!v.ok() || !spec_.flip_average) return v;
    loaded.net.setInput(FlipBlobHorizontally(blob), loaded.input);
    auto mirrored = Pool(loaded.net.forward(loaded.output), spec_);
    if (!mirrored.ok()) return mirrored.status();
    // a + b == b + a exactly in IEEE arithmetic, so a picture and its mirror image embed alike.
    for (size_t i = 0; i < v->size(); ++i) (*v)[i] = ((*v)[i] + (*mirrored)[i]) * 0.5f;
    return v;
  } catch (const cv::Exception& e) {
    return Status::Internal(spec_.file + ": forward pass failed: " + e.what());
  }
}

Result<std::vector<Embedding>> CnnEmbedder::Embed(const cv::Mat& bgr) const {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Status::InvalidArgument("cnn embedder: expected a non-empty 8-bit BGR image");
  }
  auto net = Borrow();
  if (!net.ok()) return net.status();
  auto v = Describe(**net, bgr);
  Return(std::move(*net));
  if (!v.ok()) return v.status();
  L2Normalize(*v);
  std::vector<Embedding> out(1);
  out[0].vector = std::move(*v);
  return out;
}

}  // namespace alike::embed
