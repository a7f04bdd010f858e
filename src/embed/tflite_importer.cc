// Translates a TFLite graph into cv::dnn layers, one operator at a time, in the model's operator
// order (TFLite stores operators topologically sorted). Each TFLite tensor that is computed at run
// time gets a Value: the OpenCV layer output that holds it and its TFLite (NHWC) shape.
#include "embed/tflite_importer.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <optional>
#include <set>

#include "embed/depthwise_conv_layer.h"
#include "embed/tflite_weights.h"

namespace alike::tflite {
namespace {

struct Value {
  int layer = -1;  // OpenCV layer id; -1: not computed (constant or not yet produced)
  int output = 0;
  std::vector<int> shape;  // TFLite shape; rank-4 tensors are NCHW in the net
};

// True when a tensor's elements are in the same linear order in NHWC and NCHW, so reshapes can
// skip the layout round trip (e.g. [1,1,1,C] pooled features).
bool SameFlatOrder(const std::vector<int>& s) {
  return s.size() != 4 || s[1] * s[2] == 1 || s[3] == 1;
}

std::vector<int> ToCv(const std::vector<int>& s) {
  if (s.size() != 4) return s;
  return {s[0], s[3], s[1], s[2]};
}

std::string ShapeString(const std::vector<int>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(s[i]);
  }
  out += ']';
  return out;
}

cv::dnn::DictValue IntArray(const std::vector<int>& v) {
  return cv::dnn::DictValue::arrayInt(v.data(), static_cast<int>(v.size()));
}

// Output size and leading/trailing padding of one spatial axis, as TFLite computes them: SAME
// pads so that out = ceil(in / stride), putting the odd pixel at the end (bottom/right).
struct Axis {
  int out = 0, pad_begin = 0, pad_end = 0;
};
// Precondition (ValidWindow): all arguments in [1, kMaxWindow], in in [1, 2^28].
Axis SpatialAxis(Padding padding, int in, int kernel, int stride, int dilation) {
  const int effective = (kernel - 1) * dilation + 1;
  Axis a;
  if (padding == Padding::kSame) {
    a.out = (in + stride - 1) / stride;
    const int total = std::max((a.out - 1) * stride + effective - in, 0);
    a.pad_begin = total / 2;
    a.pad_end = total - a.pad_begin;
  } else {
    a.out = in >= effective ? (in - effective) / stride + 1 : 0;
  }
  return a;
}

// Kernel size, stride and padding: the parameters that OpenCV's Convolution and Pooling layers
// and alike's depthwise layer name alike.
void SetWindow(cv::dnn::LayerParams& p, int kh, int kw, const OpOptions& o, const Axis& ah,
               const Axis& aw) {
  p.set("kernel_h", kh);
  p.set("kernel_w", kw);
  p.set("stride_h", o.stride_h);
  p.set("stride_w", o.stride_w);
  p.set("pad_t", ah.pad_begin);
  p.set("pad_b", ah.pad_end);
  p.set("pad_l", aw.pad_begin);
  p.set("pad_r", aw.pad_end);
}

// The interval a fused activation clamps to, for those that are clamps.
std::optional<std::pair<float, float>> ClampOf(Activation act) {
  switch (act) {
    case Activation::kRelu:
      return std::pair{0.0f, std::numeric_limits<float>::infinity()};
    case Activation::kRelu6:
      return std::pair{0.0f, 6.0f};
    case Activation::kReluN1To1:
      return std::pair{-1.0f, 1.0f};
    default:
      return std::nullopt;
  }
}

// Bounds window parameters read from the file so that SpatialAxis cannot overflow.
constexpr int kMaxWindow = 4096;
bool ValidWindow(std::initializer_list<int> values) {
  return std::all_of(values.begin(), values.end(), [](int v) { return v >= 1 && v <= kMaxWindow; });
}

class Builder {
 public:
  Builder(const TfliteModel& model, TfliteImportInfo* info)
      : m_(model), info_(info), values_(model.tensors().size()), alias_(model.tensors().size()) {
    std::iota(alias_.begin(), alias_.end(), 0);
  }

