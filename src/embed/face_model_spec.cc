#include "embed/face_model_spec.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "util/file.h"

namespace alike::embed {
namespace {

using json = nlohmann::json;

Status FieldError(const std::string& origin, const std::string& field, const std::string& why) {
  return Status::InvalidArgument(origin + ": field \"" + field + "\": " + why);
}

bool IsPair(const json& p) {
  return p.is_array() && p.size() == 2 && p[0].is_number() && p[1].is_number();
}

Status ReadTemplate(const json& j, const FaceModelSpec& spec, const std::string& origin,
                    std::vector<cv::Point2f>* out) {
  if (!j.is_array() || j.size() != 5) {
    return FieldError(origin, "template", "expected five [x, y] points");
  }
  for (const json& p : j) {
    if (!IsPair(p)) return FieldError(origin, "template", "expected five [x, y] points");
    const float x = p[0].get<float>(), y = p[1].get<float>();
    const PreprocessSpec& in = spec.network.input;
    if (!(x >= 0 && x <= in.width && y >= 0 && y <= in.height)) {
      return FieldError(origin, "template", "a point lies outside the input");
    }
    out->emplace_back(x, y);
  }
  return Status::OK();
}

Status ReadCalibration(const json& j, const std::string& origin, std::vector<FarPoint>* out) {
  if (!j.is_array()) return FieldError(origin, "calibration", "expected [FAR, distance] pairs");
  for (const json& p : j) {
    if (!IsPair(p) || !(p[0].get<double>() > 0 && p[0].get<double>() < 1) ||
        !(p[1].get<double>() >= 0 && p[1].get<double>() <= 4)) {
      return FieldError(origin, "calibration",
                        "expected [FAR, distance] pairs, FAR in (0, 1), distance in [0, 4]");
    }
    const FarPoint point{p[0].get<double>(), p[1].get<float>()};
    if (!out->empty() && !(point.far < out->back().far && point.distance <= out->back().distance)) {
      return FieldError(origin, "calibration", "FAR and distance must fall from pair to pair");
    }
    out->push_back(point);
  }
  return Status::OK();
}

}  // namespace

FaceModelSpec DlibFaceModelSpec() {
  FaceModelSpec spec;
  spec.name = "face";
  const std::span<const FarPoint> table = DlibFaceCalibration();
  spec.calibration.assign(table.begin(), table.end());
  return spec;
}

bool IsFaceModelSpec(std::string_view text) {
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("kind") && j["kind"] == "face";
}

Result<FaceModelSpec> ParseFaceModelSpec(std::string_view text, const std::string& base_dir,
                                         const std::string& origin) {
  // The fields a cnn spec has too are read as it reads them.
  auto common = ParseModelSpec(text, base_dir, origin);
  if (!common.ok()) return common.status();
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!j.contains("kind") || j["kind"] != "face") {
    return FieldError(origin, "kind", "expected \"face\"");
  }
  if (std::filesystem::path(common->file).extension() != ".onnx") {
    return FieldError(origin, "file", "a face model must be an .onnx file");
  }
  FaceModelSpec spec;
  spec.name = common->name;
  spec.weights = FaceModelSpec::Weights::kOnnx;
  spec.network = std::move(*common);
  // The aligned face is already the input's size, and the network's output is the embedding.
  spec.network.input.resize = PreprocessSpec::Resize::kStretch;
  spec.network.pooling = Pooling::kNone;
  spec.network.flip_average = j.contains("flip_average") && spec.network.flip_average;
  if (spec.network.dimension == 0) {
    return FieldError(origin, "dimension", "required for a face model (its output's size)");
  }
  spec.dimension = spec.network.dimension;
  if (!j.contains("template")) return FieldError(origin, "template", "required");
  ALIKE_RETURN_IF_ERROR(ReadTemplate(j["template"], spec, origin, &spec.alignment_template));
  spec.cosine = true;
  if (j.contains("metric")) {
    if (j["metric"] != "cosine" && j["metric"] != "l2") {
      return FieldError(origin, "metric", "expected cosine or l2");
    }
    spec.cosine = j["metric"] == "cosine";
  }
  if (!j.contains("same_person_distance") || !j["same_person_distance"].is_number() ||
      !(j["same_person_distance"].get<double>() > 0 &&
        j["same_person_distance"].get<double>() < 4)) {
    return FieldError(origin, "same_person_distance",
                      "required: the squared L2 distance in (0, 4) below which two faces are "
                      "one person");
  }
  spec.same_person_distance = j["same_person_distance"].get<float>();
  for (const auto& [field, scale] : {std::pair{"margin_scale", &spec.margin_scale},
                                     std::pair{"expansion_scale", &spec.expansion_scale}}) {
    if (!j.contains(field)) continue;
    const json& m = j[field];
    if (!m.is_number() || !(m.get<double>() > 0 && m.get<double>() <= 100)) {
      return FieldError(origin, field, "expected a number in (0, 100]");
    }
    *scale = m.get<float>();
  }
  if (j.contains("calibration")) {
    ALIKE_RETURN_IF_ERROR(ReadCalibration(j["calibration"], origin, &spec.calibration));
  }
  return spec;
}

Result<FaceModelSpec> LoadFaceModelSpec(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return ParseFaceModelSpec(*text, std::filesystem::path(path).parent_path().string(), path);
}

}  // namespace alike::embed
