// ModelSpec: what a CNN embedder runs, declared in a small JSON file beside the weights so that
// a new model needs no code change:
//
//   {"name": "mobilenet_v2", "file": "tf2_mobilenet_v2_1.0_224_ptq.tflite",
//    "input": {"width": 224, "height": 224, "resize": "center_crop", "color": "rgb",
//              "mean": [127.5, 127.5, 127.5], "scale": [0.00784314, 0.00784314, 0.00784314]},
//    "output": "", "pooling": "gap", "gem_p": 3, "flip_average": true, "dimension": 1280}
//
// "file" is .tflite (read by alike's importer) or .onnx (OpenCV), relative to the spec file.
// "output" names the layer to read; empty means the importer's pooled embedding (.tflite only).
// For .onnx it must be one of the graph's outputs: OpenCV 4.6 names other layers internally.
// "pooling" reduces an [1, C, H, W] output over H and W: none (the output must already be
// C values), gap (mean) or gem (generalised mean, exponent gem_p). "dimension" 0 or absent:
// whatever the net produces; otherwise it is checked when the model is opened. Every field but
// "file" is optional (defaults below). Errors name the spec file and the field.
//
// Thread-safety: plain values and pure functions; safe to use concurrently.
#ifndef ALIKE_EMBED_MODEL_SPEC_H_
#define ALIKE_EMBED_MODEL_SPEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "alike/status.h"
#include "embed/preprocess.h"

namespace alike::embed {

enum class Pooling { kNone, kGap, kGem };
const char* PoolingName(Pooling pooling);  // "none", "gap", "gem"

struct ModelSpec {
  std::string name;  // defaults to the file's stem
  std::string file;  // resolved: absolute or relative to the working directory
  PreprocessSpec input;
  std::string output;  // layer name; empty = the importer's embedding
  Pooling pooling = Pooling::kGap;
  double gem_p = 3;
  bool flip_average = true;
  uint32_t dimension = 0;  // 0 = not checked
};

// Parses spec text; `file` is resolved against `base_dir`; `origin` names the spec in errors.
Result<ModelSpec> ParseModelSpec(std::string_view json, const std::string& base_dir,
                                 const std::string& origin);
// Reads and parses a spec file.
Result<ModelSpec> LoadModelSpec(const std::string& path);
// The spec in the JSON form ParseModelSpec reads, every field written out ("file" as resolved).
// `indent` as nlohmann::json::dump: -1 for one line, otherwise pretty-printed.
std::string ModelSpecToJson(const ModelSpec& spec, int indent = -1);

// The default "cnn" model: MobileNetV2 1.0/224 (tf2_mobilenet_v2_1.0_224_ptq.tflite in
// `model_dir`), GAP embedding (1280-d), x/127.5-1 RGB, centre crop, flip-averaged.
ModelSpec DefaultCnnSpec(const std::string& model_dir);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_MODEL_SPEC_H_
