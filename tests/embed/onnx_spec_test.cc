// A user model spec end to end, on an ONNX model the test writes itself (Conv 3->4, 3x3 ->
// Relu -> GlobalAveragePool, known weights): LoadEmbedderSpec and CnnEmbedder::Open must produce
// exactly the vector computed here by hand, and spec mistakes must be reported clearly.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "embed/cnn_embedder.h"
#include "embed/model_spec.h"
#include "testing/onnx_writer.h"
#include "testing/temp_dir.h"
#include "util/file.h"

namespace alike::embed {
namespace {

// Weights of mixed sign and no symmetry, so that Relu clips and a mirrored input differs.
test::onnx::ConvNet Net() {
  test::onnx::ConvNet net;
  for (int o = 0; o < net.channels_out; ++o) {
    net.bias.push_back(0.1f * static_cast<float>(o) - 0.15f);
    for (int i = 0; i < net.channels_in * net.kernel * net.kernel; ++i) {
      net.weight.push_back(0.05f * static_cast<float>((o * 7 + i * 5) % 11 - 5));
    }
  }
  return net;
}

// A picture exactly the model's input size, so preprocessing does no resampling.
cv::Mat Picture(const test::onnx::ConvNet& net) {
  cv::Mat bgr(net.height, net.width, CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      for (int c = 0; c < 3; ++c) bgr.at<cv::Vec3b>(y, x)[c] = (37 * y + 11 * x + 71 * c) % 256;
    }
  }
  return bgr;
}

// conv + relu + mean over the picture, with the spec's channel order and normalisation.
std::vector<double> Describe(const test::onnx::ConvNet& net, const PreprocessSpec& in,
                             const cv::Mat& bgr) {
  auto input = [&](int c, int y, int x) -> double {
    if (y < 0 || y >= net.height || x < 0 || x >= net.width) return 0;  // zero padding
    const int src = in.rgb ? 2 - c : c;
    return (bgr.at<cv::Vec3b>(y, x)[src] - in.mean[c]) * in.scale[c];
  };
  const int k = net.kernel, pad = net.kernel / 2;
  std::vector<double> out(net.channels_out);
  for (int o = 0; o < net.channels_out; ++o) {
    for (int y = 0; y < net.height; ++y) {
      for (int x = 0; x < net.width; ++x) {
        double sum = net.bias[o];
        for (int c = 0; c < net.channels_in; ++c) {
          for (int ky = 0; ky < k; ++ky) {
            for (int kx = 0; kx < k; ++kx) {
              sum += net.weight[((o * net.channels_in + c) * k + ky) * k + kx] *
                     input(c, y + ky - pad, x + kx - pad);
            }
          }
        }
        out[o] += std::max(sum, 0.0);
      }
    }
    out[o] /= net.height * net.width;
  }
  return out;
}

// The embedding as CnnEmbedder defines it: flip-averaged when the spec says so, unit length.
std::vector<double> Expected(const test::onnx::ConvNet& net, const ModelSpec& spec,
                             const cv::Mat& bgr) {
  std::vector<double> v = Describe(net, spec.input, bgr);
  if (spec.flip_average) {
    cv::Mat mirrored;
    cv::flip(bgr, mirrored, 1);
    const std::vector<double> m = Describe(net, spec.input, mirrored);
    for (size_t i = 0; i < v.size(); ++i) v[i] = (v[i] + m[i]) / 2;
  }
  double norm = 0;
  for (double x : v) norm += x * x;
  for (double& x : v) x /= std::sqrt(norm);
  return v;
}

class OnnxSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteFileAtomically(dir_.Sub("tiny.onnx"),
                                    test::onnx::SerializeModel(test::onnx::ConvReluGap(net_)))
                    .ok());
  }

  // Writes `json` as a spec file and opens the embedder it describes.
  Result<std::unique_ptr<CnnEmbedder>> Open(const std::string& json, ModelSpec* spec = nullptr) {
    std::ofstream(dir_.Sub("spec.json")) << json;
    auto parsed = LoadEmbedderSpec(dir_.Sub("spec.json"));
    if (!parsed.ok()) return parsed.status();
    if (spec != nullptr) *spec = parsed->models.at(0);
    return CnnEmbedder::Open(*parsed);
  }

  test::TempDir dir_;
  const test::onnx::ConvNet net_ = Net();
};

TEST_F(OnnxSpecTest, EmbedsAsComputedByHand) {
  // Both channel orders, both flip settings, and pooling done by alike or by the network.
  for (const std::string json : {
           R"({"name": "tiny", "file": "tiny.onnx", "output": "relu", "pooling": "gap",
               "input": {"width": 8, "height": 6, "color": "rgb",
                         "mean": [120, 110, 100], "scale": [0.01, 0.02, 0.03]},
               "flip_average": true, "dimension": 4})",
           R"({"file": "tiny.onnx", "output": "gap", "pooling": "none",
               "input": {"width": 8, "height": 6, "resize": "stretch", "color": "bgr",
                         "mean": 127.5, "scale": 0.0078431372549},
               "flip_average": false})"}) {
    ModelSpec spec;
    auto e = Open(json, &spec);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ((*e)->dimension(), 4u);
    EXPECT_EQ((*e)->name(), "cnn");
    EXPECT_NE((*e)->version().find("tiny.onnx"), std::string::npos) << (*e)->version();
    const cv::Mat picture = Picture(net_);
    auto got = (*e)->Embed(picture);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->size(), 1u);
    const std::vector<double> want = Expected(net_, spec, picture);
    ASSERT_EQ((*got)[0].vector.size(), want.size());
    int zeros = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR((*got)[0].vector[i], want[i], 1e-4) << "component " << i << " of " << json;
      zeros += want[i] == 0;
    }
    EXPECT_LT(zeros, 2) << "a vector of mostly zeros would make the check vacuous";
  }
}

TEST_F(OnnxSpecTest, SpecMistakesAreNamed) {
  struct Case {
    const char* json;
    const char* want;  // in the error message
  };
  for (const Case& c : {
           Case{R"({"file": "absent.onnx", "output": "gap"})", "absent.onnx"},
           Case{R"({"file": "tiny.onnx", "output": "gap", "dimension": 5,
                    "input": {"width": 8, "height": 6}})",
                "the spec says dimension 5 but layer \"gap\" gives 4"},
           Case{R"({"file": "tiny.onnx", "output": "nosuch"})",
                "no layer named \"nosuch\" (for .onnx, name one of the graph's outputs)"},
           Case{R"({"file": "tiny.onnx", "output": "conv"})", "no layer named \"conv\""},
           Case{R"({"file": "tiny.onnx"})", "field \"output\""},
       }) {
    auto e = Open(c.json);
    ASSERT_FALSE(e.ok()) << c.json;
    EXPECT_NE(e.status().message().find(c.want), std::string::npos) << c.json << "\n"
                                                                    << e.status().message();
  }
  std::ofstream(dir_.Sub("garbage.onnx")) << "not a protobuf";
  auto e = Open(R"({"file": "garbage.onnx", "output": "gap"})");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("garbage.onnx"), std::string::npos) << e.status().message();
}

}  // namespace
}  // namespace alike::embed
