#include "library/image_facts.h"

#include <openssl/evp.h>

#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string_view>

#include "image/pixels.h"
#include "util/text.h"

namespace alike::library {

std::string ContentHash(std::span<const uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return HexString({digest, length});
}

namespace {

// EXIF writes "YYYY:MM:DD HH:MM:SS"; ISO 8601 sorts and reads better.
std::string IsoDate(const std::string& exif) {
  static constexpr std::string_view kShape = "dddd:dd:dd dd:dd:dd";
  if (exif.size() < kShape.size()) return "";
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(exif[i]));
    if (kShape[i] == 'd' ? !digit : exif[i] != kShape[i]) return "";
  }
  std::string iso = exif.substr(0, kShape.size());
  iso[4] = '-';
  iso[7] = '-';
  iso[10] = 'T';
  if (iso.starts_with("0000")) return "";  // cameras with an unset clock
  return iso;
}

// "Canon" + "Canon EOS 5D" -> "Canon EOS 5D"; "Apple" + "iPhone 12" -> "Apple iPhone 12".
std::string Camera(const std::string& make, const std::string& model) {
  if (make.empty()) return model;
  if (model.empty()) return make;
  if (model.starts_with(make)) return model;
  return make + " " + model;
}

void AddFacts(const ImageFacts& facts, std::span<const std::string> tags, nlohmann::json& p) {
  p.update({{"format", facts.format},
            {"width", facts.width},
            {"height", facts.height},
            {"bytes", facts.bytes}});
  if (!facts.taken.empty()) {
    p["taken"] = facts.taken;
    p["year"] = std::stoi(facts.taken.substr(0, 4));
  }
  if (!facts.camera.empty()) p["camera"] = facts.camera;
  if (facts.latitude && facts.longitude) {
    p["lat"] = *facts.latitude;
    p["lon"] = *facts.longitude;
  }
  p["tags"] = std::vector<std::string>(tags.begin(), tags.end());
}

}  // namespace

ImageFacts FactsOf(const image::Image& image, std::string hash, int64_t bytes) {
  ImageFacts f;
  f.hash = std::move(hash);
  f.bytes = bytes;
  f.width = image.original_width;
  f.height = image.original_height;
  f.format = image.format;
  f.taken = IsoDate(image.exif.date_time);
  f.camera = Camera(image.exif.camera_make, image.exif.camera_model);
  f.latitude = image.exif.latitude;
  f.longitude = image.exif.longitude;
  return f;
}

std::string ImagePayload(uint64_t image_id, const ImageFacts& facts,
                         std::span<const std::string> tags) {
  nlohmann::json p = {{"image", image_id}};
  AddFacts(facts, tags, p);
  // Camera strings come from the file: replace invalid UTF-8 rather than fail.
  return p.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string FactsPayload(const ImageFacts& facts) {
  nlohmann::json p = nlohmann::json::object();
  AddFacts(facts, {}, p);
  return p.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string RegionPayload(const std::string& image_payload, const PixelBox& box, float score,
                          std::span<const PixelPoint> landmarks) {
  nlohmann::json p = nlohmann::json::parse(image_payload, nullptr, false);
  if (!p.is_object()) p = nlohmann::json::object();
  p["box"] = {box.x, box.y, box.width, box.height};
  p["score"] = score;
  nlohmann::json points = nlohmann::json::array();
  for (const PixelPoint& pt : landmarks) points.push_back({pt.x, pt.y});
  p["landmarks"] = std::move(points);
  return p.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string VectorPayload(const std::string& image_payload, const embed::Embedding& embedding) {
  if (!embedding.region) return image_payload;
  const cv::Rect& r = *embedding.region;
  std::vector<PixelPoint> landmarks;
  for (const cv::Point2f& pt : embedding.landmarks) landmarks.push_back({pt.x, pt.y});
  return RegionPayload(image_payload, {r.x, r.y, r.width, r.height}, embedding.score, landmarks);
}

std::vector<uint8_t> MakeThumbnail(const cv::Mat& bgr, int max_side) {
  const cv::Mat small = image::ShrinkToFit(bgr, max_side);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", small, jpeg, {cv::IMWRITE_JPEG_QUALITY, 80});
  return jpeg;
}

}  // namespace alike::library
