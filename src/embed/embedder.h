// Embedder: the seam between images and vectors. An embedder turns one decoded image into zero or
// more vectors (a global descriptor gives one; a face embedder gives one per face, each with its
// region), and declares what a collection needs to store them: name, version, dimension, metric.
//
// The version changes whenever the vectors an embedder produces change (new weights, new
// preprocessing, new pooling): a library stores it beside the vectors so that a model change is
// detected and triggers re-embedding instead of silently mixing two vector spaces.
//
// Thread-safety: Embed() may be called from many threads at once on one embedder; implementations
// guard or clone whatever per-call state they need (an OpenCV Net is not thread-safe).
#ifndef ALIKE_EMBED_EMBEDDER_H_
#define ALIKE_EMBED_EMBEDDER_H_

#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"
#include "alike/vector_db.h"

namespace alike::embed {

struct Embedding {
  std::vector<float> vector;  // float metrics: L2-normalised, `dimension()` components
  // kHamming embedders (perceptual hashes): dimension()/8 bytes, as Record::binary takes them;
  // `vector` is then empty.
  std::vector<uint8_t> binary;
  std::optional<cv::Rect> region;  // the part of the image it describes; none = whole image
  float score = 1;  // detector confidence (a hash's quality), 1 for global descriptors
  // Points the region was aligned by, in image pixels (faces: dlib's 5 landmarks, outer and
  // inner corner of each eye, then the base of the nose); empty for global descriptors.
  std::vector<cv::Point2f> landmarks;
};

class Embedder {
 public:
  virtual ~Embedder() = default;

  virtual const std::string& name() const = 0;     // "cnn", "color", "face", "pdq", "dct64"
  virtual const std::string& version() const = 0;  // e.g. "mobilenet_v2-gap-flip/1"
  virtual uint32_t dimension() const = 0;
  virtual Metric metric() const = 0;
  // The shorter side the embedder needs; decoders shrink-on-load to it (0 = full resolution).
  virtual int preferred_short_side() const = 0;

  // `bgr` is an 8-bit 3-channel upright image.
  virtual Result<std::vector<Embedding>> Embed(const cv::Mat& bgr) const = 0;
};

// A library makes a 256-pixel thumbnail of each picture from the pixels it embeds, so it never
// decodes smaller than this.
inline constexpr int kIndexShortSide = 256;

// The shorter side a picture is decoded at to index it with `embedders`: the largest any of them
// prefers, at least kIndexShortSide; 0 (full resolution) when one needs every pixel. One rule
// for a library and for an embedder used alone (alike/embed.h), so the latter's vectors are
// those a library of that embedder stores.
int IndexShortSide(std::span<const Embedder* const> embedders);

// Scales v to unit length; a zero vector is left as it is (the caller refuses it).
void L2Normalize(std::vector<float>& v);

// "<file name>-<CRC-32C of its bytes, 8 hex digits>-<size in bytes>": what identifies a model
// file's content in an embedder's version (content, not mtime).
Result<std::string> ModelFileKey(const std::string& path);

// A version in short, for people: versions read "<name>-<details>/<revision>", and the details
// run to hundreds of characters for a CNN pair. VersionName keeps the name and the revision
// ("mobilenet_v2+v1/1"); VersionFingerprint is 8 hex digits of the whole version's CRC-32C, which
// tells two variants of one name apart.
std::string VersionName(std::string_view version);
std::string VersionFingerprint(std::string_view version);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_EMBEDDER_H_