  Result<cv::dnn::Net> Build() {
    if (m_.inputs().size() != 1) {
      return Status::NotSupported(m_.path() + ": " + std::to_string(m_.inputs().size()) +
                                  " graph inputs (alike imports single-input models)");
    }
    const int32_t in = m_.inputs()[0];
    const Tensor& t = tensor(in);
    info_->input_name = UniqueName(t.name.empty() ? "input" : t.name);
    net_.setInputsNames({info_->input_name});
    layer_names_.push_back(info_->input_name);  // the input layer is layer 0
    if (Shape(in).size() != 4) {
      return Status::NotSupported(m_.path() + ": input '" + t.name + "' has shape " +
                                  ShapeString(Shape(in)) + " (alike imports NHWC image models)");
    }
    ALIKE_RETURN_IF_ERROR(CheckSize(Shape(in)).WithContext(m_.path() + ": input"));
    values_[static_cast<size_t>(in)] = {0, 0, Shape(in)};
    info_->input_shape = ToCv(Shape(in));
    if (!t.quant.scale.empty()) {
      info_->input_scale = t.quant.scale[0];
      info_->input_zero_point = t.quant.zero_point.empty() ? 0 : t.quant.zero_point[0];
    }
    for (size_t i = 0; i < m_.operators().size(); ++i) {
      op_index_ = i;
      const Operator& op = m_.operators()[i];
      Status s = Convert(op);
      if (!s.ok()) {
        return s.WithContext(m_.path() + ": operator " + std::to_string(i) + " (" +
                             BuiltinOpName(op.builtin_code) + ")");
      }
    }
    for (int32_t out : m_.outputs()) {
      const Value& v = value(out);
      if (v.layer < 0) {
        return Status::NotSupported(m_.path() + ": graph output '" + tensor(out).name +
                                    "' is not computed by any operator");
      }
      info_->output_names.push_back(LayerName(v));
    }
    // OpenCV's forward() dereferences the first requested output unchecked.
    if (info_->output_names.empty()) {
      return Status::NotSupported(m_.path() + ": the graph has no outputs");
    }
    // OpenCV checks layer parameters only when it instantiates layers, at the first forward;
    // run one on zeros here so that whatever it rejects surfaces now, as a Status.
    // (CheckSize made every input dimension positive and the whole input modest.)
    net_.setInput(cv::Mat(info_->input_shape, CV_32F, cv::Scalar(0)), info_->input_name);
    std::vector<cv::Mat> outs;
    net_.forward(outs, info_->output_names);
    info_->tensor_layer_names.assign(m_.tensors().size(), "");
    for (size_t i = 0; i < values_.size(); ++i) {
      const Value& v = value(static_cast<int32_t>(i));
      if (v.layer > 0) info_->tensor_layer_names[i] = LayerName(v);
    }
    return std::move(net_);
  }

 private:
  const Tensor& tensor(int32_t t) const { return m_.tensors()[static_cast<size_t>(t)]; }
  const Value& value(int32_t t) const {
    return values_[static_cast<size_t>(alias_[static_cast<size_t>(t)])];
  }
  std::vector<int> Shape(int32_t t) const {
    const auto& s = tensor(t).shape;
    return {s.begin(), s.end()};
  }
  const std::string& LayerName(const Value& v) const {
    return layer_names_[static_cast<size_t>(v.layer)];
  }

  // OpenCV layer names must be unique; TFLite tensor names usually are, but nothing forces it.
  std::string UniqueName(const std::string& base) {
    std::string name = base;
    for (int i = 2; !names_.insert(name).second; ++i) name = base + "_" + std::to_string(i);
    return name;
  }

  int AddLayer(const std::string& base, const std::string& type, cv::dnn::LayerParams& p,
               const std::vector<Value>& inputs) {
    p.name = UniqueName(base);
    p.type = type;
    const int id = net_.addLayer(p.name, type, p);
    layer_names_.resize(static_cast<size_t>(id) + 1);
    layer_names_[static_cast<size_t>(id)] = p.name;
    for (size_t i = 0; i < inputs.size(); ++i) {
      net_.connect(inputs[i].layer, inputs[i].output, id, static_cast<int>(i));
    }
    return id;
  }

  // The computed (non-constant) input `i` of `op`, or an error naming it.
  Result<Value> Input(const Operator& op, size_t i) const {
    if (i >= op.inputs.size() || op.inputs[i] < 0) {
      return Status::Corruption("missing input " + std::to_string(i));
    }
    const Value& v = value(op.inputs[i]);
    if (v.layer < 0) {
      return Status::NotSupported("input " + std::to_string(i) + " ('" + tensor(op.inputs[i]).name +
                                  "') is a constant or is not computed before use");
    }
    return v;
  }

  // The constant operand `i` of `op` as floats (optional operands may be absent: empty result).
  Result<std::vector<float>> Constant(const Operator& op, size_t i, bool optional) const {
    if (i >= op.inputs.size() || op.inputs[i] < 0) {
      if (optional) return std::vector<float>{};
      return Status::Corruption("missing input " + std::to_string(i));
    }
    return ConstantAsFloat(m_, alias_[static_cast<size_t>(op.inputs[i])]);
  }

