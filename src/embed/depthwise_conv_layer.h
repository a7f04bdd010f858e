// A cv::dnn layer for depthwise 2-D convolution (one 2-D filter per channel), which the TFLite
// importer uses instead of OpenCV's own grouped Convolution for DEPTHWISE_CONV_2D.
//
// Why: in OpenCV 4.6 a depthwise convolution costs far more than its arithmetic. On MobileNetV2
// (one core, AVX-512) the 17 depthwise layers hold ~7% of the multiply-adds but took ~8.5 of
// ~23 ms per forward pass (about 2 us per channel whatever the plane size: 576 channels of 14x14
// took 1 ms), and TFLite's asymmetric SAME padding, which OpenCV's convolution refuses, needed
// four explicit Padding layers before them (another ~1.7 ms, mostly copying a 96 x 113 x 113
// tensor). Here the same layers take ~3.3 ms in all: each channel is copied into a zeroed,
// padded buffer that stays in cache, and the 3x3 kernels are unrolled so that the loop over
// output pixels vectorises. The output is clamped to [min_value, max_value] in the same pass, so
// ReLU, ReLU6 and RELU_N1_TO_1 need no layer of their own.
//
// Parameters (LayerParams): kernel_h, kernel_w, stride_h, stride_w, pad_t, pad_l, pad_b, pad_r,
// min_value and max_value (default: no clamp); blobs[0] = weights [C, 1, KH, KW], optional
// blobs[1] = bias [1, C]. Input and output NCHW float; channel multiplier 1, no dilation.
//
// Thread-safety: RegisterDepthwiseConvLayer may be called from any thread, any number of times.
// A layer instance, like the cv::dnn::Net that holds it, serves one thread at a time; its
// forward pass spreads channels over OpenCV's threads (cv::setNumThreads).
#ifndef ALIKE_EMBED_DEPTHWISE_CONV_LAYER_H_
#define ALIKE_EMBED_DEPTHWISE_CONV_LAYER_H_

namespace alike::tflite {

// The layer type name for Net::addLayer.
inline constexpr char kDepthwiseConvLayerType[] = "AlikeDepthwiseConv";

// Makes kDepthwiseConvLayerType known to OpenCV's layer factory (once per process).
void RegisterDepthwiseConvLayer();

}  // namespace alike::tflite

#endif  // ALIKE_EMBED_DEPTHWISE_CONV_LAYER_H_
