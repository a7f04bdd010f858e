// TfliteModel: parsing and validation of .tflite flatbuffers, on tiny models built here with
// flatbuffers' generic builder (field ids of the TFLite schema) and on the shared MobileNets.
#include "embed/tflite_model.h"

#include <flatbuffers/flatbuffers.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "embed/tflite_importer.h"
#include "testing/temp_dir.h"

namespace alike::tflite {
namespace {

using flatbuffers::Offset;
using flatbuffers::Table;

constexpr flatbuffers::voffset_t F(int id) {
  return static_cast<flatbuffers::voffset_t>(4 + 2 * id);
}

// A small TFLite graph described in plain structs and serialised with flatbuffers' generic
// builder, so tests can feed the parser and importer models of their own design.
struct TestTensor {
  std::string name;
  std::vector<int32_t> shape;
  int8_t type = 0;            // TensorType
  std::vector<uint8_t> data;  // empty: computed at run time
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int32_t quantized_dimension = 0;
};
struct TestOp {
  int32_t code = 0;
  std::vector<int32_t> inputs, outputs;
  uint8_t options_type = 0;                         // BuiltinOptions union tag; 0: no options table
  std::vector<std::pair<int, int32_t>> int_fields;  // (field id, value)
  std::vector<std::pair<int, int8_t>> byte_fields;
};
struct TestGraph {
  std::vector<TestTensor> tensors;
  std::vector<TestOp> ops;
  std::vector<int32_t> inputs, outputs;
};

std::vector<uint8_t> Serialize(const TestGraph& g) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<Offset<Table>> buffers = {Offset<Table>(b.EndTable(b.StartTable()))};
  std::vector<Offset<Table>> tensors;
  for (const TestTensor& t : g.tensors) {
    uint32_t buffer = 0;
    if (!t.data.empty()) {
      b.ForceVectorAlignment(t.data.size(), 1, 16);
      const auto data = b.CreateVector(t.data);
      const auto bt = b.StartTable();
      b.AddOffset(F(0), data);
      buffers.push_back(Offset<Table>(b.EndTable(bt)));
      buffer = static_cast<uint32_t>(buffers.size() - 1);
    }
    Offset<Table> quant;
    if (!t.scale.empty()) {
      const auto scale = b.CreateVector(t.scale);
      const auto zp = b.CreateVector(t.zero_point);
      const auto qt = b.StartTable();
      b.AddOffset(F(2), scale);
      b.AddOffset(F(3), zp);
      b.AddElement<int32_t>(F(6), t.quantized_dimension, 0);
      quant = Offset<Table>(b.EndTable(qt));
    }
    const auto shape = b.CreateVector(t.shape);
    const auto name = b.CreateString(t.name);
    const auto tt = b.StartTable();
    b.AddOffset(F(0), shape);
    b.AddElement<int8_t>(F(1), t.type, 0);
    b.AddElement<uint32_t>(F(2), buffer, 0);
    b.AddOffset(F(3), name);
    if (!quant.IsNull()) b.AddOffset(F(4), quant);
    tensors.push_back(Offset<Table>(b.EndTable(tt)));
  }
  std::vector<Offset<Table>> opcodes, ops;
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const TestOp& op = g.ops[i];
    const auto oc = b.StartTable();
    b.AddElement<int8_t>(F(0), static_cast<int8_t>(std::min(op.code, 127)), 0);
    b.AddElement<int32_t>(F(3), op.code, 0);
    opcodes.push_back(Offset<Table>(b.EndTable(oc)));
    Offset<Table> options;
    if (op.options_type != 0) {
      const auto ot = b.StartTable();
      for (const auto& [id, v] : op.int_fields) b.AddElement<int32_t>(F(id), v, 0);
      for (const auto& [id, v] : op.byte_fields) b.AddElement<int8_t>(F(id), v, 0);
      options = Offset<Table>(b.EndTable(ot));
    }
    const auto ins = b.CreateVector(op.inputs);
    const auto outs = b.CreateVector(op.outputs);
    const auto o = b.StartTable();
    b.AddElement<uint32_t>(F(0), static_cast<uint32_t>(i), 0);
    b.AddOffset(F(1), ins);
    b.AddOffset(F(2), outs);
    b.AddElement<uint8_t>(F(3), op.options_type, 0);
    if (!options.IsNull()) b.AddOffset(F(4), options);
    ops.push_back(Offset<Table>(b.EndTable(o)));
  }
  const auto tensor_vec = b.CreateVector(tensors);
  const auto op_vec = b.CreateVector(ops);
  const auto g_in = b.CreateVector(g.inputs);
  const auto g_out = b.CreateVector(g.outputs);
  const auto sg_start = b.StartTable();
  b.AddOffset(F(0), tensor_vec);
  b.AddOffset(F(1), g_in);
  b.AddOffset(F(2), g_out);
  b.AddOffset(F(3), op_vec);
  const auto sg = Offset<Table>(b.EndTable(sg_start));
  const auto opcode_vec = b.CreateVector(opcodes);
  const auto subgraphs = b.CreateVector(std::vector<Offset<Table>>{sg});
  const auto buffer_vec = b.CreateVector(buffers);
  const auto m = b.StartTable();
  b.AddElement<uint32_t>(F(0), 3, 0);
  b.AddOffset(F(1), opcode_vec);
  b.AddOffset(F(2), subgraphs);
  b.AddOffset(F(4), buffer_vec);
  b.Finish(Offset<Table>(b.EndTable(m)), "TFL3");
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

// float tensor 0 [1,2,2,3] -> op -> tensor 1; `bad_output` points the output past the tensors.
std::vector<uint8_t> OneOpModel(int32_t builtin_code, bool bad_output = false) {
  TestGraph g;
  g.tensors = {{"in", {1, 2, 2, 3}}, {"out", {1, 2, 2, 3}}};
  g.ops = {{builtin_code, {0}, {bad_output ? 7 : 1}}};
  g.inputs = {0};
  g.outputs = {1};
  return Serialize(g);
}

std::string SharedModel(const std::string& name) {
  return std::string(ALIKE_SHARED_DIR) + "/models/" + name;
}

TEST(TfliteModelTest, ReadsASyntheticModel) {
  auto m = TfliteModel::FromBytes(OneOpModel(kOpRelu), "relu.tflite");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->tensors().size(), 2u);
  EXPECT_EQ(m->tensors()[0].name, "in");
  EXPECT_EQ(m->tensors()[1].shape, (std::vector<int32_t>{1, 2, 2, 3}));
  ASSERT_EQ(m->operators().size(), 1u);
  EXPECT_EQ(m->operators()[0].builtin_code, kOpRelu);
  EXPECT_EQ(m->Summary(), "0 RELU in=[0] out=[1]\n");
}

