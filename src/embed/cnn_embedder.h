// CnnEmbedder ("cnn"): a global image descriptor from an ImageNet CNN, described by a ModelSpec
// (default: MobileNetV2 1.0/224 read from its .tflite through alike's importer, the 1280-d
// global average of its last convolution). The output is optionally averaged with that of the
// horizontally mirrored input (README: +0.01-0.02 precision@10, and a mirrored picture then
// embeds exactly like the original), then L2-normalised; metric cosine.
//
// Construction goes through Open() rather than a constructor because loading can fail and alike
// reports failures as Result values, not exceptions.
//
// The version string encodes what makes vectors comparable: spec name, model file name, a CRC
// of the file's bytes and its size (content, not mtime), the output layer, pooling, flip flag
// and a CRC of the preprocessing parameters. Any change to these changes the version.
//
// Thread-safety: Embed() may be called concurrently. A cv::dnn::Net is not thread-safe, so the
// embedder keeps a pool of nets guarded by a mutex: each call borrows an idle net (loading a new
// one when all are busy; the pool grows to the peak number of concurrent callers) and returns it
// afterwards. The mutex is held only to take or return a net, never during a forward pass.
#ifndef ALIKE_EMBED_CNN_EMBEDDER_H_
#define ALIKE_EMBED_CNN_EMBEDDER_H_

#include <memory>
#include <string>
#include <vector>

#include "embed/embedder.h"
#include "embed/model_spec.h"
#include "util/object_pool.h"

namespace alike::embed {

class CnnEmbedder : public Embedder {
 public:
  // Loads the model the spec names and runs it once to learn (and check) its dimension.
  static Result<std::unique_ptr<CnnEmbedder>> Open(const ModelSpec& spec);
  // The default model (DefaultCnnSpec) from `model_dir`, usually DefaultModelDir().
  static Result<std::unique_ptr<CnnEmbedder>> OpenDefault(const std::string& model_dir);

  ~CnnEmbedder() override;
  CnnEmbedder(const CnnEmbedder&) = delete;
  CnnEmbedder& operator=(const CnnEmbedder&) = delete;

  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  uint32_t dimension() const override { return dimension_; }
  Metric metric() const override { return Metric::kCosine; }
  // 256 for 224-pixel models (the usual resize-then-crop ratio); otherwise the larger input side.
  int preferred_short_side() const override;

  Result<std::vector<Embedding>> Embed(const cv::Mat& bgr) const override;

  const ModelSpec& spec() const { return spec_; }

 private:
  struct Loaded;  // one net with its input and output layer names
  explicit CnnEmbedder(ModelSpec spec);

  static Result<std::unique_ptr<Loaded>> Load(const ModelSpec& spec);
  // The pooled, flip-averaged, *unnormalised* descriptor.
  Result<std::vector<float>> Describe(Loaded& net, const cv::Mat& bgr) const;
  Result<std::unique_ptr<Loaded>> Borrow() const;
  void Return(std::unique_ptr<Loaded> net) const;

  const std::string name_ = "cnn";
  ModelSpec spec_;
  std::string version_;
  uint32_t dimension_ = 0;
  mutable ObjectPool<Loaded> idle_;
};

}  // namespace alike::embed

#endif  // ALIKE_EMBED_CNN_EMBEDDER_H_
