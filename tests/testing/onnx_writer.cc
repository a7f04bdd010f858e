#include "testing/onnx_writer.h"

#include <bit>
#include <cstring>

namespace alike::test::onnx {
namespace {

// onnx.proto field numbers, per message.
namespace model {
constexpr int kIrVersion = 1, kGraph = 7, kOpsetImport = 8;
}
namespace opset {
constexpr int kVersion = 2;
}
namespace graph {
constexpr int kNode = 1, kName = 2, kInitializer = 5, kInput = 11, kOutput = 12;
}
namespace node {
constexpr int kInput = 1, kOutput = 2, kOpType = 4, kAttribute = 5;
}
namespace attribute {
constexpr int kName = 1, kInts = 8, kType = 20;
constexpr uint64_t kTypeInts = 7;  // AttributeProto.AttributeType.INTS
}  // namespace attribute
namespace tensor {
constexpr int kDims = 1, kDataType = 2, kFloatData = 4, kName = 8;
constexpr uint64_t kFloat = 1;  // TensorProto.DataType.FLOAT
}  // namespace tensor
namespace value_info {
constexpr int kName = 1, kType = 2;
}
namespace type {
constexpr int kTensorType = 1;            // TypeProto.tensor_type
constexpr int kElemType = 1, kShape = 2;  // TypeProto.Tensor
constexpr int kDim = 1;                   // TensorShapeProto
constexpr int kDimValue = 1;              // TensorShapeProto.Dimension
}  // namespace type

constexpr uint64_t kModelIrVersion = 7;
constexpr uint64_t kOpsetVersion = 13;

ProtoWriter TensorProto(const Tensor& t) {
  ProtoWriter w;
  // proto2 "repeated int64 dims" is not declared packed: one key per element.
  for (int64_t d : t.dims) w.Varint(tensor::kDims, static_cast<uint64_t>(d));
  w.Varint(tensor::kDataType, tensor::kFloat);
  w.PackedFloats(tensor::kFloatData, t.values);
  w.Bytes(tensor::kName, t.name);
  return w;
}

ProtoWriter ValueInfoProto(const Value& v) {
  ProtoWriter shape;
  for (int64_t d : v.shape) {
    ProtoWriter dim;
    dim.Varint(type::kDimValue, static_cast<uint64_t>(d));
    shape.Message(type::kDim, dim);
  }
  ProtoWriter tensor_type;
  tensor_type.Varint(type::kElemType, tensor::kFloat);
  tensor_type.Message(type::kShape, shape);
  ProtoWriter type_proto;
  type_proto.Message(type::kTensorType, tensor_type);
  ProtoWriter w;
  w.Bytes(value_info::kName, v.name);
  w.Message(value_info::kType, type_proto);
  return w;
}

ProtoWriter NodeProto(const Node& n) {
  ProtoWriter w;
  for (const std::string& in : n.inputs) w.Bytes(node::kInput, in);
  for (const std::string& out : n.outputs) w.Bytes(node::kOutput, out);
  w.Bytes(node::kOpType, n.op_type);
  for (const Attribute& a : n.attributes) {
    ProtoWriter attr;
    attr.Bytes(attribute::kName, a.name);
    attr.Varint(attribute::kType, attribute::kTypeInts);
    for (int64_t i : a.ints) attr.Varint(attribute::kInts, static_cast<uint64_t>(i));
    w.Message(node::kAttribute, attr);
  }
  return w;
}

}  // namespace

void ProtoWriter::RawVarint(uint64_t value) {
  while (value >= 0x80) {
    out_ += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out_ += static_cast<char>(value);
}

void ProtoWriter::Key(int field, int wire_type) {
  RawVarint(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire_type));
}

void ProtoWriter::Varint(int field, uint64_t value) {
  Key(field, 0);
  RawVarint(value);
}

void ProtoWriter::Bytes(int field, std::string_view bytes) {
  Key(field, 2);
  RawVarint(bytes.size());
  out_.append(bytes);
}

void ProtoWriter::PackedFloats(int field, const std::vector<float>& values) {
  // Protobuf stores floats as 4 little-endian bytes: the in-memory layout, so copy them.
  static_assert(std::endian::native == std::endian::little);
  std::string packed(values.size() * sizeof(float), '\0');
  if (!values.empty()) std::memcpy(packed.data(), values.data(), packed.size());
  Bytes(field, packed);
}

std::string SerializeModel(const Graph& g) {
  ProtoWriter graph_proto;
  for (const Node& n : g.nodes) graph_proto.Message(graph::kNode, NodeProto(n));
  graph_proto.Bytes(graph::kName, "test");
  for (const Tensor& t : g.initializers) {
    graph_proto.Message(graph::kInitializer, TensorProto(t));
  }
  for (const Value& v : g.inputs) graph_proto.Message(graph::kInput, ValueInfoProto(v));
  for (const Value& v : g.outputs) graph_proto.Message(graph::kOutput, ValueInfoProto(v));
  ProtoWriter opset_import;  // domain left out: the default ONNX operator set
  opset_import.Varint(opset::kVersion, kOpsetVersion);
  ProtoWriter model_proto;
  model_proto.Varint(model::kIrVersion, kModelIrVersion);
  model_proto.Message(model::kGraph, graph_proto);
  model_proto.Message(model::kOpsetImport, opset_import);
  return model_proto.bytes();
}

Graph ConvReluGap(const ConvNet& net) {
  const int64_t pad = net.kernel / 2;
  Graph g;
  g.inputs = {{"data", {1, net.channels_in, net.height, net.width}}};
  g.initializers = {
      {"weight", {net.channels_out, net.channels_in, net.kernel, net.kernel}, net.weight},
      {"bias", {net.channels_out}, net.bias}};
  g.nodes = {{"Conv",
              {"data", "weight", "bias"},
              {"conv"},
              {{"kernel_shape", {net.kernel, net.kernel}},
               {"pads", {pad, pad, pad, pad}},
               {"strides", {1, 1}}}},
             {"Relu", {"conv"}, {"relu"}, {}},
             {"GlobalAveragePool", {"relu"}, {"gap"}, {}}};
  g.outputs = {{"relu", {1, net.channels_out, net.height, net.width}},
               {"gap", {1, net.channels_out, 1, 1}}};
  return g;
}

}  // namespace alike::test::onnx
