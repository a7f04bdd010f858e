// ImportTflite: rebuilds a TensorFlow Lite model as an equivalent float cv::dnn::Net.
//
// OpenCV 4.6 cannot read .tflite files, and alike does not link the TFLite runtime, so the graph
// is translated operator by operator into OpenCV layers (Net::addLayer/connect). Quantised
// weights and biases are dequantised ((q - zero_point) * scale, per channel where the model says
// so); activation quantisation is not simulated, so QUANTIZE and DEQUANTIZE become identities and
// the net computes in float what the quantised model approximates. The net's input is therefore
// the *dequantised* input (for the MobileNets: RGB x/127.5 - 1, NCHW), whatever the model's
// input tensor type is.
//
// Layout: TFLite tensors are NHWC; in the OpenCV net every rank-4 tensor is NCHW and every other
// tensor keeps the TFLite shape. Weights are transposed accordingly (OHWI -> OIHW).
//
// Depthwise convolutions (multiplier 1, no dilation) become alike's own layer type
// (depthwise_conv_layer.h), which pads asymmetrically and clamps in place: on the MobileNets
// about 3x faster than OpenCV 4.6's grouped convolution plus the Padding layers that TFLite's
// SAME padding needs in front of it, a third less time per MobileNetV2 forward pass.
//
// Supported operators: CONV_2D, DEPTHWISE_CONV_2D, ADD (same-shape tensors), PAD (constant 0),
// AVERAGE_POOL_2D, MAX_POOL_2D, MEAN over H and W, RESHAPE, SQUEEZE, FULLY_CONNECTED, SOFTMAX,
// CONCATENATION, RELU, RELU6, LOGISTIC, QUANTIZE, DEQUANTIZE, and the fused activations NONE,
// RELU, RELU6, RELU_N1_TO_1 and TANH. Anything else is Status::NotSupported naming the operator
// and its index.
//
// Batches: reshapes that keep the batch dimension copy it at run time, so a net imported from a
// batch-1 model (the MobileNets) also runs [N, 3, 224, 224] blobs. Import
// ends with one forward pass on zeros, because OpenCV validates layer parameters only when it
// first runs a net; a net that ImportTflite returns has run once.
//
// Thread-safety: ImportTflite is a free function with no shared state; concurrent calls are safe.
// The returned cv::dnn::Net is, like any cv::dnn::Net, not safe to use from several threads.
#ifndef ALIKE_EMBED_TFLITE_IMPORTER_H_
#define ALIKE_EMBED_TFLITE_IMPORTER_H_

#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "alike/status.h"
#include "embed/tflite_model.h"

namespace alike::tflite {

struct TfliteImportInfo {
  // The net's single input: its name (for Net::setInput) and its NCHW shape.
  std::string input_name;
  std::vector<int> input_shape;
  // The quantisation of the model's input tensor (scale 0: float input). Informational: the
  // net itself takes the dequantised values.
  float input_scale = 0.0f;
  int64_t input_zero_point = 0;
  // OpenCV layer names of the graph's outputs, in the model's order (for Net::forward).
  std::vector<std::string> output_names;
  // The layer holding the globally pooled feature map that feeds the classifier (MEAN or
  // AVERAGE_POOL_2D over the whole map), shaped [1, C, 1, 1]; empty when the graph has none.
  // This is the image embedding.
  std::string embedding_name;
  std::vector<int> embedding_shape;
  // The layer whose output that pooling reads, [1, C, H, W]: the last feature map, for callers
  // that pool it their own way (GeM). Empty when embedding_name is.
  std::string feature_map_name;
  // OpenCV layer name of each TFLite tensor that became a layer output, indexed like
  // TfliteModel::tensors() (empty for constants and unused tensors).
  std::vector<std::string> tensor_layer_names;
};

// Builds the net from an already loaded model. NotSupported for unmapped operators or
// parameters, Corruption (naming the model) for weights or shapes that contradict each other.
Result<cv::dnn::Net> ImportTflite(const TfliteModel& model, TfliteImportInfo* info);

// Loads `path` (see TfliteModel::Load) and imports it. `info` may be null.
Result<cv::dnn::Net> ImportTflite(const std::string& path, TfliteImportInfo* info);

}  // namespace alike::tflite

#endif  // ALIKE_EMBED_TFLITE_IMPORTER_H_