  Result<std::vector<int64_t>> IntConstant(const Operator& op, size_t i) const {
    if (i >= op.inputs.size() || op.inputs[i] < 0) {
      return Status::Corruption("missing input " + std::to_string(i));
    }
    return ConstantAsInt(m_, alias_[static_cast<size_t>(op.inputs[i])]);
  }

  // Activations are allocated at the first forward; refuse absurd ones (a damaged shape) here
  // rather than let OpenCV try to allocate them. Each tensor is bounded, and so is the sum over
  // every tensor the graph computes: OpenCV keeps many alive at once, and a chain of tensors
  // each under the bound still added up to gigabytes (found by fuzz/tflite_fuzzer.cc).
  static constexpr int64_t kMaxTensorFloats = int64_t{1} << 26;  // 256 MiB
  static constexpr int64_t kMaxGraphFloats = int64_t{1} << 27;   // 512 MiB
  Status CheckSize(const std::vector<int>& shape) {
    int64_t n = 1;
    for (int d : shape) {
      if (d < 1) return Status::Corruption("empty dimension in " + ShapeString(shape));
      n *= d;
      if (n > kMaxTensorFloats) {
        return Status::NotSupported("tensor " + ShapeString(shape) +
                                    " is too large (the limit is 256 MiB of floats a tensor)");
      }
    }
    graph_floats_ += n;
    if (graph_floats_ > kMaxGraphFloats) {
      return Status::NotSupported(
          "tensor " + ShapeString(shape) + " brings the graph's tensors to " +
          std::to_string(graph_floats_ * 4 >> 20) + " MiB of floats (the limit is 512 MiB)");
    }
    return Status::OK();
  }

  // Records `v` as the value of op's single output, after checking the computed shape.
  Status SetOutput(const Operator& op, Value v) {
    if (op.outputs.size() != 1) {
      return Status::NotSupported(std::to_string(op.outputs.size()) + " outputs");
    }
    const int32_t out = op.outputs[0];
    ALIKE_RETURN_IF_ERROR(CheckSize(v.shape));
    const std::vector<int> declared = Shape(out);
    if (!declared.empty() && declared != v.shape) {
      return Status::Corruption("output '" + tensor(out).name + "' is declared " +
                                ShapeString(declared) + " but computes to " + ShapeString(v.shape));
    }
    values_[static_cast<size_t>(out)] = std::move(v);
    return Status::OK();
  }

  // Appends the fused activation (if any) after `v`, naming the last layer after `out_name`.
  Result<Value> Activate(Value v, Activation act, const std::string& out_name) {
    cv::dnn::LayerParams p;
    std::string type;
    if (act == Activation::kNone) return v;
    if (act == Activation::kRelu) {
      type = "ReLU";
    } else if (act == Activation::kTanh) {
      type = "TanH";
    } else if (const auto clamp = ClampOf(act)) {
      type = "ReLU6";  // OpenCV's ReLU6 is a clip to [min_value, max_value]
      p.set("min_value", clamp->first);
      p.set("max_value", clamp->second);
    } else {
      return Status::NotSupported("fused activation " + std::to_string(static_cast<int>(act)));
    }
    const int id = AddLayer(out_name, type, p, {v});
    return Value{id, 0, v.shape};
  }

  // Output layer names: the op's output tensor name, with a suffix on the pre-activation layer
  // so that the tensor's own name lands on the layer that holds the tensor's value.
  std::string OutName(const Operator& op) const {
    const std::string& n = op.outputs.empty() ? std::string() : tensor(op.outputs[0]).name;
    return n.empty() ? "op" + std::to_string(op_index_) : n;
  }
  std::string PreName(const Operator& op, Activation act) const {
    return act == Activation::kNone ? OutName(op) : OutName(op) + ":preact";
  }

