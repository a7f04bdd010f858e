// ModelSpec and EmbedderSpec: what a CNN embedder runs, declared in a small JSON file beside the
// weights so that a new model needs no code change. One model:
//
//   {"name": "mobilenet_v2", "file": "tf2_mobilenet_v2_1.0_224_ptq.tflite",
//    "input": {"width": 224, "height": 224, "resize": "center_crop", "color": "rgb",
//              "mean": [127.5, 127.5, 127.5], "scale": [0.00784314, 0.00784314, 0.00784314]},
//    "output": "", "pooling": "gem", "gem_p": 3, "flip_average": false, "dimension": 1280}
//
// or several, whose outputs are concatenated (see EmbedderSpec):
//
//   {"name": "mobilenet_v2+v1", "models": [{"file": "a.tflite", ...},
//                                          {"file": "b.tflite", "weight": 1.4, ...}]}
//
// "file" is .tflite (read by alike's importer) or .onnx (OpenCV), relative to the spec file.
// "output" names the layer to read; empty (.tflite only) means the model's own globally pooled
// embedding, or with pooling "gem" the feature map that pooling reads. For .onnx it must be one of
// the graph's outputs: OpenCV 4.6 names other layers internally. "pooling" reduces an [1, C,
// H, W] output over H and W: none (the output must already be C values), gap (mean) or gem
// (generalised mean, exponent gem_p). "dimension" 0 or absent: whatever the net produces; otherwise
// it is checked when the model is opened. "weight" scales the model's unit-length output inside a
// concatenation. Every field but "file" is optional (defaults below). Errors name the spec file and
// the field.
//
// Thread-safety: plain values and pure functions; safe to use concurrently.
#ifndef ALIKE_EMBED_MODEL_SPEC_H_
#define ALIKE_EMBED_MODEL_SPEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"
#include "embed/preprocess.h"

namespace alike::embed {

enum class Pooling { kNone, kGap, kGem };
const char* PoolingName(Pooling pooling);  // "none", "gap", "gem"

// One network and how its output becomes a vector.
struct ModelSpec {
  std::string name;  // defaults to the file's stem
  std::string file;  // resolved: absolute or relative to the working directory
  PreprocessSpec input;
  std::string output;  // layer name; empty: see the top of this file
  Pooling pooling = Pooling::kGap;
  double gem_p = 3;
  bool flip_average = true;
  uint32_t dimension = 0;  // 0 = not checked
  double weight = 1;       // only matters beside other models
};

// A whole "cnn" embedder: each model's output is L2-normalised and scaled by its weight, the
// results are concatenated and the whole normalised again. The cosine of two such vectors is
// then the weighted mean of the models' cosines, sum(w_i^2 cos_i) / sum(w_i^2): models from
// different training runs make different mistakes, and the mean of their similarities ranks
// better than either alone (README, "Choosing the image embedding").
struct EmbedderSpec {
  std::string name;  // defaults to the models' names joined by "+"
  std::vector<ModelSpec> models;
};

// Parses one model's spec; `file` is resolved against `base_dir`; `origin` names the spec in
// errors.
Result<ModelSpec> ParseModelSpec(std::string_view json, const std::string& base_dir,
                                 const std::string& origin);
// Parses either form above: a single model object, or {"name": ..., "models": [...]}.
Result<EmbedderSpec> ParseEmbedderSpec(std::string_view json, const std::string& base_dir,
                                       const std::string& origin);
// Reads and parses a spec file (either form).
Result<EmbedderSpec> LoadEmbedderSpec(const std::string& path);
// The spec in the JSON form ParseEmbedderSpec reads, every field written out ("file" as
// resolved); a single model named like the spec in the one-model form. `indent` as
// nlohmann::json::dump: -1 for one line, otherwise pretty-printed.
std::string EmbedderSpecToJson(const EmbedderSpec& spec, int indent = -1);

// The default "cnn" embedder, from `model_dir`: MobileNetV2 1.0/224
// (tf2_mobilenet_v2_1.0_224_ptq.tflite; GeM, p = 3, of its last feature map; 1280-d; weight 1)
// beside MobileNetV1 1.0/224 (mobilenet_v1_1.0_224_quant_embedding_extractor.tflite; GeM of its
// last feature map; 1024-d; weight 1.4, so its cosine counts twice as much as MobileNetV2's);
// both fed 192x192 (x/127.5-1 RGB, centre crop), no flip averaging. 2304-d. The measurements behind
// each choice: README, "Choosing the image embedding".
EmbedderSpec DefaultCnnSpec(const std::string& model_dir);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_MODEL_SPEC_H_
