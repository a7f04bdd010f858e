// Face model specs (face_model_spec.h) and the face embedder with an ONNX model: parsing and its
// errors, the registry's listing, a spec that does not match its weights and a truncated model
// file (clear errors naming the file), end to end on a tiny ONNX network the test writes itself;
// and, when scripts/setup.sh --face-model faceplugin installed it, the opt-in ArcFace model.
#include "embed/face_model_spec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "embed/face_embedder.h"
#include "embed/model_dir.h"
#include "embed/registry.h"
#include "image/decoder.h"
#include "testing/models.h"
#include "testing/onnx_writer.h"
#include "testing/temp_dir.h"
#include "util/file.h"

namespace alike::embed {
namespace {

namespace fs = std::filesystem;

// A face model spec for a file, with the ArcFace template scaled to a `side`-pixel input.
std::string Spec(const std::string& file, int side, const std::string& output, int dimension,
                 const std::string& extra = "") {
  const double s = side / 112.0;
  auto point = [&](double x, double y) {
    return "[" + std::to_string(x * s) + ", " + std::to_string(y * s) + "]";
  };
  return R"({"kind": "face", "name": "tiny", "file": ")" + file + R"(", "input": {"width": )" +
         std::to_string(side) + ", \"height\": " + std::to_string(side) +
         R"(, "color": "rgb", "mean": 127, "scale": 0.0078125}, "template": [)" +
         point(38.2946, 51.6963) + ", " + point(73.5318, 51.5014) + ", " + point(56.0252, 71.7366) +
         ", " + point(41.5493, 92.3655) + ", " + point(70.7299, 92.2041) + R"(], "output": ")" +
         output + R"(", "dimension": )" + std::to_string(dimension) +
         R"(, "same_person_distance": 0.9)" + extra + "}";
}

TEST(FaceModelSpecTest, ParsesAnArcFaceSpec) {
  auto spec = ParseFaceModelSpec(
      Spec(
          "m.onnx", 112, "output", 512,
          R"(, "margin_scale": 10, "expansion_scale": 3, "calibration": [[1e-2, 1.1], [1e-3, 1.0], [1e-4, 0.9]])"),
      "/models", "m.json");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->name, "tiny");
  EXPECT_FALSE(spec->is_dlib());
  EXPECT_EQ(spec->network.file, "/models/m.onnx");
  EXPECT_EQ(spec->network.input.width, 112);
  EXPECT_EQ(spec->network.input.resize, PreprocessSpec::Resize::kStretch);
  EXPECT_EQ(spec->network.pooling, Pooling::kNone);
  EXPECT_FALSE(spec->network.flip_average);  // unless the spec asks
  EXPECT_EQ(spec->network.output, "output");
  EXPECT_EQ(spec->dimension, 512u);
  EXPECT_TRUE(spec->cosine);
  ASSERT_EQ(spec->alignment_template.size(), 5u);
  EXPECT_NEAR(spec->alignment_template[4].y, 92.2041, 1e-3);
  EXPECT_FLOAT_EQ(spec->same_person_distance, 0.9f);
  EXPECT_FLOAT_EQ(spec->margin_scale, 10);
  EXPECT_FLOAT_EQ(spec->expansion_scale, 3);
  ASSERT_EQ(spec->calibration.size(), 3u);
  EXPECT_FLOAT_EQ(DistanceAtFar(spec->calibration, 1e-3), 1.0f);
  EXPECT_TRUE(IsFaceModelSpec(Spec("m.onnx", 112, "output", 512)));
  EXPECT_FALSE(IsFaceModelSpec(R"({"file": "m.onnx", "output": "x"})"));
  EXPECT_FALSE(IsFaceModelSpec("{not json"));
}

