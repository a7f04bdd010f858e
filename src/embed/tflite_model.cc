// Reads a .tflite flatbuffer with flatbuffers' generic Table API. Every table, vector and string
// is verified (flatbuffers::Verifier) immediately before it is read, so one pass both validates
// and extracts; nothing is read that was not verified first.
#include "embed/tflite_model.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

namespace alike::tflite {
namespace {

using flatbuffers::Table;
using flatbuffers::Vector;

// Field ids of the TFLite schema tables alike reads (field id n lives at vtable offset 4 + 2n).
namespace model_f {
constexpr int kVersion = 0, kOperatorCodes = 1, kSubgraphs = 2, kBuffers = 4;
}
namespace subgraph_f {
constexpr int kTensors = 0, kInputs = 1, kOutputs = 2, kOperators = 3;
}
namespace tensor_f {
constexpr int kShape = 0, kType = 1, kBuffer = 2, kName = 3, kQuantization = 4;
}
namespace quant_f {
constexpr int kScale = 2, kZeroPoint = 3, kQuantizedDimension = 6;
}
namespace buffer_f {
constexpr int kData = 0, kOffset = 1, kSize = 2;
}
namespace opcode_f {
constexpr int kDeprecatedBuiltinCode = 0, kCustomCode = 1, kBuiltinCode = 3;
}
namespace op_f {
constexpr int kOpcodeIndex = 0, kInputs = 1, kOutputs = 2, kOptionsType = 3, kOptions = 4;
}

// BuiltinOptions union tags of the options tables alike reads.
enum OptionsType : uint8_t {
  kOptNone = 0,
  kOptConv2D = 1,
  kOptDepthwiseConv2D = 2,
  kOptPool2D = 5,
  kOptFullyConnected = 8,
  kOptSoftmax = 9,
  kOptConcatenation = 10,
  kOptAdd = 11,
  kOptReshape = 17,
  kOptReducer = 27,
  kOptSqueeze = 30,
};

constexpr flatbuffers::voffset_t Field(int id) {
  return static_cast<flatbuffers::voffset_t>(4 + 2 * id);
}

// Verify-then-read access to one flatbuffer. Each accessor returns false when the piece it reads
// fails verification; tables opened with Open()/Element() must be closed with Close() so that the
// verifier's depth accounting stays balanced.
class Reader {
 public:
  Reader(const uint8_t* buf, size_t size) : buf_(buf), v_(buf, size) {}

  bool Root(const Table** out) {
    if (!v_.Check(v_.Verify<flatbuffers::uoffset_t>(0))) return false;
    const flatbuffers::uoffset_t o = v_.VerifyOffset(0);
    if (o == 0) return false;
    *out = reinterpret_cast<const Table*>(buf_ + o);
    return (*out)->VerifyTableStart(v_);
  }

  void Close() { v_.EndTable(); }

  template <typename T>
  bool Scalar(const Table* t, int id, T def, T* out) {
    if (!t->VerifyField<T>(v_, Field(id), sizeof(T))) return false;
    *out = t->GetField<T>(Field(id), def);
    return true;
  }

  // A vector of scalars (or of offsets); *out is null when the field is absent. The verifier
  // aligns only the length field, so the elements' own alignment (8 bytes for int64 zero points)
  // is checked here: a writer always pads for it, and reading past it is undefined behaviour.
  template <typename T>
  bool Vec(const Table* t, int id, const Vector<T>** out) {
    if (!t->VerifyOffset(v_, Field(id))) return false;
    *out = t->GetPointer<const Vector<T>*>(Field(id));
    if (v_.VerifyVector(*out) &&
        (*out == nullptr || reinterpret_cast<uintptr_t>((*out)->Data()) % alignof(T) == 0)) {
      return true;
    }
    *out = nullptr;  // never hand out an unverified vector
    return false;
  }