  Status Convert(const Operator& op) {
    switch (op.builtin_code) {
      case kOpConv2D:
      case kOpDepthwiseConv2D:
        return Conv(op, op.builtin_code == kOpDepthwiseConv2D);
      case kOpAveragePool2D:
      case kOpMaxPool2D:
        return Pool(op, op.builtin_code == kOpMaxPool2D);
      case kOpMean:
        return Mean(op);
      case kOpAdd:
        return Add(op);
      case kOpPad:
        return Pad(op);
      case kOpReshape:
      case kOpSqueeze:
        return Reshape(op);
      case kOpFullyConnected:
        return FullyConnected(op);
      case kOpSoftmax:
        return Softmax(op);
      case kOpConcatenation:
        return Concat(op);
      case kOpRelu:
        return Unary(op, Activation::kRelu);
      case kOpRelu6:
        return Unary(op, Activation::kRelu6);
      case kOpLogistic:
        return Unary(op, Activation::kNone);
      case kOpQuantize:
      case kOpDequantize:
        return Identity(op);
      default:
        return Status::NotSupported("operator " + BuiltinOpName(op.builtin_code) +
                                    (op.custom_code.empty() ? "" : " '" + op.custom_code + "'") +
                                    " is not supported");
    }
  }

  Status Identity(const Operator& op) {
    if (op.inputs.size() != 1 || op.outputs.size() != 1 || op.inputs[0] < 0) {
      return Status::Corruption("expects one input and one output");
    }
    const int32_t in = op.inputs[0], out = op.outputs[0];
    if (Shape(in) != Shape(out)) return Status::Corruption("changes the shape");
    // Float inference makes (de)quantisation the identity: the output simply is the input, a
    // constant (e.g. float16 weights being dequantised) included.
    alias_[static_cast<size_t>(out)] = alias_[static_cast<size_t>(in)];
    return Status::OK();
  }

  Status Conv(const Operator& op, bool depthwise) {
    const OpOptions& o = op.options;
    auto x = Input(op, 0);
    if (!x.ok()) return x.status();
    if (op.inputs.size() < 2 || op.inputs[1] < 0) return Status::Corruption("no weights");
    const std::vector<int> ws = Shape(alias_[static_cast<size_t>(op.inputs[1])]);
    const std::vector<int>& xs = x->shape;
    if (xs.size() != 4 || ws.size() != 4) {
      return Status::Corruption("input " + ShapeString(xs) + " or weights " + ShapeString(ws) +
                                " are not rank 4");
    }
    const int in_c = xs[3], kh = ws[1], kw = ws[2];
    if (!ValidWindow({o.stride_h, o.stride_w, o.dilation_h, o.dilation_w, kh, kw})) {
      return Status::Corruption("kernel, stride or dilation out of range");
    }
    // Conv weights are [O, KH, KW, I/groups]; depthwise weights are [1, KH, KW, C * multiplier].
    const int out_c = depthwise ? ws[3] : ws[0];
    const int group_in = depthwise ? 1 : ws[3];
    if (out_c < 1 || group_in < 1 || kh < 1 || kw < 1 || in_c % group_in != 0 ||
        (depthwise && (ws[0] != 1 || out_c % in_c != 0))) {
      return Status::Corruption("weights " + ShapeString(ws) + " do not fit input " +
                                ShapeString(xs));
    }
    const int groups = in_c / group_in;
    if (!depthwise && out_c % groups != 0) return Status::Corruption("bad group count");
    auto w = Constant(op, 1, false);
    if (!w.ok()) return w.status();
    auto b = Constant(op, 2, true);
    if (!b.ok()) return b.status();
    if (!b->empty() && b->size() != static_cast<size_t>(out_c)) {
      return Status::Corruption("bias has " + std::to_string(b->size()) + " values for " +
                                std::to_string(out_c) + " channels");
    }
    // OpenCV wants OIHW with I = input channels per group (1 for depthwise).
    cv::Mat weights(std::vector<int>{out_c, group_in, kh, kw}, CV_32F);
    float* dst = weights.ptr<float>();
    const std::vector<float>& src = *w;
    for (int oc = 0; oc < out_c; ++oc) {
      for (int i = 0; i < group_in; ++i) {
        for (int h = 0; h < kh; ++h) {
          for (int k = 0; k < kw; ++k) {
            const size_t from = depthwise
                                    ? (static_cast<size_t>(h) * kw + k) * out_c + oc
                                    : ((static_cast<size_t>(oc) * kh + h) * kw + k) * group_in + i;
            dst[((static_cast<size_t>(oc) * group_in + i) * kh + h) * kw + k] = src[from];
          }
        }
      }
    }
    Axis ah = SpatialAxis(o.padding, xs[1], kh, o.stride_h, o.dilation_h);
    Axis aw = SpatialAxis(o.padding, xs[2], kw, o.stride_w, o.dilation_w);
    if (depthwise && out_c == in_c && o.dilation_h == 1 && o.dilation_w == 1) {
      return DepthwiseConv(op, *x, weights, *b, ah, aw);
    }
    Value in = *x;
    if (ah.pad_begin != ah.pad_end || aw.pad_begin != aw.pad_end) {
      // OpenCV 4.6's convolution refuses asymmetric padding (TFLite's SAME with an even input
      // and stride 2); zero-pad explicitly and convolve without padding instead.
      cv::dnn::LayerParams pp;
      pp.set("paddings",
             IntArray({0, 0, 0, 0, ah.pad_begin, ah.pad_end, aw.pad_begin, aw.pad_end}));
      pp.set("value", 0.0f);
      const int pid = AddLayer(OutName(op) + ":pad", "Padding", pp, {in});
      in = Value{
          pid,
          0,
          {xs[0], xs[1] + ah.pad_begin + ah.pad_end, xs[2] + aw.pad_begin + aw.pad_end, xs[3]}};
      ah.pad_begin = ah.pad_end = aw.pad_begin = aw.pad_end = 0;
    }
    cv::dnn::LayerParams p;
    SetWindow(p, kh, kw, o, ah, aw);
    p.set("dilation_h", o.dilation_h);
    p.set("dilation_w", o.dilation_w);
    p.set("num_output", out_c);
    p.set("group", groups);
    p.set("bias_term", !b->empty());
    p.blobs.push_back(weights);
    if (!b->empty()) p.blobs.push_back(cv::Mat(1, out_c, CV_32F, b->data()).clone());
    const int id = AddLayer(PreName(op, o.activation), "Convolution", p, {in});
    auto out = Activate(Value{id, 0, {xs[0], ah.out, aw.out, out_c}}, o.activation, OutName(op));
    if (!out.ok()) return out.status();
    return SetOutput(op, *out);
  }

