// The per-image facts a library keeps beside the vectors: a content hash (identical files are
// stored once), the catalog facts read from the decoded picture and its EXIF, the JSON payload
// its vectors carry for filtering, and a thumbnail for the web page.
//
// Thread-safety: pure functions; safe to call concurrently.
#ifndef ALIKE_LIBRARY_IMAGE_FACTS_H_
#define ALIKE_LIBRARY_IMAGE_FACTS_H_

#include <cstdint>
#include <opencv2/core.hpp>
#include <span>
#include <string>
#include <vector>

#include "alike/embed.h"
#include "embed/embedder.h"
#include "image/decoder.h"
#include "library/catalog.h"

namespace alike::library {

// Lower-case hex SHA-256 of the bytes.
std::string ContentHash(std::span<const uint8_t> bytes);

// Format, full-resolution size and EXIF facts of a decoded picture.
ImageFacts FactsOf(const image::Image& image, std::string hash, int64_t bytes);

// The payload stored with every vector of an image, so searches can filter on it:
// {"image": 12, "format": "jpeg", "width": 4032, "height": 3024, "bytes": 2811232,
//  "taken": "2023-05-01T10:00:00", "year": 2023, "camera": "Apple iPhone 12",
//  "lat": 48.85, "lon": 2.35, "tags": ["shoes"]}; absent facts are left out.
std::string ImagePayload(uint64_t image_id, const ImageFacts& facts,
                         std::span<const std::string> tags);

// ImagePayload's facts alone (no "image" id, no tags but an empty list): what a picture's payload
// says of it wherever it is stored (PictureDescription::facts).
std::string FactsPayload(const ImageFacts& facts);

// `image_payload` plus a region's "box": [x, y, width, height], "score" and "landmarks".
std::string RegionPayload(const std::string& image_payload, const PixelBox& box, float score,
                          std::span<const PixelPoint> landmarks);

// The payload of one vector: the image's payload, plus for an embedding of a region (a face)
// "box": [x, y, width, height], "score": detection score and "landmarks": [[x, y], ...].
std::string VectorPayload(const std::string& image_payload, const embed::Embedding& embedding);

// A JPEG whose longer side is at most `max_side` pixels (never enlarged).
std::vector<uint8_t> MakeThumbnail(const cv::Mat& bgr, int max_side = 256);

// Vector ids: an image may own several vectors in one space (one per face), so the low bits
// number them and the high bits name the image.
constexpr int kVectorIndexBits = 12;
constexpr uint64_t VectorId(uint64_t image_id, uint32_t index) {
  return (image_id << kVectorIndexBits) | index;
}
constexpr uint64_t ImageOfVector(uint64_t vector_id) { return vector_id >> kVectorIndexBits; }
constexpr uint32_t kMaxVectorsPerImage = 1u << kVectorIndexBits;

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_IMAGE_FACTS_H_
