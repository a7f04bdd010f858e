// `alike models`, run as a user runs it: the real binary on real model directories.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>

#include "testing/cli.h"
#include "testing/models.h"
#include "testing/onnx_writer.h"
#include "util/file.h"

namespace alike {
namespace {

namespace fs = std::filesystem;
using test::JsonLines;
using test::RunAlike;

// The one JSON document `alike --json models ...` prints.
nlohmann::json ListJson(const test::TempDir& dir, const std::string& args) {
  auto r = RunAlike(dir, "--json models " + args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  EXPECT_EQ(lines.size(), 1u) << r.out;
  return lines.empty() ? nlohmann::json() : lines[0];
}

TEST(ModelsCommandTest, ListsBuiltInsAndAMissingCnn) {
  test::TempDir dir;
  fs::create_directory(dir.Sub("models"));
  const nlohmann::json list = ListJson(dir, "--models " + dir.Sub("models"));
  EXPECT_EQ(list["models_dir"], dir.Sub("models"));
  ASSERT_EQ(list["embedders"].size(), 4u) << list.dump();
  const nlohmann::json& cnn = list["embedders"][0];
  EXPECT_EQ(cnn["name"], "cnn");
  EXPECT_EQ(cnn["status"], "missing");
  EXPECT_EQ(cnn["dimension"], 1280 + 1024);  // MobileNetV2 beside MobileNetV1
  EXPECT_EQ(cnn["files"], nlohmann::json::array({dir.Sub("models/") + test::kMobileNetV2,
                                                 dir.Sub("models/") + test::kMobileNetV1}));
  const nlohmann::json& color = list["embedders"][1];
  EXPECT_EQ(color["name"], "color");
  EXPECT_EQ(color["status"], "ready");
  EXPECT_GT(color["dimension"].get<int>(), 0);
  EXPECT_FALSE(color["version"].get<std::string>().empty());
  EXPECT_EQ(color["metric"], "cosine");
  // The perceptual hashes: binary vectors, their dimension counting bits.
  for (const auto& [index, name, bits] : {std::tuple{2, "pdq", 256}, std::tuple{3, "dct64", 64}}) {
    const nlohmann::json& hash = list["embedders"][index];
    EXPECT_EQ(hash["name"], name);
    EXPECT_EQ(hash["status"], "ready");
    EXPECT_EQ(hash["metric"], "hamming");
    EXPECT_EQ(hash["dimension"], bits);
  }

  auto text = RunAlike(dir, "models --models " + dir.Sub("models"));
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("run scripts/setup.sh"), std::string::npos) << text.out;

  // $ALIKE_MODELS is the default directory; --models overrides it. The caller's value is put
  // back, since the other tests find the installed weights through it.
  const char* caller = std::getenv("ALIKE_MODELS");
  const std::string saved = caller != nullptr ? caller : "";
  ::setenv("ALIKE_MODELS", dir.Sub("elsewhere").c_str(), 1);
  EXPECT_EQ(ListJson(dir, "")["models_dir"], dir.Sub("elsewhere"));
  EXPECT_EQ(ListJson(dir, "--models " + dir.Sub("models"))["models_dir"], dir.Sub("models"));
  ::setenv("ALIKE_MODELS", saved.c_str(), 1);  // empty means unset to DefaultModelDir()
}

TEST(ModelsCommandTest, ListsAndShowsUserSpecs) {
  test::TempDir dir;
  const std::string models = dir.Sub("models");
  fs::create_directory(models);
  std::ofstream(models + "/tiny.json")
      << R"({"name": "tiny", "file": "tiny.onnx", "output": "gap", "dimension": 4,
             "input": {"width": 8, "height": 6, "color": "bgr"}})";
  std::ofstream(models + "/broken.json") << R"({"name": "broken"})";
  std::ofstream(models + "/notes.txt") << "not a spec";

  // A spec that does not parse is listed with its error, and the listing fails.
  auto r = RunAlike(dir, "--json models --models " + models);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.json"), std::string::npos) << r.err;
  const nlohmann::json list = JsonLines(r.out).at(0);
  ASSERT_EQ(list["embedders"].size(), 6u) << list.dump();
  const nlohmann::json& broken = list["embedders"][4];
  EXPECT_EQ(broken["name"], "broken");
  EXPECT_EQ(broken["status"], "error");
  EXPECT_NE(broken["error"].get<std::string>().find("\"file\""), std::string::npos);
  const nlohmann::json& tiny = list["embedders"][5];
  EXPECT_EQ(tiny["name"], "tiny");
  EXPECT_EQ(tiny["source"], models + "/tiny.json");
  EXPECT_EQ(tiny["files"], nlohmann::json::array({models + "/tiny.onnx"}));
  EXPECT_EQ(tiny["status"], "missing");
  EXPECT_EQ(tiny["dimension"], 4);

