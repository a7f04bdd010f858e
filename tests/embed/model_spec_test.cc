#include "embed/model_spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "embed/cnn_embedder.h"
#include "testing/models.h"
#include "testing/temp_dir.h"

namespace alike::embed {
namespace {

namespace fs = std::filesystem;

// The ONNX reference conversions are test data; the .tflite originals are installed by setup.
std::string SharedModels() { return std::string(ALIKE_SHARED_DIR) + "/models"; }

constexpr char kEveryField[] = R"({"name": "v1", "file": "m.onnx",
    "input": {"width": 160, "height": 128, "resize": "letterbox", "color": "bgr",
              "mean": [1, 2, 3], "scale": 0.5, "pad": 114},
    "output": "dw13", "pooling": "gem", "gem_p": 4, "flip_average": false, "dimension": 1024,
    "weight": 1.5})";

TEST(ModelSpecTest, ParsesEveryField) {
  auto spec = ParseModelSpec(kEveryField, "/models", "spec.json");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->name, "v1");
  EXPECT_EQ(spec->file, "/models/m.onnx");
  EXPECT_EQ(spec->input.width, 160);
  EXPECT_EQ(spec->input.height, 128);
  EXPECT_EQ(spec->input.resize, PreprocessSpec::Resize::kLetterbox);
  EXPECT_FALSE(spec->input.rgb);
  EXPECT_EQ(spec->input.mean, cv::Scalar(1, 2, 3));
  EXPECT_EQ(spec->input.scale, cv::Scalar(0.5, 0.5, 0.5));
  EXPECT_EQ(spec->input.pad, 114);
  EXPECT_EQ(spec->output, "dw13");
  EXPECT_EQ(spec->pooling, Pooling::kGem);
  EXPECT_EQ(spec->gem_p, 4);
  EXPECT_FALSE(spec->flip_average);
  EXPECT_EQ(spec->dimension, 1024u);
  EXPECT_EQ(spec->weight, 1.5);
}

TEST(ModelSpecTest, ParsesModelListsAndSingleModels) {
  auto pair = ParseEmbedderSpec(R"({"models": [
      {"file": "a.tflite", "pooling": "gem", "flip_average": false},
      {"name": "b", "file": "sub/b.onnx", "output": "x", "weight": 1.4}]})",
                                "/m", "pair.json");
  ASSERT_TRUE(pair.ok()) << pair.status().ToString();
  EXPECT_EQ(pair->name, "a+b");
  ASSERT_EQ(pair->models.size(), 2u);
  EXPECT_EQ(pair->models[0].file, "/m/a.tflite");
  EXPECT_EQ(pair->models[0].pooling, Pooling::kGem);
  EXPECT_EQ(pair->models[0].weight, 1.0);
  EXPECT_EQ(pair->models[1].file, "/m/sub/b.onnx");
  EXPECT_EQ(pair->models[1].weight, 1.4);

  auto named = ParseEmbedderSpec(R"({"name": "both", "models": [{"file": "a.tflite"}]})", "", "n");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->name, "both");

  auto single = ParseEmbedderSpec(R"({"file": "c.tflite", "weight": 2})", "d", "s.json");
  ASSERT_TRUE(single.ok()) << single.status().ToString();
  EXPECT_EQ(single->name, "c");
  ASSERT_EQ(single->models.size(), 1u);
  EXPECT_EQ(single->models[0].file, "d/c.tflite");

  struct Bad {
    const char* json;
    const char* where;
  };
  for (const Bad& b :
       {Bad{R"({"models": {}})", "\"models\""}, Bad{R"({"models": []})", "\"models\""},
        Bad{R"({"models": [{"file": "a.tflite"}, {"file": "b.onnx"}]})",
            "models[1]: field \"output\""},
        Bad{R"({"models": [{"file": "a.tflite"}, 3]})", "models[1]"},
        Bad{R"({"models": [{"file": "a.tflite", "weight": 0}]})", "\"weight\""},
        Bad{R"({"file": "a.tflite", "weight": "1"})", "\"weight\""},
        Bad{R"({"name": 1, "models": [{"file": "a.tflite"}]})", "\"name\""}}) {
    auto r = ParseEmbedderSpec(b.json, "d", "list.json");
    ASSERT_FALSE(r.ok()) << b.json;
    EXPECT_NE(r.status().message().find("list.json"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(b.where), std::string::npos) << r.status().message();
  }
}

