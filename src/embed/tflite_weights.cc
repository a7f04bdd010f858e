#include "embed/tflite_weights.h"

#include <cstring>
#include <opencv2/core.hpp>

namespace alike::tflite {
namespace {

// Reads element i of a little-endian buffer of T; memcpy because weight data in a flatbuffer
// vector is only guaranteed byte alignment.
template <typename T>
T Load(std::span<const uint8_t> data, size_t i) {
  T v;
  std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
  return v;
}

std::string Label(const TfliteModel& model, int32_t t) {
  return "tensor " + std::to_string(t) + " ('" + model.tensors()[static_cast<size_t>(t)].name +
         "')";
}

}  // namespace

Result<std::vector<float>> ConstantAsFloat(const TfliteModel& model, int32_t t) {
  const Tensor& tensor = model.tensors()[static_cast<size_t>(t)];
  const std::span<const uint8_t> data = model.tensor_data(t);
  if (data.empty()) {
    return Status::FailedPrecondition(Label(model, t) + " has no constant data");
  }
  const size_t elem = ElementSize(tensor.type);
  if (elem == 0) {
    return Status::NotSupported(Label(model, t) + " has element type " +
                                std::to_string(static_cast<int>(tensor.type)));
  }
  // TfliteModel::Load checked that the buffer holds exactly shape-product elements.
  const size_t n = data.size() / elem;
  std::vector<float> out(n);
  switch (tensor.type) {
    case TensorType::kFloat32:
      std::memcpy(out.data(), data.data(), n * sizeof(float));
      return out;
    case TensorType::kFloat16:
      for (size_t i = 0; i < n; ++i) {
        out[i] = static_cast<float>(cv::float16_t::fromBits(Load<uint16_t>(data, i)));
      }
      return out;
    case TensorType::kInt8:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(Load<int8_t>(data, i));
      break;
    case TensorType::kUint8:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(Load<uint8_t>(data, i));
      break;
    case TensorType::kInt16:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(Load<int16_t>(data, i));
      break;
    case TensorType::kInt32:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(Load<int32_t>(data, i));
      break;
    case TensorType::kInt64:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(Load<int64_t>(data, i));
      break;
  }
  const Quantization& q = tensor.quant;
  if (q.scale.empty()) return out;
  // Per-channel: element i belongs to channel (i / inner) % channels, where inner is the product
  // of the dimensions after the quantised one. Per-tensor is the case channels == 1.
  size_t channels = 1, inner = 1;
  if (q.scale.size() > 1) {
    const size_t axis = static_cast<size_t>(q.quantized_dimension);
    channels = q.scale.size();
    for (size_t d = axis + 1; d < tensor.shape.size(); ++d) {
      inner *= static_cast<size_t>(tensor.shape[d]);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t c = (i / inner) % channels;
    const double zp = q.zero_point.empty() ? 0.0 : static_cast<double>(q.zero_point[c]);
    out[i] = static_cast<float>((static_cast<double>(out[i]) - zp) * q.scale[c]);
  }
  return out;
}

Result<std::vector<int64_t>> ConstantAsInt(const TfliteModel& model, int32_t t) {
  const Tensor& tensor = model.tensors()[static_cast<size_t>(t)];
  const std::span<const uint8_t> data = model.tensor_data(t);
  if (data.empty()) {
    return Status::FailedPrecondition(Label(model, t) + " has no constant data");
  }
  std::vector<int64_t> out;
  if (tensor.type == TensorType::kInt32) {
    for (size_t i = 0; i < data.size() / 4; ++i) out.push_back(Load<int32_t>(data, i));
  } else if (tensor.type == TensorType::kInt64) {
    for (size_t i = 0; i < data.size() / 8; ++i) out.push_back(Load<int64_t>(data, i));
  } else {
    return Status::NotSupported(Label(model, t) + " should hold integers but has element type " +
                                std::to_string(static_cast<int>(tensor.type)));
  }
  return out;
}

}  // namespace alike::tflite
