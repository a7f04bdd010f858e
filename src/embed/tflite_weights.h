// Dequantisation of constant TFLite tensors (weights, biases, shape and axis operands).
//
// Quantised TFLite weights are stored as integers q with real value (q - zero_point) * scale;
// scale and zero_point are either per tensor or per channel along `quantized_dimension`. The
// importer rebuilds a float network, so every constant it uses goes through here.
//
// Thread-safety: pure functions over an immutable TfliteModel; safe to call concurrently.
#ifndef ALIKE_EMBED_TFLITE_WEIGHTS_H_
#define ALIKE_EMBED_TFLITE_WEIGHTS_H_

#include <cstdint>
#include <vector>

#include "alike/status.h"
#include "embed/tflite_model.h"

namespace alike::tflite {

// The real values of constant tensor `t` in TFLite (row-major, NHWC) order. FailedPrecondition
// when the tensor has no data (it is computed at run time); NotSupported for element types alike
// cannot read. Float tensors are returned as stored; integer tensors with quantisation parameters
// are dequantised; integer tensors without them are converted as plain numbers.
Result<std::vector<float>> ConstantAsFloat(const TfliteModel& model, int32_t t);

// The values of a constant INT32 or INT64 tensor (paddings, axes, shapes), without dequantising.
Result<std::vector<int64_t>> ConstantAsInt(const TfliteModel& model, int32_t t);

}  // namespace alike::tflite

#endif  // ALIKE_EMBED_TFLITE_WEIGHTS_H_