  // Depthwise convolution with multiplier 1 and no dilation (the MobileNets' kind) through
  // alike's own layer (depthwise_conv_layer.h: OpenCV 4.6's is slow and refuses asymmetric
  // padding), with the fused activation folded in when it is a clamp.
  Status DepthwiseConv(const Operator& op, const Value& x, const cv::Mat& weights,
                       const std::vector<float>& bias, const Axis& ah, const Axis& aw) {
    const OpOptions& o = op.options;
    const int channels = x.shape[3];
    cv::dnn::LayerParams p;
    SetWindow(p, weights.size[2], weights.size[3], o, ah, aw);
    Activation rest = o.activation;  // what the layer cannot do itself
    if (const auto clamp = ClampOf(o.activation)) {
      p.set("min_value", clamp->first);
      p.set("max_value", clamp->second);
      rest = Activation::kNone;
    }
    p.blobs.push_back(weights);
    if (!bias.empty()) p.blobs.push_back(cv::Mat(bias, true).reshape(1, 1));
    const int id = AddLayer(PreName(op, rest), kDepthwiseConvLayerType, p, {x});
    auto out = Activate(Value{id, 0, {x.shape[0], ah.out, aw.out, channels}}, rest, OutName(op));
    if (!out.ok()) return out.status();
    return SetOutput(op, *out);
  }

  Status Pool(const Operator& op, bool max) {
    const OpOptions& o = op.options;
    auto x = Input(op, 0);
    if (!x.ok()) return x.status();
    const std::vector<int>& xs = x->shape;
    if (xs.size() != 4) return Status::Corruption("input " + ShapeString(xs) + " is not rank 4");
    if (!ValidWindow({o.stride_h, o.stride_w, o.filter_h, o.filter_w})) {
      return Status::Corruption("filter size or stride out of range");
    }
    const Axis ah = SpatialAxis(o.padding, xs[1], o.filter_h, o.stride_h, 1);
    const Axis aw = SpatialAxis(o.padding, xs[2], o.filter_w, o.stride_w, 1);
    if (ah.pad_begin != ah.pad_end || aw.pad_begin != aw.pad_end) {
      // Zero padding would change both maxima and averages (TFLite averages real pixels only),
      // and OpenCV 4.6 pools symmetrically only.
      return Status::NotSupported("pooling with asymmetric SAME padding");
    }
    cv::dnn::LayerParams p;
    p.set("pool", max ? "max" : "ave");
    if (o.filter_h == xs[1] && o.filter_w == xs[2] && ah.out == 1 && aw.out == 1) {
      // A window over the whole map is a global pooling at the converted input size; saying so
      // lets the net run at other input sizes (a 7x7 window fails on the 6x6 map of a 192 input).
      p.set("global_pooling", true);
    } else {
      SetWindow(p, o.filter_h, o.filter_w, o, ah, aw);
    }
    // TFLite averages over the window's real pixels only, never over padding.
    p.set("ave_pool_padded_area", false);
    const int id = AddLayer(PreName(op, o.activation), "Pooling", p, {*x});
    Value v{id, 0, {xs[0], ah.out, aw.out, xs[3]}};
    if (!max && ah.out == 1 && aw.out == 1 && o.activation == Activation::kNone) {
      NoteEmbedding(v, *x);
    }
    auto out = Activate(v, o.activation, OutName(op));
    if (!out.ok()) return out.status();
    return SetOutput(op, *out);
  }