TEST(TfliteModelTest, RejectsOutOfRangeTensorIndex) {
  auto m = TfliteModel::FromBytes(OneOpModel(kOpRelu, /*bad_output=*/true), "bad.tflite");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kCorruption);
  EXPECT_NE(m.status().message().find("bad.tflite"), std::string::npos);
  EXPECT_NE(m.status().message().find("operator 0"), std::string::npos);
}

TEST(TfliteModelTest, ImportsAndRunsASyntheticRelu) {
  auto m = TfliteModel::FromBytes(OneOpModel(kOpRelu), "relu.tflite");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  TfliteImportInfo info;
  auto net = ImportTflite(*m, &info);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ(info.input_shape, (std::vector<int>{1, 3, 2, 2}));
  ASSERT_EQ(info.output_names.size(), 1u);
  cv::Mat x(std::vector<int>{1, 3, 2, 2}, CV_32F);
  for (int i = 0; i < 12; ++i) x.ptr<float>()[i] = static_cast<float>(i) - 6.0f;
  net->setInput(x, info.input_name);
  cv::Mat y = net->forward(info.output_names[0]);
  ASSERT_EQ(y.total(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(y.ptr<float>()[i], std::max(0.0f, i - 6.0f));
}

TEST(TfliteModelTest, UnknownOperatorIsNotSupportedAndNamed) {
  auto m = TfliteModel::FromBytes(OneOpModel(/*MUL*/ 18), "mul.tflite");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto net = ImportTflite(*m, nullptr);
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Status::Code::kNotSupported);
  EXPECT_NE(net.status().message().find("operator 0"), std::string::npos) << net.status().message();
  EXPECT_NE(net.status().message().find("MUL"), std::string::npos);
  EXPECT_NE(net.status().message().find("mul.tflite"), std::string::npos);
}

// Found by fuzz/tflite_fuzzer.cc: a graph without outputs crashed OpenCV's forward pass.
TEST(TfliteModelTest, GraphWithoutOutputsIsNotSupported) {
  TestGraph g;
  g.tensors = {{"in", {1, 2, 2, 3}}, {"out", {1, 2, 2, 3}}};
  g.ops = {{kOpRelu, {0}, {1}}};
  g.inputs = {0};
  auto m = TfliteModel::FromBytes(Serialize(g), "no_outputs.tflite");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto net = ImportTflite(*m, nullptr);
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Status::Code::kNotSupported);
  EXPECT_NE(net.status().message().find("no outputs"), std::string::npos) << net.status().message();
}