TEST(FaceModelSpecTest, DlibIsTheBuiltInDefault) {
  const FaceModelSpec dlib = DlibFaceModelSpec();
  EXPECT_TRUE(dlib.is_dlib());
  EXPECT_EQ(dlib.dimension, 128u);
  EXPECT_FLOAT_EQ(dlib.same_person_distance, 0.17f);
  EXPECT_FLOAT_EQ(dlib.margin_scale, 1);
  EXPECT_FLOAT_EQ(dlib.expansion_scale, 1);
  EXPECT_EQ(dlib.calibration.size(), DlibFaceCalibration().size());
  EXPECT_TRUE(FaceEmbedderOptions{}.model.is_dlib());
}

TEST(FaceModelSpecTest, MistakesNameTheFileAndTheField) {
  const struct {
    std::string json, field;
  } cases[] = {
      {R"({"kind": "face", "file": "m.onnx", "output": "o", "dimension": 4,
          "same_person_distance": 1})",
       "template"},
      {R"({"kind": "face", "file": "m.onnx", "output": "o", "dimension": 4,
          "same_person_distance": 1, "template": [[1, 2], [3, 4]]})",
       "template"},
      {Spec("m.onnx", 56, "o", 4)
           .replace(Spec("m.onnx", 56, "o", 4).find("\"width\": 56"), 11, "\"width\": 16"),
       "template"},  // points outside a 16-pixel-wide input
      {Spec("m.onnx", 112, "o", 0), "dimension"},
      {Spec("m.tflite", 112, "o", 4), "file"},
      {Spec("m.onnx", 112, "", 4), "output"},
      {Spec("m.onnx", 112, "o", 4, R"(, "metric": "dot")"), "metric"},
      {Spec("m.onnx", 112, "o", 4, R"(, "margin_scale": 0)"), "margin_scale"},
      {Spec("m.onnx", 112, "o", 4, R"(, "expansion_scale": -1)"), "expansion_scale"},
      {Spec("m.onnx", 112, "o", 4, R"(, "calibration": [[1e-3, 1.0], [1e-2, 1.1]])"),
       "calibration"},
      {Spec("m.onnx", 112, "o", 4, R"(, "calibration": [[2, 1.0]])"), "calibration"},
      {R"({"kind": "face", "file": "m.onnx", "output": "o", "dimension": 4,
          "template": [[38, 51], [73, 51], [56, 71], [41, 92], [70, 92]]})",
       "same_person_distance"},
      {R"({"kind": "cnn", "file": "m.onnx", "output": "o"})", "kind"},
  };
  for (const auto& c : cases) {
    auto spec = ParseFaceModelSpec(c.json, "/models", "bad.json");
    ASSERT_FALSE(spec.ok()) << c.json;
    EXPECT_NE(spec.status().message().find("bad.json"), std::string::npos)
        << spec.status().ToString();
    EXPECT_NE(spec.status().message().find("\"" + c.field + "\""), std::string::npos)
        << c.field << ": " << spec.status().ToString();
  }
}

// The embedder with a spec on real pictures; skipped without the YuNet detector or LFW.
class OnnxFaceModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FaceEmbedderOptions yunet;
    yunet.model.network.file = "/dev/null";  // only the detector's files are looked for
    if (!FaceEmbedder::Installed(DefaultModelDir(), yunet)) {
      GTEST_SKIP() << test::NotInstalled(DefaultModelDir() + "/yunet_2022mar_320x320.onnx");
    }
    yunet.model = DlibFaceModelSpec();
    if (!fs::exists(Lfw())) GTEST_SKIP() << Lfw() << " is absent (the shared test data)";
    net_.width = net_.height = 16;
    net_.channels_out = 4;
    for (int o = 0; o < net_.channels_out; ++o) {
      net_.bias.push_back(0.1f * float(o));
      for (int i = 0; i < net_.channels_in * net_.kernel * net_.kernel; ++i) {
        net_.weight.push_back(0.05f * float((o * 7 + i * 5) % 11 - 5));
      }
    }
    model_ = test::onnx::SerializeModel(test::onnx::ConvReluGap(net_));
    ASSERT_TRUE(WriteFileAtomically(dir_.Sub("tiny.onnx"), model_).ok());
  }

  static std::string Lfw() {
    return std::string(ALIKE_SHARED_DIR) +
           "/data/faces/lfw-fold1/images/Abel_Pacheco/Abel_Pacheco_0001.jpg";
  }

  // Opens the embedder a spec file with `json` describes.
  Result<std::unique_ptr<FaceEmbedder>> Open(const std::string& json) {
    EXPECT_TRUE(WriteFileAtomically(dir_.Sub("spec.json"), json).ok());
    auto spec = LoadFaceModelSpec(dir_.Sub("spec.json"));
    if (!spec.ok()) return spec.status();
    return FaceEmbedder::Open(DefaultModelDir(), {.model = *spec});
  }

  test::TempDir dir_;
  test::onnx::ConvNet net_;
  std::string model_;
};