TEST(ModelSpecTest, DefaultsAndErrorsNameFileAndField) {
  auto spec = ParseModelSpec(R"({"file": "a/b.tflite"})", "dir", "s.json");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->name, "b");
  EXPECT_EQ(spec->file, "dir/a/b.tflite");
  EXPECT_EQ(spec->input.width, 224);
  EXPECT_TRUE(spec->flip_average);
  EXPECT_EQ(spec->pooling, Pooling::kGap);

  struct Bad {
    const char* json;
    const char* field;
  };
  for (const Bad& b :
       {Bad{"{", "JSON"}, Bad{R"({"name": "x"})", "\"file\""},
        Bad{R"({"file": "m.pt"})", "\"file\""}, Bad{R"({"file": "m.onnx"})", "\"output\""},
        Bad{R"({"file": "m.tflite", "input": {"width": -1}})", "input.width"},
        Bad{R"({"file": "m.tflite", "input": {"resize": "x"}})", "input.resize"},
        Bad{R"({"file": "m.tflite", "input": {"color": "hsv"}})", "input.color"},
        Bad{R"({"file": "m.tflite", "input": {"mean": [1, 2]}})", "input.mean"},
        Bad{R"({"file": "m.tflite", "pooling": "max"})", "pooling"},
        Bad{R"({"file": "m.tflite", "gem_p": "3"})", "gem_p"},
        Bad{R"({"file": "m.tflite", "flip_average": 1})", "flip_average"},
        Bad{R"({"file": "m.tflite", "dimension": 1.5})", "dimension"}}) {
    auto r = ParseModelSpec(b.json, "d", "the-spec.json");
    ASSERT_FALSE(r.ok()) << b.json;
    EXPECT_NE(r.status().message().find("the-spec.json"), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find(b.field), std::string::npos) << r.status().message();
  }
}

// The JSON form reads back into the same spec.
TEST(ModelSpecTest, JsonRoundTrips) {
  auto spec = ParseModelSpec(kEveryField, "/models", "spec.json");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  for (const EmbedderSpec& s :
       {EmbedderSpec{.name = "one", .models = {*spec}}, DefaultCnnSpec("/models")}) {
    const std::string text = EmbedderSpecToJson(s);
    auto back = ParseEmbedderSpec(text, "/elsewhere", "round trip");
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
    ASSERT_EQ(back->models.size(), s.models.size());
    // Written resolved, so the base directory no longer matters.
    EXPECT_EQ(back->models[0].file, s.models[0].file);
    EXPECT_EQ(EmbedderSpecToJson(*back), text);
  }
  EXPECT_NE(EmbedderSpecToJson({.name = "one", .models = {*spec}}, 2)
                .find("\n      \"file\": \"/models/m.onnx\""),
            std::string::npos);
}

// Spec files on disk pointing at the shared .onnx and the installed .tflite models load and embed.
TEST(ModelSpecTest, SpecFilesLoadRealModels) {
  const std::string onnx = SharedModels() + "/mobilenet_v1_imagenet_embedding.onnx";
  const std::string tflite = test::InstalledModel(test::kMobileNetV1);
  if (!fs::exists(tflite)) GTEST_SKIP() << test::NotInstalled(tflite);
  if (!fs::exists(onnx)) GTEST_SKIP() << "shared reference model absent: " << onnx;
  test::TempDir tmp;
  const fs::path dir = tmp.path();
  // Relative paths, to check that they resolve against the spec file's directory.
  const std::string rel_onnx = fs::relative(onnx, dir).string();
  const std::string rel_tflite = fs::relative(tflite, dir).string();
  const std::vector<std::pair<std::string, std::string>> specs = {
      {"onnx.json", R"({"file": ")" + rel_onnx + R"(",
          "output": "dw13", "pooling": "gem", "flip_average": false, "dimension": 1024})"},
      {"tflite.json", R"({"file": ")" + rel_tflite + R"(",
          "input": {"mean": 127.5, "scale": 0.00784313725}, "dimension": 1024})"},
      {"bad_dim.json", R"({"file": ")" + rel_onnx + R"(", "output": "t82",
          "dimension": 512})"}};
  cv::Mat img(240, 320, CV_8UC3);
  cv::randu(img, 0, 256);
  for (const auto& [name, text] : specs) {
    std::ofstream(dir / name) << text;
    auto spec = LoadEmbedderSpec((dir / name).string());
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    auto e = CnnEmbedder::Open(*spec);
    if (name == "bad_dim.json") {
      ASSERT_FALSE(e.ok());
      EXPECT_NE(e.status().message().find("512"), std::string::npos) << e.status().message();
      continue;
    }
    ASSERT_TRUE(e.ok()) << name << ": " << e.status().ToString();
    EXPECT_EQ((*e)->dimension(), 1024u);
    auto v = (*e)->Embed(img);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    ASSERT_EQ(v->size(), 1u);
    double n = 0;
    for (float x : (*v)[0].vector) n += double(x) * x;
    EXPECT_NEAR(n, 1.0, 1e-4) << name;
    std::cout << name << ": version " << (*e)->version() << "\n";
  }
  EXPECT_FALSE(LoadEmbedderSpec((dir / "missing.json").string()).ok());
}

}  // namespace
}  // namespace alike::embed