  void NoteEmbedding(const Value& pooled, const Value& map) {
    // The last global pooling in the graph is the one that feeds the classifier.
    info_->embedding_name = LayerName(pooled);
    info_->embedding_shape = ToCv(pooled.shape);
    info_->feature_map_name = LayerName(map);
  }

  Status Mean(const Operator& op) {
    auto x = Input(op, 0);
    if (!x.ok()) return x.status();
    auto axes = IntConstant(op, 1);
    if (!axes.ok()) return axes.status();
    const std::vector<int>& xs = x->shape;
    std::set<int64_t> ax;
    for (int64_t a : *axes) ax.insert(a < 0 ? a + static_cast<int64_t>(xs.size()) : a);
    if (xs.size() != 4 || ax != std::set<int64_t>{1, 2}) {
      return Status::NotSupported("MEAN is supported over the spatial axes of NHWC tensors only");
    }
    cv::dnn::LayerParams p;
    p.set("pool", "ave");
    p.set("global_pooling", true);
    const bool keep = op.options.keep_dims;
    const int id = AddLayer(keep ? OutName(op) : OutName(op) + ":pooled", "Pooling", p, {*x});
    Value pooled{id, 0, {xs[0], 1, 1, xs[3]}};
    NoteEmbedding(pooled, *x);
    if (keep) return SetOutput(op, pooled);
    // Without keep_dims TFLite's result is [N, C]; flatten the [N, C, 1, 1] pooled map to match.
    cv::dnn::LayerParams f;
    f.set("axis", 1);
    const int fid = AddLayer(OutName(op), "Flatten", f, {pooled});
    return SetOutput(op, Value{fid, 0, {xs[0], xs[3]}});
  }

  Status Add(const Operator& op) {
    auto a = Input(op, 0);
    if (!a.ok()) return a.status();
    auto b = Input(op, 1);
    if (!b.ok()) return b.status();
    if (a->shape != b->shape) {
      return Status::NotSupported("broadcasting ADD of " + ShapeString(a->shape) + " and " +
                                  ShapeString(b->shape));
    }
    cv::dnn::LayerParams p;
    p.set("operation", "sum");
    const Activation act = op.options.activation;
    const int id = AddLayer(PreName(op, act), "Eltwise", p, {*a, *b});
    auto out = Activate(Value{id, 0, a->shape}, act, OutName(op));
    if (!out.ok()) return out.status();
    return SetOutput(op, *out);
  }

  Status Pad(const Operator& op) {
    auto x = Input(op, 0);
    if (!x.ok()) return x.status();
    auto pads = IntConstant(op, 1);
    if (!pads.ok()) return pads.status();
    const std::vector<int>& xs = x->shape;
    if (pads->size() != 2 * xs.size()) {
      return Status::Corruption(std::to_string(pads->size()) + " padding values for rank " +
                                std::to_string(xs.size()));
    }
    std::vector<int> out_shape = xs;
    std::vector<int> tfl(pads->size());
    for (size_t i = 0; i < pads->size(); ++i) {
      if ((*pads)[i] < 0 || (*pads)[i] > (1 << 20)) return Status::Corruption("bad padding");
      tfl[i] = static_cast<int>((*pads)[i]);
    }
    for (size_t d = 0; d < xs.size(); ++d) out_shape[d] += tfl[2 * d] + tfl[2 * d + 1];
    // Pairs are (before, after) per dimension, in the net's dimension order.
    std::vector<int> cv_pads = tfl;
    if (xs.size() == 4) {
      const int order[4] = {0, 3, 1, 2};
      for (int d = 0; d < 4; ++d) {
        cv_pads[2 * d] = tfl[2 * order[d]];
        cv_pads[2 * d + 1] = tfl[2 * order[d] + 1];
      }
    }
    // The pad value is the zero point of a quantised tensor, i.e. real 0; PADV2 is not mapped.
    cv::dnn::LayerParams p;
    p.set("paddings", IntArray(cv_pads));
    p.set("value", 0.0f);
    const int id = AddLayer(OutName(op), "Padding", p, {*x});
    return SetOutput(op, Value{id, 0, out_shape});
  }