TEST_F(OnnxFaceModelTest, EmbedsAlignedFaces) {
  auto embedder = Open(Spec("tiny.onnx", 16, "gap", 4));
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  EXPECT_EQ((*embedder)->dimension(), 4u);
  EXPECT_EQ((*embedder)->name(), "face");
  EXPECT_EQ((*embedder)->version().rfind("face-tiny-", 0), 0u) << (*embedder)->version();
  auto img = image::DecodeFile(Lfw());
  ASSERT_TRUE(img.ok());
  auto faces = (*embedder)->Embed(img->bgr);
  ASSERT_TRUE(faces.ok()) << faces.status().ToString();
  ASSERT_EQ(faces->size(), 1u);
  const Embedding& face = faces->front();
  ASSERT_EQ(face.vector.size(), 4u);
  double norm = 0;
  for (float x : face.vector) norm += double(x) * x;
  EXPECT_NEAR(norm, 1, 1e-5);
  ASSERT_EQ(face.landmarks.size(), 5u);                 // YuNet's: eyes, nose tip, mouth corners
  EXPECT_LT(face.landmarks[0].x, face.landmarks[1].x);  // the eye on the picture's left first
  // An upright face: the eyes level, farther apart across than up and down.
  EXPECT_LT(std::abs(face.landmarks[0].y - face.landmarks[1].y),
            0.5f * (face.landmarks[1].x - face.landmarks[0].x));
  EXPECT_LT(face.landmarks[0].y, face.landmarks[3].y);  // eyes above the mouth
  EXPECT_TRUE(face.region->contains(cv::Point(face.landmarks[2])));
  // A box without landmarks is aligned by the template placed in it.
  auto boxed = (*embedder)->EmbedBox(img->bgr, cv::Rect2f(*face.region), nullptr);
  ASSERT_TRUE(boxed.ok()) << boxed.status().ToString();
  EXPECT_EQ(boxed->vector.size(), 4u);
  // Another spec of the same weights is another vector space.
  auto other = Open(Spec("tiny.onnx", 16, "gap", 4, R"(, "flip_average": true)"));
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_NE((*other)->version(), (*embedder)->version());
}

TEST_F(OnnxFaceModelTest, ASpecThatDoesNotMatchItsWeightsIsRefused) {
  auto wrong_size = Open(Spec("tiny.onnx", 16, "gap", 512));
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_NE(wrong_size.status().message().find(dir_.Sub("tiny.onnx")), std::string::npos)
      << wrong_size.status().ToString();
  EXPECT_NE(wrong_size.status().message().find("512"), std::string::npos);
  auto wrong_output = Open(Spec("tiny.onnx", 16, "output", 4));
  ASSERT_FALSE(wrong_output.ok());
  EXPECT_NE(wrong_output.status().message().find("tiny.onnx"), std::string::npos)
      << wrong_output.status().ToString();
  // A real network of another kind: the YuNet detector, whose outputs are no face embedding.
  const std::string yunet = test::InstalledModel("yunet_2022mar_320x320.onnx");
  auto detector = Open(Spec(yunet, 112, "loc", 512));
  ASSERT_FALSE(detector.ok());
  EXPECT_NE(detector.status().message().find(yunet), std::string::npos)
      << detector.status().ToString();
  auto missing = Open(Spec("absent.onnx", 16, "gap", 4));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent.onnx"), std::string::npos)
      << missing.status().ToString();
}

