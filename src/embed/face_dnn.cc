#include "embed/face_dnn.h"

#include <dlib/dnn.h>
#include <dlib/opencv.h>

#include <filesystem>

#include "embed/dlib_boxes.h"

namespace alike::embed {
namespace {

// The network types must match the serialized models layer for layer; dlib documents both
// architectures with its example programs.

// Face ResNet: 3x3 convolution pairs with affine (frozen batch-norm) layers, residual shortcuts;
// a downsampling unit halves the resolution with a strided first convolution and an
// average-pooled shortcut.
template <int K, int Stride, typename In>
using ConvPair = dlib::affine<
    dlib::con<K, 3, 3, 1, 1, dlib::relu<dlib::affine<dlib::con<K, 3, 3, Stride, Stride, In>>>>>;
template <int K, typename In>
using Unit = dlib::relu<dlib::add_prev1<ConvPair<K, 1, dlib::tag1<In>>>>;
template <int K, typename In>
using DownUnit = dlib::relu<dlib::add_prev2<
    dlib::avg_pool<2, 2, 2, 2, dlib::skip1<dlib::tag2<ConvPair<K, 2, dlib::tag1<In>>>>>>>;

template <typename In>
using Stage32 = Unit<32, Unit<32, Unit<32, In>>>;
template <typename In>
using Stage64 = Unit<64, Unit<64, Unit<64, DownUnit<64, In>>>>;
template <typename In>
using Stage128 = Unit<128, Unit<128, DownUnit<128, In>>>;
template <typename In>
using Stage256 = DownUnit<256, Unit<256, Unit<256, DownUnit<256, In>>>>;

using ResNet = dlib::loss_metric<dlib::fc_no_bias<
    FaceNet::kDimension,
    dlib::avg_pool_everything<Stage256<Stage128<Stage64<Stage32<dlib::max_pool<
        3, 3, 2, 2,
        dlib::relu<dlib::affine<
            dlib::con<32, 7, 7, 2, 2, dlib::input_rgb_image_sized<FaceNet::kChipSize>>>>>>>>>>>>;

// MMOD face detector: three strided 5x5 convolutions (8x downsampling), three 5x5 convolutions
// of 45 filters, one 9x9 detection filter, scanned over a 5/6 image pyramid.
template <long K, typename In>
using Down = dlib::relu<dlib::affine<dlib::con<K, 5, 5, 2, 2, In>>>;
template <typename In>
using Conv45 = dlib::relu<dlib::affine<dlib::con<45, 5, 5, 1, 1, In>>>;
using Mmod = dlib::loss_mmod<dlib::con<
    1, 9, 9, 1, 1,
    Conv45<Conv45<Conv45<
        Down<32, Down<32, Down<16, dlib::input_rgb_image_pyramid<dlib::pyramid_down<6>>>>>>>>>>;

// Loads a FaceNet or MmodNet: its `Net::net` from a dlib model file.
template <typename Outer>
Result<std::unique_ptr<Outer>> LoadNet(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    return Status::NotFound(path + ": no such model file (run scripts/setup.sh)");
  }
  auto net = std::make_unique<typename Outer::Net>();
  try {
    dlib::deserialize(path) >> net->net;
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": dlib cannot read the model: " + e.what());
  }
  return std::make_unique<Outer>(std::move(net));
}

dlib::matrix<dlib::rgb_pixel> ToDlib(const cv::Mat& bgr) {
  dlib::matrix<dlib::rgb_pixel> img;
  dlib::assign_image(img, dlib::cv_image<dlib::bgr_pixel>(bgr));
  return img;
}

}  // namespace

struct FaceNet::Net {
  ResNet net;
};

FaceNet::FaceNet(std::unique_ptr<Net> net) : net_(std::move(net)) {}
FaceNet::~FaceNet() = default;

Result<std::unique_ptr<FaceNet>> FaceNet::Load(const std::string& path) {
  return LoadNet<FaceNet>(path);
}

std::unique_ptr<FaceNet> FaceNet::Clone() const {
  return std::make_unique<FaceNet>(std::make_unique<Net>(*net_));
}

Result<std::vector<std::vector<float>>> FaceNet::Describe(const std::vector<cv::Mat>& chips) {
  std::vector<dlib::matrix<dlib::rgb_pixel>> inputs;
  for (const cv::Mat& chip : chips) {
    if (chip.type() != CV_8UC3 || chip.rows != kChipSize || chip.cols != kChipSize) {
      return Status::InvalidArgument("face net: chips must be 150x150 8-bit BGR");
    }
    inputs.push_back(ToDlib(chip));
  }
  std::vector<std::vector<float>> out;
  try {
    constexpr size_t kBatch = 16;
    for (const dlib::matrix<float, 0, 1>& d : net_->net(inputs, kBatch)) {
      out.emplace_back(d.begin(), d.end());
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face net: dlib failed: ") + e.what());
  }
  return out;
}

struct MmodNet::Net {
  Mmod net;
};

MmodNet::MmodNet(std::unique_ptr<Net> net) : net_(std::move(net)) {}
MmodNet::~MmodNet() = default;

Result<std::unique_ptr<MmodNet>> MmodNet::Load(const std::string& path) {
  return LoadNet<MmodNet>(path);
}

Result<std::vector<FaceBox>> MmodNet::Detect(const cv::Mat& bgr) {
  try {
    return ToFaceBoxes(net_->net(ToDlib(bgr)));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("face detector: dlib MMOD failed: ") + e.what());
  }
}

}  // namespace alike::embed