  // --models may come after the name too.
  r = RunAlike(dir, "--json models show tiny --models " + models);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json spec = JsonLines(r.out).at(0);
  EXPECT_EQ(spec["file"], models + "/tiny.onnx");
  EXPECT_EQ(spec["output"], "gap");
  EXPECT_EQ(spec["input"]["width"], 8);
  EXPECT_EQ(spec["input"]["color"], "bgr");
  EXPECT_EQ(spec["pooling"], "gap");
  EXPECT_EQ(spec["dimension"], 4);

  r = RunAlike(dir, "--json models --models " + models + " show cnn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json cnn = JsonLines(r.out).at(0);
  ASSERT_EQ(cnn["models"].size(), 2u) << cnn.dump();
  EXPECT_EQ(cnn["models"][0]["file"], models + "/" + test::kMobileNetV2);
  EXPECT_EQ(cnn["models"][1]["file"], models + "/" + test::kMobileNetV1);
  EXPECT_EQ(cnn["models"][1]["weight"], 1.4);
  r = RunAlike(dir, "models --models " + models + " show color");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["name"], "color");  // pretty-printed JSON without --json

  r = RunAlike(dir, "models --models " + models + " show broken");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.json: field \"file\""), std::string::npos) << r.err;
  r = RunAlike(dir, "models --models " + models + " show nosuch");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no embedder named 'nosuch'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cnn, color, pdq, dct64, broken, tiny"), std::string::npos) << r.err;
  EXPECT_NE(RunAlike(dir, "models show").exit_code, 0);  // the name is required

  // With its weights in place the spec loads: ready, with the net's dimension and a version.
  const test::onnx::ConvNet net = {.weight = std::vector<float>(4 * 3 * 3 * 3, 0.1f),
                                   .bias = std::vector<float>(4, 0.5f)};
  ASSERT_TRUE(WriteFileAtomically(models + "/tiny.onnx",
                                  test::onnx::SerializeModel(test::onnx::ConvReluGap(net)))
                  .ok());
  r = RunAlike(dir, "--json models --models " + models);
  const nlohmann::json ready = JsonLines(r.out).at(0)["embedders"][5];
  EXPECT_EQ(ready["status"], "ready") << ready.dump();
  EXPECT_EQ(ready["dimension"], 4);
  EXPECT_NE(ready["version"].get<std::string>().find("tiny.onnx"), std::string::npos);
  // A spec that does not match its weights: the error names the spec file, then the model's.
  std::ofstream(models + "/wrong_output.json") << R"({"file": "tiny.onnx", "output": "nosuch"})";
  r = RunAlike(dir, "--json models --models " + models);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(models + "/wrong_output.json: " + models + "/tiny.onnx: no layer named"),
            std::string::npos)
      << r.err;
  fs::remove(models + "/wrong_output.json");

  std::ofstream(models + "/also_tiny.json")
      << R"({"name": "tiny", "file": "t.onnx", "output": "x"})";
  r = RunAlike(dir, "models --models " + models + " show tiny");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("several"), std::string::npos) << r.err;
}

// With the installed weights the default cnn loads: real dimension and version.
TEST(ModelsCommandTest, InstalledCnnIsReady) {
  const std::string path = test::InstalledModel(test::kMobileNetV2);
  if (!fs::exists(path)) GTEST_SKIP() << test::NotInstalled(path);
  test::TempDir dir;
  const nlohmann::json cnn =
      ListJson(dir, "--models " + fs::path(path).parent_path().string())["embedders"][0];
  EXPECT_EQ(cnn["status"], "ready") << cnn.dump();
  EXPECT_EQ(cnn["dimension"], 1280 + 1024);
  EXPECT_NE(cnn["version"].get<std::string>().find(test::kMobileNetV2), std::string::npos);
  EXPECT_NE(cnn["version"].get<std::string>().find(test::kMobileNetV1), std::string::npos);
}

}  // namespace
}  // namespace alike