// A file the fuzz target once failed on, from fuzz/corpus/tflite (a missing one fails the test).
std::vector<uint8_t> RegressionInput(const std::string& name) {
  const std::string path = std::string(ALIKE_SOURCE_DIR) + "/fuzz/corpus/tflite/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot read " << path;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Found by fuzz/tflite_fuzzer.cc: a zero-point vector of int64 whose elements sit 4 bytes off
// their alignment passed flatbuffers' verifier and was read misaligned. The file is refused later
// for other damage too, so this test tells the difference only under UBSan (scripts/test.sh's
// sanitizer pass), which reports the misaligned read.
TEST(TfliteModelTest, MisalignedInt64VectorIsCorruption) {
  auto m =
      TfliteModel::FromBytes(RegressionInput("regression-misaligned-int64"), "misaligned.tflite");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kCorruption) << m.status().ToString();
}

// Found by fuzz/tflite_fuzzer.cc: a model whose input alone was 790 MB of floats and whose
// forward pass allocated 2.4 GB, each tensor under the importer's old bound of 1 GiB.
TEST(TfliteModelTest, HugeInputTensorIsRefusedBeforeTheForwardPass) {
  auto m = TfliteModel::FromBytes(RegressionInput("regression-forward-pass-memory"),
                                  "forward_pass_memory.tflite");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto net = ImportTflite(*m, nullptr);
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Status::Code::kNotSupported);
  EXPECT_NE(net.status().message().find("is too large"), std::string::npos)
      << net.status().message();
}

// Five tensors of 128 MiB each are each within bounds, but not all together.
TEST(TfliteModelTest, GraphWhoseTensorsAddUpPastTheLimitIsRefused) {
  TestGraph g;
  const std::vector<int32_t> shape = {1, 1024, 1024, 32};
  g.tensors = {{"in", shape}, {"a", shape}, {"b", shape}, {"c", shape}, {"out", shape}};
  g.ops = {{kOpRelu, {0}, {1}}, {kOpRelu, {1}, {2}}, {kOpRelu, {2}, {3}}, {kOpRelu, {3}, {4}}};
  g.inputs = {0};
  g.outputs = {4};
  auto m = TfliteModel::FromBytes(Serialize(g), "chain.tflite");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto net = ImportTflite(*m, nullptr);
  ASSERT_FALSE(net.ok());
  EXPECT_EQ(net.status().code(), Status::Code::kNotSupported);
  EXPECT_NE(
      net.status().message().find("operator 3 (RELU): tensor [1,1024,1024,32] brings the "
                                  "graph's tensors to 640 MiB of floats (the limit is 512 MiB)"),
      std::string::npos)
      << net.status().message();
}