TEST_F(OnnxFaceModelTest, ATruncatedModelFileIsRefused) {
  for (size_t keep : {size_t(0), model_.size() / 2, model_.size() - 1}) {
    ASSERT_TRUE(WriteFileAtomically(dir_.Sub("cut.onnx"), model_.substr(0, keep)).ok());
    auto embedder = Open(Spec("cut.onnx", 16, "gap", 4));
    ASSERT_FALSE(embedder.ok()) << keep << " bytes";
    EXPECT_NE(embedder.status().message().find(dir_.Sub("cut.onnx")), std::string::npos)
        << embedder.status().ToString();
  }
}

TEST_F(OnnxFaceModelTest, TheRegistryListsFaceSpecs) {
  ASSERT_TRUE(WriteFileAtomically(dir_.Sub("tiny.json"), Spec("tiny.onnx", 16, "gap", 4)).ok());
  ASSERT_TRUE(
      WriteFileAtomically(dir_.Sub("broken.json"), R"({"kind": "face", "file": "x.onnx"})").ok());
  std::vector<std::string> faces;
  for (const ModelEntry& e : ListModels(dir_.path())) {
    if (e.kind == ModelKind::kFace) faces.push_back(e.name);
  }
  EXPECT_EQ(faces, (std::vector<std::string>{"broken", "tiny"}));
  auto tiny = FindFaceModel(dir_.path(), "tiny");
  ASSERT_TRUE(tiny.ok()) << tiny.status().ToString();
  EXPECT_EQ(tiny->dimension, 4u);
  EXPECT_TRUE(FindFaceModel(dir_.path(), "face")->is_dlib());
  EXPECT_TRUE(FindFaceModel(dir_.path(), "")->is_dlib());
  auto broken = FindFaceModel(dir_.path(), "broken");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("broken.json"), std::string::npos);
  auto cnn = FindFaceModel(dir_.path(), "color");
  ASSERT_FALSE(cnn.ok());
  EXPECT_NE(cnn.status().message().find("not a face model"), std::string::npos);
  EXPECT_EQ(FindFaceModel(dir_.path(), "nobody").status().code(), Status::Code::kNotFound);
}

// The opt-in ArcFace model (scripts/setup.sh --face-model faceplugin): the same person closer
// than other people, by a wide margin.
TEST(FaceModelOptInTest, FacepluginSeparatesPeople) {
  auto model = FindFaceModel(DefaultModelDir(), "faceplugin");
  if (!model.ok() || !fs::exists(model->network.file)) {
    GTEST_SKIP() << "the opt-in face model faceplugin is not installed (scripts/setup.sh "
                    "--face-model faceplugin)";
  }
  const std::string dir = std::string(ALIKE_SHARED_DIR) + "/data/faces/lfw-fold1/images/";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " is absent (the shared test data)";
  auto embedder = FaceEmbedder::Open(DefaultModelDir(), {.model = *model});
  ASSERT_TRUE(embedder.ok()) << embedder.status().ToString();
  EXPECT_EQ((*embedder)->dimension(), 512u);
  auto one = [&](const std::string& file) {
    auto img = image::DecodeFile(dir + file);
    EXPECT_TRUE(img.ok());
    auto faces = (*embedder)->Embed(img->bgr);
    EXPECT_TRUE(faces.ok() && faces->size() == 1);
    return faces.ok() && !faces->empty() ? faces->front().vector : std::vector<float>(512);
  };
  auto distance = [](const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += double(a[i] - b[i]) * (a[i] - b[i]);
    return s;
  };
  const auto a1 = one("Abel_Pacheco/Abel_Pacheco_0001.jpg");
  const auto a2 = one("Abel_Pacheco/Abel_Pacheco_0002.jpg");
  const auto other = one("Alan_Dershowitz/Alan_Dershowitz_0001.jpg");
  EXPECT_LT(distance(a1, a2), model->same_person_distance);
  EXPECT_GT(distance(a1, other), model->same_person_distance);
}

}  // namespace
}  // namespace alike::embed