  Value Permute(const Value& v, const std::vector<int>& order, const std::string& name,
                std::vector<int> new_shape) {
    cv::dnn::LayerParams p;
    p.set("order", IntArray(order));
    const int id = AddLayer(name, "Permute", p, {v});
    return Value{id, 0, std::move(new_shape)};
  }

  // A reshape of `v` to TFLite shape `to`, keeping the net's layout rule (rank 4 = NCHW).
  Result<Value> ReshapeTo(Value v, const std::vector<int>& to, const std::string& name) {
    const auto count = [](const std::vector<int>& s) {
      return std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<int64_t>());
    };
    if (count(v.shape) != count(to)) {
      return Status::Corruption("reshape of " + ShapeString(v.shape) + " to " + ShapeString(to));
    }
    const std::vector<int> from = v.shape;
    if (from.size() == 4 && !SameFlatOrder(from)) {
      v = Permute(v, {0, 2, 3, 1}, name + ":nhwc", from);
    }
    const bool back_to_nchw = to.size() == 4 && !SameFlatOrder(to);
    std::vector<int> dims = back_to_nchw ? to : ToCv(to);
    // A reshape that keeps the leading (batch) dimension copies it from the input (OpenCV's 0),
    // so the net also runs batches larger than the model's.
    if (!from.empty() && !to.empty() && from[0] == to[0]) dims[0] = 0;
    cv::dnn::LayerParams p;
    p.set("dim", IntArray(dims));
    const int id = AddLayer(back_to_nchw ? name + ":nhwc_out" : name, "Reshape", p, {v});
    Value out{id, 0, to};
    if (back_to_nchw) out = Permute(out, {0, 3, 1, 2}, name, to);
    return out;
  }

  Status Reshape(const Operator& op) {
    auto x = Input(op, 0);
    if (!x.ok()) return x.status();
    if (op.outputs.size() != 1) return Status::Corruption("expects one output");
    std::vector<int> to = Shape(op.outputs[0]);
    if (to.empty() && !op.options.new_shape.empty()) {
      to.assign(op.options.new_shape.begin(), op.options.new_shape.end());
    }
    auto out = ReshapeTo(*x, to, OutName(op));
    if (!out.ok()) return out.status();
    return SetOutput(op, *out);
  }

  Status FullyConnected(const Operator& op) {
    auto x = Input(op, 0);
    if (!x.ok()) return x.status();
    if (op.inputs.size() < 2 || op.inputs[1] < 0) return Status::Corruption("no weights");
    const std::vector<int> ws = Shape(alias_[static_cast<size_t>(op.inputs[1])]);
    if (ws.size() != 2 || ws[0] < 1 || ws[1] < 1) {
      return Status::Corruption("weights " + ShapeString(ws) + " are not [out, in]");
    }
    const int out_n = ws[0], in_n = ws[1];
    auto w = Constant(op, 1, false);
    if (!w.ok()) return w.status();
    auto b = Constant(op, 2, true);
    if (!b.ok()) return b.status();
    if (!b->empty() && b->size() != static_cast<size_t>(out_n)) {
      return Status::Corruption("bias size does not match the weights");
    }
    // TFLite flattens the input to rows of in_n values (in NHWC order); bring it to [rows, in_n].
    Value v = *x;
    const int64_t total =
        std::accumulate(v.shape.begin(), v.shape.end(), int64_t{1}, std::multiplies<int64_t>());
    if (total % in_n != 0) {
      return Status::Corruption("input " + ShapeString(v.shape) + " does not split into rows of " +
                                std::to_string(in_n));
    }
    const int rows = static_cast<int>(total / in_n);
    if (v.shape != std::vector<int>{rows, in_n}) {
      auto r = ReshapeTo(v, {rows, in_n}, OutName(op) + ":rows");
      if (!r.ok()) return r.status();
      v = *r;
    }
    cv::dnn::LayerParams p;
    p.set("num_output", out_n);
    p.set("bias_term", !b->empty());
    p.set("axis", 1);
    p.blobs.push_back(cv::Mat(out_n, in_n, CV_32F, w->data()).clone());
    if (!b->empty()) p.blobs.push_back(cv::Mat(1, out_n, CV_32F, b->data()).clone());
    const Activation act = op.options.activation;
    const int id = AddLayer(PreName(op, act), "InnerProduct", p, {v});
    auto out = Activate(Value{id, 0, {rows, out_n}}, act, OutName(op));
    if (!out.ok()) return out.status();
    // keep_num_dims keeps the input's leading dimensions: reshape back to the declared shape.
    const std::vector<int> declared =
        op.outputs.empty() ? std::vector<int>{} : Shape(op.outputs[0]);
    if (!declared.empty() && declared != out->shape) {
      auto r = ReshapeTo(*out, declared, OutName(op) + ":out");
      if (!r.ok()) return r.status();
      return SetOutput(op, *r);
    }
    return SetOutput(op, *out);
  }

