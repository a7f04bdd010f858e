// A user's own model plugs into a library by name through a spec file in the models directory,
// without recompiling: here a small ONNX network the test writes itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "alike/library.h"
#include "testing/onnx_writer.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

void WriteTinyModel(const std::string& models_dir) {
  test::onnx::ConvNet net{.width = 16, .height = 16};
  for (int o = 0; o < net.channels_out; ++o) {
    net.bias.push_back(0.05f * static_cast<float>(o));
    for (int i = 0; i < net.channels_in * net.kernel * net.kernel; ++i) {
      net.weight.push_back(0.04f * static_cast<float>((o * 5 + i * 3) % 9 - 4));
    }
  }
  fs::create_directories(models_dir);
  std::ofstream(models_dir + "/tiny.onnx", std::ios::binary)
      << test::onnx::SerializeModel(test::onnx::ConvReluGap(net));
  std::ofstream(models_dir + "/tiny.json") << R"({"name": "tiny", "file": "tiny.onnx",
      "output": "gap", "pooling": "none", "dimension": 4,
      "input": {"width": 16, "height": 16, "color": "rgb", "mean": 127.5, "scale": 0.0078431}})";
}

TEST(UserModelTest, ASpecInTheModelsDirectoryIsAnEmbedderByName) {
  test::TempDir dir;
  WriteTinyModel(dir.Sub("models"));
  fs::create_directories(dir.Sub("photos"));
  for (int i = 0; i < 5; ++i) {
    cv::Mat img(40, 40, CV_8UC3, cv::Scalar(40 * i, 255 - 40 * i, (90 * i) % 256));
    cv::rectangle(img, {5 * i, 5}, {20 + 3 * i, 30}, cv::Scalar(255, 255, 255), -1);
    ASSERT_TRUE(cv::imwrite(dir.Sub("photos/") + std::to_string(i) + ".png", img));
  }
  auto lib = Library::Open(
      dir.Sub("lib"),
      {.create_if_missing = true, .models_dir = dir.Sub("models"), .embedders = {"tiny", "color"}});
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  std::vector<std::string> roots = {dir.Sub("photos")};
  auto report = (*lib)->Index(roots, {}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->indexed, 5u);
  auto info = (*lib)->Info();
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->spaces.size(), 2u);
  const SpaceInfo& tiny = info->spaces[1].embedder == "tiny" ? info->spaces[1] : info->spaces[0];
  EXPECT_EQ(tiny.embedder, "tiny");
  EXPECT_EQ(tiny.dimension, 4u);
  EXPECT_EQ(tiny.vectors, 5u);
  EXPECT_NE(tiny.version.find("tiny.onnx"), std::string::npos) << tiny.version;
  auto hits = (*lib)->Search(ImageSource::File(dir.Sub("photos/3.png")), {.by = "tiny", .k = 1});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->at(0).paths[0], dir.Sub("photos/3.png"));

  auto unknown = Library::Open(
      dir.Sub("other"),
      {.create_if_missing = true, .models_dir = dir.Sub("models"), .embedders = {"nope"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("tiny"), std::string::npos)
      << "the error lists the embedders there are: " << unknown.status().message();
}

}  // namespace
}  // namespace alike