template <typename T>
std::vector<uint8_t> Bytes(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

// Deterministic pseudo-random values in [lo, hi).
std::vector<float> Values(size_t n, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Runs the imported net on an NHWC input and returns its single output as a flat vector.
std::vector<float> RunImported(const TestGraph& g, const std::vector<float>& nhwc,
                               const std::vector<int>& shape) {
  auto m = TfliteModel::FromBytes(Serialize(g), "synthetic.tflite");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return {};
  TfliteImportInfo info;
  auto net = ImportTflite(*m, &info);
  EXPECT_TRUE(net.ok()) << net.status().ToString();
  if (!net.ok()) return {};
  const int n = shape[0], h = shape[1], w = shape[2], c = shape[3];
  cv::Mat x(std::vector<int>{n, c, h, w}, CV_32F);
  for (int y = 0; y < h; ++y) {
    for (int xx = 0; xx < w; ++xx) {
      for (int k = 0; k < c; ++k) {
        x.ptr<float>()[(k * h + y) * w + xx] = nhwc[static_cast<size_t>((y * w + xx) * c + k)];
      }
    }
  }
  net->setInput(x, info.input_name);
  cv::Mat y = net->forward(info.output_names[0]);
  return {y.ptr<float>(), y.ptr<float>() + y.total()};
}

// Naive NHWC convolution: weights OHWI (depthwise: [1,KH,KW,C*mult]), zero padding.
std::vector<float> NaiveConv(const std::vector<float>& x, int h, int w, int c,
                             const std::vector<float>& wt, const std::vector<float>& bias,
                             int out_c, int k, int stride, int pad_t, int pad_l, int oh, int ow,
                             bool depthwise) {
  std::vector<float> y(static_cast<size_t>(oh * ow * out_c));
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      for (int o = 0; o < out_c; ++o) {
        double acc = bias[static_cast<size_t>(o)];
        for (int ky = 0; ky < k; ++ky) {
          for (int kx = 0; kx < k; ++kx) {
            const int iy = oy * stride - pad_t + ky, ix = ox * stride - pad_l + kx;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            if (depthwise) {
              const int ic = o / (out_c / c);
              acc += x[static_cast<size_t>((iy * w + ix) * c + ic)] *
                     wt[static_cast<size_t>((ky * k + kx) * out_c + o)];
            } else {
              for (int ic = 0; ic < c; ++ic) {
                acc += x[static_cast<size_t>((iy * w + ix) * c + ic)] *
                       wt[static_cast<size_t>(((o * k + ky) * k + kx) * c + ic)];
              }
            }
          }
        }
        y[static_cast<size_t>((oy * ow + ox) * out_c + o)] = static_cast<float>(acc);
      }
    }
  }
  return y;
}