  bool Str(const Table* t, int id, std::string* out) {
    if (!t->VerifyOffset(v_, Field(id))) return false;
    const auto* s = t->GetPointer<const flatbuffers::String*>(Field(id));
    if (!v_.VerifyString(s)) return false;
    if (s != nullptr) out->assign(s->c_str(), s->size());
    return true;
  }

  // Opens a sub-table; *out is null (and nothing needs closing) when the field is absent.
  bool Open(const Table* t, int id, const Table** out) {
    if (!t->VerifyOffset(v_, Field(id))) return false;
    *out = t->GetPointer<const Table*>(Field(id));
    return *out == nullptr || (*out)->VerifyTableStart(v_);
  }

  // Opens element i of a verified vector of tables.
  bool Element(const Vector<flatbuffers::Offset<Table>>* vec, flatbuffers::uoffset_t i,
               const Table** out) {
    const auto* slot = reinterpret_cast<const uint8_t*>(vec->Data()) + 4 * size_t{i};
    if (v_.VerifyOffset(static_cast<size_t>(slot - buf_)) == 0) return false;
    *out = vec->Get(i);
    return (*out)->VerifyTableStart(v_);
  }

 private:
  const uint8_t* buf_;
  flatbuffers::Verifier v_;
};

template <typename T, typename U>
void CopyVector(const Vector<T>* vec, std::vector<U>* out) {
  out->clear();
  if (vec == nullptr) return;
  out->reserve(vec->size());
  for (flatbuffers::uoffset_t i = 0; i < vec->size(); ++i) out->push_back(vec->Get(i));
}

using TableVec = Vector<flatbuffers::Offset<Table>>;

// Reads the builtin options table of an operator whose code is known to alike. Options of
// operators alike does not map are skipped (the importer reports those by name).
bool ReadOptions(Reader& r, const Table* op, int32_t code, OpOptions* o, std::string* why) {
  uint8_t type = kOptNone;
  if (!r.Scalar<uint8_t>(op, op_f::kOptionsType, kOptNone, &type)) return false;
  uint8_t expected = kOptNone;
  switch (code) {
    case kOpConv2D:
      expected = kOptConv2D;
      break;
    case kOpDepthwiseConv2D:
      expected = kOptDepthwiseConv2D;
      break;
    case kOpAveragePool2D:
    case kOpMaxPool2D:
      expected = kOptPool2D;
      break;
    case kOpFullyConnected:
      expected = kOptFullyConnected;
      break;
    case kOpSoftmax:
      expected = kOptSoftmax;
      break;
    case kOpConcatenation:
      expected = kOptConcatenation;
      break;
    case kOpAdd:
      expected = kOptAdd;
      break;
    case kOpReshape:
      expected = kOptReshape;
      break;
    case kOpMean:
      expected = kOptReducer;
      break;
    case kOpSqueeze:
      expected = kOptSqueeze;
      break;
    default:
      return true;
  }
  if (type == kOptNone) return true;  // every field keeps its schema default
  if (type != expected) {
    *why = "builtin options of type " + std::to_string(type) + " where " +
           std::to_string(expected) + " was expected";
    return false;
  }
  const Table* t = nullptr;
  if (!r.Open(op, op_f::kOptions, &t)) return false;
  if (t == nullptr) return true;
  auto padding = [&](int id) {
    int8_t p = 0;
    bool ok = r.Scalar<int8_t>(t, id, 0, &p);
    o->padding = static_cast<Padding>(p);
    return ok;
  };
  auto activation = [&](int id) {
    int8_t a = 0;
    bool ok = r.Scalar<int8_t>(t, id, 0, &a);
    o->activation = static_cast<Activation>(a);
    return ok;
  };
  bool ok = true;
  switch (expected) {
    case kOptConv2D:
      ok = padding(0) && r.Scalar<int32_t>(t, 1, 0, &o->stride_w) &&
           r.Scalar<int32_t>(t, 2, 0, &o->stride_h) && activation(3) &&
           r.Scalar<int32_t>(t, 4, 1, &o->dilation_w) && r.Scalar<int32_t>(t, 5, 1, &o->dilation_h);
      break;
    case kOptDepthwiseConv2D:
      ok = padding(0) && r.Scalar<int32_t>(t, 1, 0, &o->stride_w) &&
           r.Scalar<int32_t>(t, 2, 0, &o->stride_h) &&
           r.Scalar<int32_t>(t, 3, 0, &o->depth_multiplier) && activation(4) &&
           r.Scalar<int32_t>(t, 5, 1, &o->dilation_w) && r.Scalar<int32_t>(t, 6, 1, &o->dilation_h);
      break;
    case kOptPool2D:
      ok = padding(0) && r.Scalar<int32_t>(t, 1, 0, &o->stride_w) &&
           r.Scalar<int32_t>(t, 2, 0, &o->stride_h) && r.Scalar<int32_t>(t, 3, 0, &o->filter_w) &&
           r.Scalar<int32_t>(t, 4, 0, &o->filter_h) && activation(5);
      break;
    case kOptFullyConnected: {
      uint8_t keep = 0;
      ok = activation(0) && r.Scalar<uint8_t>(t, 2, 0, &keep);
      o->keep_num_dims = keep != 0;
      break;
    }
    case kOptSoftmax:
      ok = r.Scalar<float>(t, 0, 0.0f, &o->softmax_beta);
      break;
    case kOptConcatenation:
      ok = r.Scalar<int32_t>(t, 0, 0, &o->concat_axis) && activation(1);
      break;
    case kOptAdd:
      ok = activation(0);
      break;
    case kOptReshape: {
      const Vector<int32_t>* v = nullptr;
      ok = r.Vec(t, 0, &v);
      if (ok) CopyVector(v, &o->new_shape);
      break;
    }
    case kOptReducer: {
      uint8_t keep = 0;
      ok = r.Scalar<uint8_t>(t, 0, 0, &keep);
      o->keep_dims = keep != 0;
      break;
    }
    case kOptSqueeze: {
      const Vector<int32_t>* v = nullptr;
      ok = r.Vec(t, 0, &v);
      if (ok) CopyVector(v, &o->squeeze_dims);
      break;
    }
    default:
      break;
  }
  r.Close();
  return ok;
}

constexpr uint64_t kMaxElements = uint64_t{1} << 36;  // far above any image model

// Element count of a shape, or nullopt when a dimension is negative or the count is absurd.
std::optional<uint64_t> NumElements(const std::vector<int32_t>& shape) {
  uint64_t n = 1;
  for (int32_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d != 0 && n > kMaxElements / static_cast<uint64_t>(d)) return std::nullopt;
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

}  // namespace

std::string BuiltinOpName(int32_t code) {
  switch (code) {
    case kOpAdd:
      return "ADD";
    case kOpAveragePool2D:
      return "AVERAGE_POOL_2D";
    case kOpConcatenation:
      return "CONCATENATION";
    case kOpConv2D:
      return "CONV_2D";
    case kOpDepthwiseConv2D:
      return "DEPTHWISE_CONV_2D";
    case kOpDequantize:
      return "DEQUANTIZE";
    case kOpFullyConnected:
      return "FULLY_CONNECTED";
    case kOpLogistic:
      return "LOGISTIC";
    case kOpMaxPool2D:
      return "MAX_POOL_2D";
    case kOpRelu:
      return "RELU";
    case kOpRelu6:
      return "RELU6";
    case kOpReshape:
      return "RESHAPE";
    case kOpSoftmax:
      return "SOFTMAX";
    case kOpPad:
      return "PAD";
    case kOpMean:
      return "MEAN";
    case kOpSqueeze:
      return "SQUEEZE";
    case kOpQuantize:
      return "QUANTIZE";
    case 18:
      return "MUL";
    case 28:
      return "TANH";
    case 32:
      return "CUSTOM";
    case 39:
      return "TRANSPOSE";
    case 41:
      return "SUB";
    case 42:
      return "DIV";
    default:
      return "BUILTIN_" + std::to_string(code);
  }
}

size_t ElementSize(TensorType type) {
  switch (type) {
    case TensorType::kFloat32:
    case TensorType::kInt32:
      return 4;
    case TensorType::kFloat16:
    case TensorType::kInt16:
      return 2;
    case TensorType::kUint8:
    case TensorType::kInt8:
      return 1;
    case TensorType::kInt64:
      return 8;
  }
  return 0;
}

Result<TfliteModel> TfliteModel::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::IOError("cannot open " + path);
  const std::streamoff size = in.tellg();
  if (size < 0) return Status::IOError("cannot read " + path);
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    return Status::IOError("cannot read " + path);
  }
  return FromBytes(std::move(bytes), path);
}

