// ImportTflite on the shared MobileNets: the imported float nets must reproduce the reference
// ONNX conversions of the same models (dequantised weights, float activations) on real photos.
#include "embed/tflite_importer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "testing/models.h"

namespace alike::tflite {
namespace {

namespace fs = std::filesystem;

std::string Shared(const std::string& rel) { return std::string(ALIKE_SHARED_DIR) + "/" + rel; }

// A few photos: the first image of each of three flower classes, and a recompressed copy.
std::vector<std::string> TestImages() {
  std::vector<std::string> out;
  for (const char* cls : {"daisy", "rose", "tulip"}) {
    const fs::path dir = Shared("data/categories/flowers/flowers/") + cls;
    if (!fs::is_directory(dir)) continue;
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() == ".jpg") files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    if (!files.empty()) out.push_back(files.front());
  }
  const std::string copy = Shared("data/copies/imagehash/tests/images/forest/forest-low.jpg");
  if (fs::exists(copy)) out.push_back(copy);
  return out;
}

cv::Mat Preprocess(const std::string& path) {
  const cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  if (img.empty()) return {};
  return cv::dnn::blobFromImage(img, 1.0 / 127.5, cv::Size(224, 224),
                                cv::Scalar(127.5, 127.5, 127.5), /*swapRB=*/true);
}

double MaxAbsDiff(const cv::Mat& a, const cv::Mat& b) {
  EXPECT_EQ(a.total(), b.total());
  if (a.total() != b.total()) return 1e9;
  return cv::norm(a.reshape(1, 1), b.reshape(1, 1), cv::NORM_INF);
}

// Runs `net` on random input of side `input_side`; the embedding must be the spatial mean of the
// feature map, which must be `map_side` square.
void ExpectEmbeddingIsTheMeanOfTheMap(cv::dnn::Net& net, const TfliteImportInfo& info,
                                      int input_side, int map_side) {
  std::vector<int> shape = info.input_shape;
  shape[2] = shape[3] = input_side;
  cv::Mat input(shape, CV_32F);
  cv::randu(input, -1, 1);
  net.setInput(input, info.input_name);
  std::vector<cv::Mat> outs;
  net.forward(outs, std::vector<std::string>{info.feature_map_name, info.embedding_name});
  ASSERT_EQ(outs.size(), 2u);
  const cv::Mat& map = outs[0];
  ASSERT_EQ(map.dims, 4);
  const int channels = info.embedding_shape[1];
  EXPECT_EQ((std::vector<int>{map.size[0], map.size[1], map.size[2], map.size[3]}),
            (std::vector<int>{1, channels, map_side, map_side}));
  ASSERT_EQ(outs[1].total(), static_cast<size_t>(channels));
  for (int c = 0; c < channels; c += 97) {
    const cv::Mat plane(map_side, map_side, CV_32F, const_cast<float*>(map.ptr<float>(0, c)));
    EXPECT_NEAR(cv::mean(plane)[0], outs[1].ptr<float>()[c], 1e-5) << "channel " << c;
  }
}

struct Case {
  std::string tflite, onnx;
  std::string onnx_embedding, onnx_output;  // onnx_output empty: the model has no classifier
};

// Runs both nets on each image; returns the largest differences seen (embedding, output).
void Compare(const Case& c) {
  const std::string tflite = test::InstalledModel(c.tflite), onnx = Shared("models/" + c.onnx);
  if (!fs::exists(tflite)) GTEST_SKIP() << test::NotInstalled(tflite);
  if (!fs::exists(onnx)) GTEST_SKIP() << "shared reference model absent: " << onnx;
  const std::vector<std::string> images = TestImages();
  if (images.empty()) GTEST_SKIP() << "shared test images absent under " << Shared("data");

  TfliteImportInfo info;
  auto net = ImportTflite(tflite, &info);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ(info.input_shape, (std::vector<int>{1, 3, 224, 224}));
  ASSERT_FALSE(info.embedding_name.empty());
  ASSERT_EQ(info.output_names.size(), 1u);
  cv::dnn::Net ref = cv::dnn::readNetFromONNX(onnx);

  double worst_embedding = 0, worst_output = 0;
  for (const std::string& image : images) {
    const cv::Mat blob = Preprocess(image);
    ASSERT_FALSE(blob.empty()) << image;
    std::vector<std::string> ref_names = {c.onnx_embedding};
    std::vector<std::string> names = {info.embedding_name};
    if (!c.onnx_output.empty()) {
      ref_names.push_back(c.onnx_output);
      names.push_back(info.output_names[0]);
    }
    std::vector<cv::Mat> want, got;
    ref.setInput(blob);
    ref.forward(want, ref_names);
    net->setInput(blob, info.input_name);
    net->forward(got, names);
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(std::vector<int>(got[0].size.p, got[0].size.p + got[0].dims),
              std::vector<int>(want[0].size.p, want[0].size.p + want[0].dims));
    // Guard against a vacuous match (both nets producing zeros or constants).
    EXPECT_GT(cv::norm(got[0]), 1.0) << image;
    if (got.size() > 1) {
      EXPECT_NEAR(cv::sum(got[1])[0], 1.0, 1e-3) << image;  // softmax
      cv::Point top;
      cv::minMaxLoc(got[1].reshape(1, 1), nullptr, nullptr, nullptr, &top);
      std::cout << fs::path(image).filename().string() << ": top-1 class " << top.x << "\n";
    }
    worst_embedding = std::max(worst_embedding, MaxAbsDiff(got[0], want[0]));
    if (got.size() > 1) worst_output = std::max(worst_output, MaxAbsDiff(got[1], want[1]));
    if (c.onnx_output.empty()) {
      // The classifier-less model's output is its embedding.
      net->setInput(blob, info.input_name);
      worst_output =
          std::max(worst_output, MaxAbsDiff(net->forward(info.output_names[0]), want[0]));
    }
  }
  std::cout << c.tflite << " on " << images.size() << " images: max |embedding - "
            << c.onnx_embedding << "| = " << worst_embedding
            << ", max |output - reference| = " << worst_output << "\n";
  ::testing::Test::RecordProperty("max_abs_diff_embedding", std::to_string(worst_embedding));
  ::testing::Test::RecordProperty("max_abs_diff_output", std::to_string(worst_output));
  EXPECT_LE(worst_embedding, 1e-3);
  EXPECT_LE(worst_output, 1e-3);
}

TEST(TfliteImporterTest, MobileNetV2MatchesOnnxReference) {
  Compare({test::kMobileNetV2, "mobilenet_v2_imagenet.onnx", "gap", "t176"});
}

TEST(TfliteImporterTest, MobileNetV1MatchesOnnxReference) {
  Compare({test::kMobileNetV1, "mobilenet_v1_imagenet_embedding.onnx", "t82", ""});
}

// The imported net takes batches although the model was converted with batch 1.
TEST(TfliteImporterTest, RunsBatches) {
  const std::string path = test::InstalledModel(test::kMobileNetV2);
  if (!fs::exists(path)) GTEST_SKIP() << test::NotInstalled(path);
  const std::vector<std::string> images = TestImages();
  if (images.size() < 2) GTEST_SKIP() << "shared test images absent under " << Shared("data");
  TfliteImportInfo info;
  auto net = ImportTflite(path, &info);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  std::vector<cv::Mat> imgs = {cv::imread(images[0]), cv::imread(images[1])};
  const cv::Mat batch = cv::dnn::blobFromImages(imgs, 1.0 / 127.5, cv::Size(224, 224),
                                                cv::Scalar(127.5, 127.5, 127.5), true);
  net->setInput(batch, info.input_name);
  std::vector<cv::Mat> both;
  net->forward(both, std::vector<std::string>{info.embedding_name, info.output_names[0]});
  ASSERT_EQ(both[1].size[0], 2);
  ASSERT_EQ(both[1].total(), 2u * 1001u);
  for (int i = 0; i < 2; ++i) {
    net->setInput(Preprocess(images[static_cast<size_t>(i)]), info.input_name);
    std::vector<cv::Mat> one;
    net->forward(one, std::vector<std::string>{info.embedding_name, info.output_names[0]});
    for (int k = 0; k < 2; ++k) {
      const size_t n = one[static_cast<size_t>(k)].total();
      const cv::Mat row(1, static_cast<int>(n), CV_32F,
                        both[static_cast<size_t>(k)].ptr<float>() + static_cast<size_t>(i) * n);
      EXPECT_LE(cv::norm(row, one[static_cast<size_t>(k)].reshape(1, 1), cv::NORM_INF), 1e-4);
    }
  }
}

TEST(TfliteImporterTest, ReportsEmbeddingAndTensorNames) {
  const std::string path = test::InstalledModel(test::kMobileNetV2);
  if (!fs::exists(path)) GTEST_SKIP() << test::NotInstalled(path);
  auto model = TfliteModel::Load(path);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  TfliteImportInfo info;
  auto net = ImportTflite(*model, &info);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ(info.embedding_shape, (std::vector<int>{1, 1280, 1, 1}));
  EXPECT_GE(net->getLayerId(info.embedding_name), 0);
  ASSERT_EQ(info.tensor_layer_names.size(), model->tensors().size());
  const int32_t out = model->outputs()[0];
  // The graph output is reachable by the name the info gives for it, also through the
  // per-tensor table (the output tensor comes out of a QUANTIZE, an identity here).
  EXPECT_GE(net->getLayerId(info.output_names[0]), 0);
  EXPECT_EQ(info.tensor_layer_names[static_cast<size_t>(out)], info.output_names[0]);
  EXPECT_GT(info.input_scale, 0.0f);  // the original takes uint8 input

  // The feature map is what the embedding averages.
  ExpectEmbeddingIsTheMeanOfTheMap(*net, info, 224, 7);
}

// Nets converted at 224 px run at other input sizes: the whole-map pooling that ends them
// follows the map (5x5 at 160 px) instead of failing on a fixed 7x7 window.
TEST(TfliteImporterTest, RunsAtOtherInputSizes) {
  for (const char* file : {test::kMobileNetV1, test::kMobileNetV2}) {
    SCOPED_TRACE(file);
    const std::string path = test::InstalledModel(file);
    if (!fs::exists(path)) GTEST_SKIP() << test::NotInstalled(path);
    TfliteImportInfo info;
    auto net = ImportTflite(path, &info);
    ASSERT_TRUE(net.ok()) << net.status().ToString();
    ExpectEmbeddingIsTheMeanOfTheMap(*net, info, 160, 5);
  }
}

}  // namespace
}  // namespace alike::tflite