// PAD -> CONV_2D (int8 per-channel weights, int32 bias, SAME stride 2 on an even input, which
// TFLite pads asymmetrically) -> DEPTHWISE_CONV_2D (uint8 weights, multiplier 2, RELU6) ->
// FULLY_CONNECTED over a 3x3x6 NHWC map -> SOFTMAX, against a naive NHWC float reference.
TEST(TfliteModelTest, SyntheticConvGraphMatchesNaiveReference) {
  const std::vector<float> in = Values(5 * 6 * 2, -1, 1, 1);
  const std::vector<float> conv_scale = {0.02f, 0.03f, 0.05f};
  std::vector<int8_t> conv_q(3 * 3 * 3 * 2);
  std::vector<float> conv_w(conv_q.size());
  for (size_t i = 0; i < conv_q.size(); ++i) {
    conv_q[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
    conv_w[i] = conv_q[i] * conv_scale[i / 18];
  }
  const std::vector<float> bias_scale = {0.001f, 0.002f, 0.003f};
  const std::vector<int32_t> bias_q = {100, -200, 300};
  std::vector<float> conv_b(3);
  for (size_t i = 0; i < 3; ++i) conv_b[i] = static_cast<float>(bias_q[i]) * bias_scale[i];
  std::vector<uint8_t> dw_q(3 * 3 * 6);
  std::vector<float> dw_w(dw_q.size());
  for (size_t i = 0; i < dw_q.size(); ++i) {
    dw_q[i] = static_cast<uint8_t>(i * 53 % 256);
    dw_w[i] = (static_cast<float>(dw_q[i]) - 128.0f) * 0.01f;
  }
  const std::vector<float> dw_b = Values(6, -0.5f, 0.5f, 2);
  const std::vector<float> fc_w = Values(4 * 54, -0.3f, 0.3f, 3);
  const std::vector<float> fc_b = Values(4, -0.1f, 0.1f, 4);

  TestGraph g;
  g.tensors = {
      {"in", {1, 5, 6, 2}},
      {"pads", {4, 2}, /*INT32*/ 2, Bytes(std::vector<int32_t>{0, 0, 1, 0, 0, 0, 0, 0})},
      {"padded", {1, 6, 6, 2}},
      {"conv_w", {3, 3, 3, 2}, /*INT8*/ 9, Bytes(conv_q), conv_scale, {0, 0, 0}, 0},
      {"conv_b", {3}, /*INT32*/ 2, Bytes(bias_q), bias_scale, {0, 0, 0}, 0},
      {"conv", {1, 3, 3, 3}},
      {"dw_w", {1, 3, 3, 6}, /*UINT8*/ 3, Bytes(dw_q), {0.01f}, {128}},
      {"dw_b", {6}, 0, Bytes(dw_b)},
      {"dw", {1, 3, 3, 6}},
      {"fc_w", {4, 54}, 0, Bytes(fc_w)},
      {"fc_b", {4}, 0, Bytes(fc_b)},
      {"fc", {1, 4}},
      {"prob", {1, 4}},
  };
  g.ops = {
      {kOpPad, {0, 1}, {2}},
      {kOpConv2D, {2, 3, 4}, {5}, 1, {{1, 2}, {2, 2}}, {{0, 0}, {3, 1}}},  // SAME, s2, RELU
      {kOpDepthwiseConv2D, {5, 6, 7}, {8}, 2, {{1, 1}, {2, 1}, {3, 2}}, {{0, 0}, {4, 3}}},
      {kOpFullyConnected, {8, 9, 10}, {11}, 8},
      {kOpSoftmax, {11}, {12}},
  };
  g.inputs = {0};
  g.outputs = {12};

  // Reference. PAD adds one row on top; SAME stride 2 on 6x6 pads (0,1) rows and columns.
  std::vector<float> padded(6 * 6 * 2, 0.0f);
  std::copy(in.begin(), in.end(), padded.begin() + 6 * 2);
  std::vector<float> conv = NaiveConv(padded, 6, 6, 2, conv_w, conv_b, 3, 3, 2, 0, 0, 3, 3, false);
  for (float& v : conv) v = std::max(v, 0.0f);
  std::vector<float> dw = NaiveConv(conv, 3, 3, 3, dw_w, dw_b, 6, 3, 1, 1, 1, 3, 3, true);
  for (float& v : dw) v = std::clamp(v, 0.0f, 6.0f);
  std::vector<double> fc(4);
  double sum = 0;
  for (size_t o = 0; o < 4; ++o) {
    double acc = fc_b[o];
    for (size_t i = 0; i < 54; ++i) acc += fc_w[o * 54 + i] * dw[i];
    fc[o] = std::exp(acc);
    sum += fc[o];
  }

  const std::vector<float> got = RunImported(g, in, {1, 5, 6, 2});
  ASSERT_EQ(got.size(), 4u);
  for (size_t o = 0; o < 4; ++o) EXPECT_NEAR(got[o], fc[o] / sum, 1e-5) << o;
}

// MAX_POOL_2D and AVERAGE_POOL_2D -> CONCATENATION on channels -> RESHAPE to [1, 16]: the
// reshape must flatten in TFLite's NHWC order although the net holds NCHW.
TEST(TfliteModelTest, SyntheticPoolConcatReshapeKeepsNhwcOrder) {
  const std::vector<float> in = Values(4 * 4 * 2, -1, 1, 5);
  TestGraph g;
  g.tensors = {
      {"in", {1, 4, 4, 2}},
      {"max", {1, 2, 2, 2}},
      {"avg", {1, 2, 2, 2}},
      {"cat", {1, 2, 2, 4}},
      {"shape", {2}, /*INT32*/ 2, Bytes(std::vector<int32_t>{1, 16})},
      {"flat", {1, 16}},
  };
  const std::vector<std::pair<int, int32_t>> pool = {{1, 2}, {2, 2}, {3, 2}, {4, 2}};
  g.ops = {
      {kOpMaxPool2D, {0}, {1}, 5, pool, {{0, 1}}},  // VALID 2x2 stride 2
      {kOpAveragePool2D, {0}, {2}, 5, pool, {{0, 1}}},
      {kOpConcatenation, {1, 2}, {3}, 10, {{0, 3}}},
      {kOpReshape, {3, 4}, {5}},
  };
  g.inputs = {0};
  g.outputs = {5};
  std::vector<float> want;
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 2; ++x) {
      float mx[2] = {-1e9f, -1e9f}, av[2] = {0, 0};
      for (int c = 0; c < 2; ++c) {
        for (int dy = 0; dy < 2; ++dy) {
          for (int dx = 0; dx < 2; ++dx) {
            const float v = in[static_cast<size_t>(((2 * y + dy) * 4 + 2 * x + dx) * 2 + c)];
            mx[c] = std::max(mx[c], v);
            av[c] += v / 4;
          }
        }
      }
      want.insert(want.end(), {mx[0], mx[1], av[0], av[1]});
    }
  }
  const std::vector<float> got = RunImported(g, in, {1, 4, 4, 2});
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
}