  Status Softmax(const Operator& op) {
    auto x = Input(op, 0);
    if (!x.ok()) return x.status();
    if (op.options.softmax_beta != 1.0f) {
      return Status::NotSupported("SOFTMAX with beta " + std::to_string(op.options.softmax_beta));
    }
    const int rank = static_cast<int>(x->shape.size());
    if (rank < 1) return Status::Corruption("scalar input");
    cv::dnn::LayerParams p;
    p.set("axis", rank == 4 ? 1 : rank - 1);  // TFLite's last (channel) axis
    const int id = AddLayer(OutName(op), "Softmax", p, {*x});
    return SetOutput(op, Value{id, 0, x->shape});
  }

  Status Concat(const Operator& op) {
    std::vector<Value> ins;
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      auto v = Input(op, i);
      if (!v.ok()) return v.status();
      ins.push_back(*v);
    }
    if (ins.empty()) return Status::Corruption("no inputs");
    const int rank = static_cast<int>(ins[0].shape.size());
    int axis = op.options.concat_axis < 0 ? op.options.concat_axis + rank : op.options.concat_axis;
    if (axis < 0 || axis >= rank) return Status::Corruption("axis out of range");
    std::vector<int> shape = ins[0].shape;
    shape[static_cast<size_t>(axis)] = 0;
    for (const Value& v : ins) {
      if (v.shape.size() != static_cast<size_t>(rank)) return Status::Corruption("rank mismatch");
      shape[static_cast<size_t>(axis)] += v.shape[static_cast<size_t>(axis)];
    }
    cv::dnn::LayerParams p;
    p.set("axis", rank == 4 ? std::vector<int>{0, 2, 3, 1}[static_cast<size_t>(axis)] : axis);
    const Activation act = op.options.activation;
    const int id = AddLayer(PreName(op, act), "Concat", p, ins);
    auto out = Activate(Value{id, 0, shape}, act, OutName(op));
    if (!out.ok()) return out.status();
    return SetOutput(op, *out);
  }

  Status Unary(const Operator& op, Activation act) {
    auto x = Input(op, 0);
    if (!x.ok()) return x.status();
    if (op.builtin_code == kOpLogistic) {
      cv::dnn::LayerParams p;
      const int id = AddLayer(OutName(op), "Sigmoid", p, {*x});
      return SetOutput(op, Value{id, 0, x->shape});
    }
    auto out = Activate(*x, act, OutName(op));
    if (!out.ok()) return out.status();
    return SetOutput(op, *out);
  }

  const TfliteModel& m_;
  TfliteImportInfo* info_;
  cv::dnn::Net net_;
  std::vector<Value> values_;
  // alias_[t]: the tensor whose value tensor t is (itself, or the input of a QUANTIZE or
  // DEQUANTIZE that produced t).
  std::vector<int32_t> alias_;
  std::set<std::string> names_;
  std::vector<std::string> layer_names_;  // by OpenCV layer id
  size_t op_index_ = 0;
  int64_t graph_floats_ = 0;  // summed by CheckSize over the input and every op's output
};

}  // namespace

Result<cv::dnn::Net> ImportTflite(const TfliteModel& model, TfliteImportInfo* info) {
  TfliteImportInfo local;
  TfliteImportInfo* out = info != nullptr ? info : &local;
  *out = TfliteImportInfo{};
  RegisterDepthwiseConvLayer();
  // OpenCV reports layer parameter problems by throwing; none of that may leave this function.
  try {
    return Builder(model, out).Build();
  } catch (const cv::Exception& e) {
    return Status::Internal(model.path() + ": OpenCV rejected the imported graph: " + e.what());
  } catch (const std::exception& e) {
    return Status::Internal(model.path() + ": import failed: " + e.what());
  }
}

Result<cv::dnn::Net> ImportTflite(const std::string& path, TfliteImportInfo* info) {
  auto model = TfliteModel::Load(path);
  if (!model.ok()) return model.status();
  return ImportTflite(*model, info);
}

}  // namespace alike::tflite
