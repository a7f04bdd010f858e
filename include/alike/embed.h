// alike::ImageEmbedder: alike's image embedders for callers that keep the vectors elsewhere (their
// own database, Faiss, numpy). The same models, decoded the same way, as `alike index` uses:
//
//   auto cnn = alike::ImageEmbedder::Open("cnn");             // loads the weights once
//   if (!cnn.ok()) { std::cerr << cnn.status().ToString() << "\n"; return 1; }
//   auto found = (*cnn)->Embed(alike::ImageSource::File("shoe.jpg"));
//   if (found.ok() && !found->empty()) Store(found->front().vector);  // unit length
//
// Names are those `alike models` lists: "cnn", the built-in "color", "pdq" and "dct64", "face"
// (once its model files are installed) and each user model spec in the models directory.
//
// A whole-picture embedder gives one embedding, or none where it cannot describe the picture (a
// flat picture has no perceptual hash). "face" gives one per face found (none for a picture
// without faces), each with its box, landmarks and detection score.
//
// Pictures are decoded as `alike index` decodes them: upright, shrunk while loading to the
// shorter side the embedder needs but never below 256 pixels (cnn, color, dct64: 256; pdq: 512;
// face: full size). A library decodes each picture once, at the largest side any of its
// embedders needs, so its vectors equal these when that is this embedder's side (a library of
// cnn and color) and are only close otherwise (cnn beside pdq or face).
//
// Thread-safety: an ImageEmbedder is immutable once open; Embed may be called from any number of
// threads at once (each call borrows its own copy of any network).
#ifndef ALIKE_EMBED_H_
#define ALIKE_EMBED_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alike/image_source.h"
#include "alike/status.h"
#include "alike/vector_db.h"

namespace alike {

struct ImageEmbedderOptions {
  // Where model weights and user model specs are; empty: $ALIKE_MODELS, else an installed
  // alike's, else the source tree's models/ (as for Library and the command line).
  std::string models_dir;
  // Pictures claiming more pixels than this are refused unread (IndexOptions' default).
  uint64_t max_pixels = 100'000'000;
};

// A rectangle in the pixels of the upright picture as given (before any shrinking).
struct PixelBox {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

struct PixelPoint {
  float x = 0;
  float y = 0;
};

struct ImageEmbedding {
  // Float metrics (cosine, l2): dimension() components, unit length.
  std::vector<float> vector;
  // Hamming (perceptual hashes): dimension() / 8 bytes of packed bits; `vector` is then empty.
  std::vector<uint8_t> binary;
  // Faces: the face's box, clipped to the picture; none for a whole-picture embedding.
  std::optional<PixelBox> box;
  // Faces: dlib's five landmarks (outer and inner corner of each eye, then the base of the nose);
  // empty for a whole-picture embedding.
  std::vector<PixelPoint> landmarks;
  // Faces: the detector's confidence; pdq: the hash's quality / 100; otherwise 1.
  float score = 1;
};

class ImageEmbedder {
 public:
  virtual ~ImageEmbedder() = default;

  // Loads the embedder `name` (weights are read here, once). NotFound listing the embedders
  // there are when the models directory offers none of that name; whatever loading reports
  // otherwise (missing weights, a user spec that does not match its model).
  static Result<std::unique_ptr<ImageEmbedder>> Open(const std::string& name,
                                                     const ImageEmbedderOptions& options = {});
  // The names Open accepts in `models_dir` (empty: the default one), as `alike models` lists
  // them; nothing is loaded, so a name may still fail to open.
  static std::vector<std::string> Names(const std::string& models_dir = "");

  virtual const std::string& name() const = 0;
  // Changes whenever the vectors for a given picture change (weights, preprocessing, pooling):
  // store it beside the vectors, and re-embed when it differs. Long for a CNN.
  virtual const std::string& version() const = 0;
  // The version in short, for people: "<name>/<revision>" ("mobilenet_v2+v1/1") and 8 hex digits
  // of the whole version's CRC-32C, which tell two variants of one name apart.
  virtual std::string version_name() const = 0;
  virtual std::string version_fingerprint() const = 0;
  // Floats per vector, or bits per hash for kHamming.
  virtual uint32_t dimension() const = 0;
  // How vectors compare: kCosine (cnn, color, user models), kL2 (face: squared distance, same
  // person below about 0.17), kHamming (pdq, dct64).
  virtual Metric metric() const = 0;
  // True for "face": one embedding per face found. False: at most one, for the whole picture.
  virtual bool faces() const = 0;

  // The picture's embeddings; an error names the picture (a file that cannot be read or decoded,
  // pixels that do not add up).
  virtual Result<std::vector<ImageEmbedding>> Embed(const ImageSource& source) const = 0;
};

// A picture described as `alike index` stores it, for a store of the caller's (an alike cluster's
// workers): the file's content hash, the facts every one of its vectors carries as payload, and
// the embeddings of several embedders from one decode of the file.
struct PictureDescription {
  std::string content_hash;  // lower-case hex SHA-256 of the file's bytes
  // A JSON object of what a library's payloads say of a picture, but the library's own "image"
  // id: "format", "width", "height" (full resolution), "bytes", and where known "taken",
  // "year", "camera", "lat", "lon"; "tags": [].
  std::string facts;
  // One list per embedder, in the order given to PictureDescriber::Open.
  std::vector<std::vector<ImageEmbedding>> embeddings;
};

// The payload a library stores with one embedding: `picture_payload` (a JSON object), plus for a
// face its "box", "score" and "landmarks".
std::string EmbeddingPayload(const std::string& picture_payload, const ImageEmbedding& embedding);

// Describes pictures with a set of embedders, decoding each picture once at the largest size any
// of them needs: exactly as a library of those embedders indexes it, so the vectors equal that
// library's (an ImageEmbedder alone decodes at its own size; see the top of this file).
//
// Thread-safety: immutable once open; Describe may be called from any number of threads at once.
class PictureDescriber {
 public:
  virtual ~PictureDescriber() = default;

  // Loads every embedder named (as ImageEmbedder::Open does); InvalidArgument for none or a name
  // given twice.
  static Result<std::unique_ptr<PictureDescriber>> Open(const std::vector<std::string>& names,
                                                        const ImageEmbedderOptions& options = {});

  // The embedders, in Open's order: their names, versions, dimensions and metrics (each one's
  // own Embed decodes at its own size, see above).
  virtual const std::vector<std::unique_ptr<ImageEmbedder>>& embedders() const = 0;

  // Reads and describes the file; an error names it (unreadable, too large, not a picture).
  // When `skip` says true of the file's content hash, stops there: only content_hash is set (a
  // store that holds that content already need not decode it).
  virtual Result<PictureDescription> Describe(
      const std::string& path,
      const std::function<bool(const std::string& content_hash)>& skip = nullptr) const = 0;
};

}  // namespace alike

#endif  // ALIKE_EMBED_H_
