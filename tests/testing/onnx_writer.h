// A minimal ONNX model writer for tests, so that the .onnx model path is tested on networks whose
// outputs a test can compute by hand, with no Python and no download. It covers just enough of
// the protobuf wire format and of onnx.proto for small CNNs: ModelProto, OperatorSetIdProto,
// GraphProto, NodeProto with INTS attributes, TensorProto with float data, and ValueInfoProto /
// TypeProto for float tensors of fixed shape. Field numbers are those of onnx/onnx.proto.
#ifndef ALIKE_TESTS_TESTING_ONNX_WRITER_H_
#define ALIKE_TESTS_TESTING_ONNX_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace alike::test::onnx {

// Encodes one protobuf message, field by field.
class ProtoWriter {
 public:
  void Varint(int field, uint64_t value);         // int32, int64 and enum fields (wire type 0)
  void Bytes(int field, std::string_view bytes);  // string, bytes and messages (wire type 2)
  void Message(int field, const ProtoWriter& message) { Bytes(field, message.bytes()); }
  void PackedFloats(int field, const std::vector<float>& values);  // [packed = true] floats

  const std::string& bytes() const { return out_; }

 private:
  void Key(int field, int wire_type);
  void RawVarint(uint64_t value);

  std::string out_;
};

struct Tensor {  // a float initializer
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> values;
};

struct Attribute {  // an INTS attribute, e.g. kernel_shape or pads
  std::string name;
  std::vector<int64_t> ints;
};

struct Node {
  std::string op_type;
  std::vector<std::string> inputs, outputs;
  std::vector<Attribute> attributes;
};

struct Value {  // a graph input or output: a float tensor of this shape
  std::string name;
  std::vector<int64_t> shape;
};

struct Graph {
  std::vector<Node> nodes;  // in topological order
  std::vector<Tensor> initializers;
  std::vector<Value> inputs, outputs;
};

// A serialized ModelProto: IR version 7, the default domain's opset 13, `graph` as its graph.
std::string SerializeModel(const Graph& graph);

// Input "data" [1, C, height, width] -> Conv (weight [O, C, k, k] and bias [O] in row-major
// order, stride 1, zero padding k / 2 on every side) "conv" -> Relu "relu" ->
// GlobalAveragePool "gap" [1, O, 1, 1]. Both "relu" and "gap" are graph outputs: OpenCV 4.6
// gives only graph outputs a layer of their plain name (other layers get prefixed names).
struct ConvNet {
  int channels_in = 3, channels_out = 4, kernel = 3, width = 8, height = 6;
  std::vector<float> weight, bias;
};
Graph ConvReluGap(const ConvNet& net);

}  // namespace alike::test::onnx

#endif  // ALIKE_TESTS_TESTING_ONNX_WRITER_H_
