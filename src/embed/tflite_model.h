// TfliteModel: a validated, read-only view of a TensorFlow Lite flatbuffer (.tflite).
//
// alike reads .tflite files itself instead of linking the TensorFlow Lite runtime: it only needs
// the graph and the (dequantised) weights to rebuild the network as a float cv::dnn::Net (see
// tflite_importer.h). The flatbuffer is read through flatbuffers' generic Table API with the field
// ids of the published TFLite schema, so no generated code is involved. Everything read from the
// file is checked once, in Load(): the flatbuffer structure (flatbuffers::Verifier), every index
// into the tensor, buffer and operator-code vectors, and every buffer's extent. After Load()
// succeeds, the plain structs below are safe to use without further checks.
//
// Only the first subgraph (the model's main graph) is read.
//
// Thread-safety: a TfliteModel is immutable after Load(); const methods may be called from many
// threads at once.
#ifndef ALIKE_EMBED_TFLITE_MODEL_H_
#define ALIKE_EMBED_TFLITE_MODEL_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "alike/status.h"

namespace alike::tflite {

// TFLite's TensorType enum values (the subset alike understands; others load but cannot be
// dequantised).
enum class TensorType : int8_t {
  kFloat32 = 0,
  kFloat16 = 1,
  kInt32 = 2,
  kUint8 = 3,
  kInt64 = 4,
  kInt16 = 7,
  kInt8 = 9,
};

// TFLite's BuiltinOperator codes that alike maps (see tflite_importer.cc for what each becomes).
enum BuiltinOp : int32_t {
  kOpAdd = 0,
  kOpAveragePool2D = 1,
  kOpConcatenation = 2,
  kOpConv2D = 3,
  kOpDepthwiseConv2D = 4,
  kOpDequantize = 6,
  kOpFullyConnected = 9,
  kOpLogistic = 14,
  kOpMaxPool2D = 17,
  kOpRelu = 19,
  kOpRelu6 = 21,
  kOpReshape = 22,
  kOpSoftmax = 25,
  kOpPad = 34,
  kOpMean = 40,
  kOpSqueeze = 43,
  kOpQuantize = 114,
};

// Human-readable name of a builtin operator code ("CONV_2D"), or "BUILTIN_<n>" when unknown.
std::string BuiltinOpName(int32_t code);

// TFLite's ActivationFunctionType enum.
enum class Activation : int8_t { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3, kTanh = 4 };

// TFLite's Padding enum.
enum class Padding : int8_t { kSame = 0, kValid = 1 };

struct Quantization {
  std::vector<float> scale;         // empty: not quantised
  std::vector<int64_t> zero_point;  // empty or same size as scale
  int32_t quantized_dimension = 0;  // axis that per-channel scales run along
};

struct Tensor {
  std::string name;
  std::vector<int32_t> shape;
  TensorType type = TensorType::kFloat32;
  uint32_t buffer = 0;  // index into TfliteModel::buffers(); buffer 0 is the empty sentinel
  Quantization quant;
};

// The builtin options of the operators alike maps, flattened into one struct: each operator sets
// the fields its options table has and leaves the rest at TFLite's schema defaults.
struct OpOptions {
  Padding padding = Padding::kSame;
  int32_t stride_w = 1, stride_h = 1;
  int32_t dilation_w = 1, dilation_h = 1;
  int32_t depth_multiplier = 1;
  int32_t filter_w = 1, filter_h = 1;
  Activation activation = Activation::kNone;
  float softmax_beta = 1.0f;
  bool keep_dims = false;             // MEAN
  bool keep_num_dims = false;         // FULLY_CONNECTED
  int32_t concat_axis = 0;            // CONCATENATION
  std::vector<int32_t> new_shape;     // RESHAPE (may be empty: the shape tensor holds it)
  std::vector<int32_t> squeeze_dims;  // SQUEEZE
};

struct Operator {
  int32_t builtin_code = 0;  // BuiltinOp value (custom operators: 32)
  std::string custom_code;
  std::vector<int32_t> inputs;   // tensor indices; -1 means an omitted optional input
  std::vector<int32_t> outputs;  // tensor indices
  OpOptions options;
};

class TfliteModel {
 public:
  // Reads and validates the file. IOError when it cannot be read, Corruption (naming the file)
  // when it is not a well-formed TFLite flatbuffer or any index or extent in it is out of range.
  static Result<TfliteModel> Load(const std::string& path);
  // The same from bytes already in memory; `name` is used in error messages.
  static Result<TfliteModel> FromBytes(std::vector<uint8_t> bytes, const std::string& name);

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  const std::vector<Operator>& operators() const { return operators_; }
  const std::vector<int32_t>& inputs() const { return inputs_; }
  const std::vector<int32_t>& outputs() const { return outputs_; }
  size_t num_buffers() const { return buffers_.size(); }

  // The raw bytes of buffer `index` (empty for activations). Precondition: index < num_buffers().
  std::span<const uint8_t> buffer(uint32_t index) const;
  // Tensor `t`'s constant data, or empty when it has none.
  std::span<const uint8_t> tensor_data(int32_t t) const {
    return buffer(tensors_[static_cast<size_t>(t)].buffer);
  }

  // One line per operator ("12 CONV_2D in=[3,4,5] out=[6]"), for logs and error reports.
  std::string Summary() const;

 private:
  struct BufferExtent {
    uint64_t offset = 0;  // into bytes_
    uint64_t size = 0;
  };

  TfliteModel() = default;
  Status Parse();

  std::string path_;
  std::vector<uint8_t> bytes_;
  uint32_t version_ = 0;
  std::vector<Tensor> tensors_;
  std::vector<Operator> operators_;
  std::vector<int32_t> inputs_;
  std::vector<int32_t> outputs_;
  std::vector<BufferExtent> buffers_;
};

// Size in bytes of one element of `type`, or 0 when alike cannot read that type.
size_t ElementSize(TensorType type);

}  // namespace alike::tflite

#endif  // ALIKE_EMBED_TFLITE_MODEL_H_