TEST(TfliteModelTest, MissingFileIsIOError) {
  auto m = TfliteModel::Load("/nonexistent/model.tflite");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kIOError);
}

TEST(TfliteModelTest, LoadsMobileNetV2) {
  const std::string path = SharedModel("tf2_mobilenet_v2_1.0_224_ptq.tflite");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared model absent: " << path;
  auto m = TfliteModel::Load(path);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->inputs().size(), 1u);
  const Tensor& in = m->tensors()[static_cast<size_t>(m->inputs()[0])];
  EXPECT_EQ(in.shape, (std::vector<int32_t>{1, 224, 224, 3}));
  EXPECT_GT(m->operators().size(), 50u);
  EXPECT_NE(m->Summary().find("DEPTHWISE_CONV_2D"), std::string::npos);
}

// Truncated copies of a real model must be refused with Corruption naming the file, and
// randomly damaged ones must never crash (this also runs under ASan + UBSan).
TEST(TfliteModelTest, TruncatedAndDamagedFilesAreRefusedSafely) {
  const std::string path = SharedModel("mobilenet_v1_1.0_224_quant_embedding_extractor.tflite");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared model absent: " << path;
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000u);
  alike::test::TempDir dir;
  for (size_t keep :
       {size_t{0}, size_t{7}, size_t{64}, size_t{1000}, bytes.size() / 2, bytes.size() - 1}) {
    const std::string cut = dir.Sub("cut_" + std::to_string(keep) + ".tflite");
    std::ofstream(cut, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(keep));
    auto m = TfliteModel::Load(cut);
    ASSERT_FALSE(m.ok()) << "kept " << keep << " bytes";
    EXPECT_EQ(m.status().code(), Status::Code::kCorruption) << m.status().ToString();
    EXPECT_NE(m.status().message().find(cut), std::string::npos) << m.status().ToString();
    auto net = ImportTflite(cut, nullptr);
    EXPECT_FALSE(net.ok());
  }
  // Damage the flatbuffer's tables and vectors; whatever the outcome, it has to be a value, not
  // a crash.
  // The tail holds the tables as well (flatbuffers are built back to front).
  std::mt19937 rng(42);
  const size_t region = std::min<size_t>(bytes.size() - 8, 8192);
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<uint8_t> damaged = bytes;
    for (int k = 0; k < 6; ++k) {
      const size_t off = rng() % region;
      damaged[trial % 2 ? 8 + off : bytes.size() - 1 - off] = static_cast<uint8_t>(rng());
    }
    auto m = TfliteModel::FromBytes(std::move(damaged), "damaged.tflite");
    if (m.ok()) (void)ImportTflite(*m, nullptr);
  }
}

}  // namespace
}  // namespace alike::tflite