Result<TfliteModel> TfliteModel::FromBytes(std::vector<uint8_t> bytes, const std::string& name) {
  TfliteModel m;
  m.path_ = name;
  m.bytes_ = std::move(bytes);
  Status s = m.Parse();
  if (!s.ok()) return s;
  return m;
}

std::span<const uint8_t> TfliteModel::buffer(uint32_t index) const {
  const BufferExtent& e = buffers_[index];
  return {bytes_.data() + e.offset, static_cast<size_t>(e.size)};
}

Status TfliteModel::Parse() {
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption(path_ + ": not a valid TFLite model: " + what);
  };
  // flatbuffers offsets are 32-bit; anything at or above 2 GiB is not a flatbuffer we can verify.
  if (bytes_.size() < 8 || bytes_.size() >= (size_t{1} << 31)) {
    return corrupt("file size " + std::to_string(bytes_.size()));
  }
  if (std::memcmp(bytes_.data() + 4, "TFL3", 4) != 0) return corrupt("no TFL3 identifier");
  Reader r(bytes_.data(), bytes_.size());
  const Table* model = nullptr;
  if (!r.Root(&model)) return corrupt("root table");
  const TableVec* opcodes = nullptr;
  const TableVec* subgraphs = nullptr;
  const TableVec* buffers = nullptr;
  if (!r.Scalar<uint32_t>(model, model_f::kVersion, 0, &version_) ||
      !r.Vec(model, model_f::kOperatorCodes, &opcodes) ||
      !r.Vec(model, model_f::kSubgraphs, &subgraphs) ||
      !r.Vec(model, model_f::kBuffers, &buffers)) {
    return corrupt("model table");
  }
  if (subgraphs == nullptr || subgraphs->size() == 0) return corrupt("no subgraph");

  // Buffers: inline data, or (models over 2 GiB) an offset/size pair into the file.
  const uint32_t num_buffers = buffers == nullptr ? 0 : buffers->size();
  buffers_.resize(num_buffers);
  for (uint32_t i = 0; i < num_buffers; ++i) {
    const Table* b = nullptr;
    if (!r.Element(buffers, i, &b)) return corrupt("buffer " + std::to_string(i));
    const Vector<uint8_t>* data = nullptr;
    uint64_t offset = 0, size = 0;
    const bool ok = r.Vec(b, buffer_f::kData, &data) &&
                    r.Scalar<uint64_t>(b, buffer_f::kOffset, 0, &offset) &&
                    r.Scalar<uint64_t>(b, buffer_f::kSize, 0, &size);
    r.Close();
    if (!ok) return corrupt("buffer " + std::to_string(i));
    if (data != nullptr && data->size() > 0) {
      buffers_[i] = {static_cast<uint64_t>(data->Data() - bytes_.data()), data->size()};
    } else if (offset > 1) {  // 0 and 1 are TFLite's "no external data" sentinels
      if (offset > bytes_.size() || size > bytes_.size() - offset) {
        return corrupt("buffer " + std::to_string(i) + " extends past the end of the file");
      }
      buffers_[i] = {offset, size};
    }
  }

  // Operator codes: the effective code is the larger of the old int8 field and the new int32 one
  // (TFLite writes a placeholder into whichever one cannot hold the code).
  const uint32_t num_opcodes = opcodes == nullptr ? 0 : opcodes->size();
  std::vector<int32_t> codes(num_opcodes);
  std::vector<std::string> custom(num_opcodes);
  for (uint32_t i = 0; i < num_opcodes; ++i) {
    const Table* c = nullptr;
    if (!r.Element(opcodes, i, &c)) return corrupt("operator code " + std::to_string(i));
    int8_t deprecated = 0;
    int32_t code = 0;
    const bool ok = r.Scalar<int8_t>(c, opcode_f::kDeprecatedBuiltinCode, 0, &deprecated) &&
                    r.Str(c, opcode_f::kCustomCode, &custom[i]) &&
                    r.Scalar<int32_t>(c, opcode_f::kBuiltinCode, 0, &code);
    r.Close();
    if (!ok) return corrupt("operator code " + std::to_string(i));
    codes[i] = std::max<int32_t>(deprecated, code);
  }

  const Table* sg = nullptr;
  if (!r.Element(subgraphs, 0, &sg)) return corrupt("subgraph 0");
  const TableVec* tensors = nullptr;
  const TableVec* operators = nullptr;
  const Vector<int32_t>* inputs = nullptr;
  const Vector<int32_t>* outputs = nullptr;
  if (!r.Vec(sg, subgraph_f::kTensors, &tensors) || !r.Vec(sg, subgraph_f::kInputs, &inputs) ||
      !r.Vec(sg, subgraph_f::kOutputs, &outputs) ||
      !r.Vec(sg, subgraph_f::kOperators, &operators)) {
    return corrupt("subgraph 0");
  }
  CopyVector(inputs, &inputs_);
  CopyVector(outputs, &outputs_);

  const uint32_t num_tensors = tensors == nullptr ? 0 : tensors->size();
  tensors_.resize(num_tensors);
  for (uint32_t i = 0; i < num_tensors; ++i) {
    const std::string where = "tensor " + std::to_string(i);
    Tensor& t = tensors_[i];
    const Table* tt = nullptr;
    if (!r.Element(tensors, i, &tt)) return corrupt(where);
    const Vector<int32_t>* shape = nullptr;
    int8_t type = 0;
    const Table* q = nullptr;
    bool ok = r.Vec(tt, tensor_f::kShape, &shape) &&
              r.Scalar<int8_t>(tt, tensor_f::kType, 0, &type) &&
              r.Scalar<uint32_t>(tt, tensor_f::kBuffer, 0, &t.buffer) &&
              r.Str(tt, tensor_f::kName, &t.name) && r.Open(tt, tensor_f::kQuantization, &q);
    if (ok && q != nullptr) {
      const Vector<float>* scale = nullptr;
      const Vector<int64_t>* zero_point = nullptr;
      ok = r.Vec(q, quant_f::kScale, &scale) && r.Vec(q, quant_f::kZeroPoint, &zero_point) &&
           r.Scalar<int32_t>(q, quant_f::kQuantizedDimension, 0, &t.quant.quantized_dimension);
      if (ok) {
        CopyVector(scale, &t.quant.scale);
        CopyVector(zero_point, &t.quant.zero_point);
      }
      r.Close();
    }
    r.Close();
    if (!ok) return corrupt(where);
    CopyVector(shape, &t.shape);
    t.type = static_cast<TensorType>(type);
    const std::string label = where + " ('" + t.name + "')";
    if (t.shape.size() > 8) return corrupt(label + " has rank " + std::to_string(t.shape.size()));
    const std::optional<uint64_t> n = NumElements(t.shape);
    if (!n) return corrupt(label + " has an invalid shape");
    if (t.buffer >= num_buffers) return corrupt(label + " refers to a missing buffer");
    const uint64_t bytes = buffers_[t.buffer].size;
    const size_t elem = ElementSize(t.type);
    if (bytes != 0 && elem != 0 && bytes != *n * elem) {
      return corrupt(label + " holds " + std::to_string(bytes) + " bytes where its shape needs " +
                     std::to_string(*n * elem));
    }
    const Quantization& qp = t.quant;
    if (!qp.zero_point.empty() && qp.zero_point.size() != qp.scale.size()) {
      return corrupt(label + " has mismatched quantisation scales and zero points");
    }
    if (qp.scale.size() > 1) {
      if (qp.quantized_dimension < 0 ||
          static_cast<size_t>(qp.quantized_dimension) >= t.shape.size() ||
          static_cast<size_t>(t.shape[static_cast<size_t>(qp.quantized_dimension)]) !=
              qp.scale.size()) {
        return corrupt(label + " has per-channel scales that do not match its shape");
      }
    }
  }
  auto tensor_ok = [&](int32_t idx, bool optional) {
    return (optional && idx == -1) || (idx >= 0 && static_cast<uint32_t>(idx) < num_tensors);
  };
  for (int32_t idx : inputs_) {
    if (!tensor_ok(idx, false)) return corrupt("graph input " + std::to_string(idx));
  }
  for (int32_t idx : outputs_) {
    if (!tensor_ok(idx, false)) return corrupt("graph output " + std::to_string(idx));
  }

  const uint32_t num_ops = operators == nullptr ? 0 : operators->size();
  operators_.resize(num_ops);
  for (uint32_t i = 0; i < num_ops; ++i) {
    const std::string where = "operator " + std::to_string(i);
    Operator& op = operators_[i];
    const Table* ot = nullptr;
    if (!r.Element(operators, i, &ot)) return corrupt(where);
    uint32_t opcode_index = 0;
    const Vector<int32_t>* ins = nullptr;
    const Vector<int32_t>* outs = nullptr;
    std::string why;
    bool ok = r.Scalar<uint32_t>(ot, op_f::kOpcodeIndex, 0, &opcode_index) &&
              r.Vec(ot, op_f::kInputs, &ins) && r.Vec(ot, op_f::kOutputs, &outs);
    if (ok && opcode_index >= num_opcodes) {
      r.Close();
      return corrupt(where + " has operator code index " + std::to_string(opcode_index));
    }
    if (ok) {
      op.builtin_code = codes[opcode_index];
      op.custom_code = custom[opcode_index];
      ok = ReadOptions(r, ot, op.builtin_code, &op.options, &why);
    }
    r.Close();
    if (!ok) return corrupt(where + (why.empty() ? "" : ": " + why));
    CopyVector(ins, &op.inputs);
    CopyVector(outs, &op.outputs);
    for (int32_t idx : op.inputs) {
      if (!tensor_ok(idx, true)) return corrupt(where + " input " + std::to_string(idx));
    }
    for (int32_t idx : op.outputs) {
      if (!tensor_ok(idx, false)) return corrupt(where + " output " + std::to_string(idx));
    }
  }
  r.Close();  // subgraph 0
  r.Close();  // model
  return Status::OK();
}

std::string TfliteModel::Summary() const {
  std::ostringstream out;
  auto list = [&](const std::vector<int32_t>& v) {
    out << "[";
    for (size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << v[i];
    out << "]";
  };
  for (size_t i = 0; i < operators_.size(); ++i) {
    const Operator& op = operators_[i];
    out << i << " " << BuiltinOpName(op.builtin_code) << " in=";
    list(op.inputs);
    out << " out=";
    list(op.outputs);
    out << "\n";
  }
  return out.str();
}

}  // namespace alike::tflite
