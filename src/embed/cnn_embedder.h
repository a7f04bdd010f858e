// CnnEmbedder ("cnn"): a global image descriptor from one or more ImageNet CNNs, described by an
// EmbedderSpec (model_spec.h; default: DefaultCnnSpec). Each model's output is pooled,
// optionally averaged with that of the horizontally mirrored input (a mirrored picture then
// embeds exactly like the original), L2-normalised and scaled by its weight; the parts are
// concatenated and L2-normalised again; metric cosine.
//
// Construction goes through Open() rather than a constructor because loading can fail and alike
// reports failures as Result values, not exceptions.
//
// The version string encodes what makes vectors comparable: per model its name (when there are
// several), model file name, a CRC of the file's bytes and its size (content, not mtime), the
// output layer, pooling, flip flag, a CRC of the preprocessing parameters and (when there are
// several) its weight. Any change to these changes the version.
//
// Thread-safety: Embed() may be called concurrently. A cv::dnn::Net is not thread-safe, so the
// embedder keeps a pool of net sets (one net per model) guarded by a mutex: each call borrows an
// idle set (loading a new one when all are busy; the pool grows to the peak number of concurrent
// callers) and returns it afterwards. The mutex is held only to take or return a set, never
// during a forward pass.
//
// Threads: each forward pass also spreads its layers over OpenCV's own thread pool, whose size is
// process-wide (cv::setNumThreads). A program that embeds on one worker thread per core, as an
// ingest does, should set it to 1: the workers already fill the cores, and two levels of
// threads only add hand-offs (alike-bench quality measures with 1; README, "Choosing the image
// embedding").
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
  // Loads the models the spec names and runs each once to learn (and check) its dimension.
  static Result<std::unique_ptr<CnnEmbedder>> Open(const EmbedderSpec& spec);
  // A single model.
  static Result<std::unique_ptr<CnnEmbedder>> Open(const ModelSpec& spec);
  // The default models (DefaultCnnSpec) from `model_dir`, usually DefaultModelDir().
  static Result<std::unique_ptr<CnnEmbedder>> OpenDefault(const std::string& model_dir);

  ~CnnEmbedder() override;
  CnnEmbedder(const CnnEmbedder&) = delete;
  CnnEmbedder& operator=(const CnnEmbedder&) = delete;

  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  uint32_t dimension() const override { return dimension_; }
  Metric metric() const override { return Metric::kCosine; }
  // The largest any model needs: 256 for 224-pixel models (the usual resize-then-crop ratio),
  // otherwise the larger input side.
  int preferred_short_side() const override;

  Result<std::vector<Embedding>> Embed(const cv::Mat& bgr) const override;

  const EmbedderSpec& spec() const { return spec_; }

 private:
  struct Loaded;  // one net with its input and output layer names
  using NetSet = std::vector<std::unique_ptr<Loaded>>;  // one per model, in spec order
  explicit CnnEmbedder(EmbedderSpec spec);

  static Result<std::unique_ptr<Loaded>> Load(const ModelSpec& spec);
  static Result<NetSet> LoadAll(const EmbedderSpec& spec);
  // One model's pooled, flip-averaged, *unnormalised* descriptor of the model's input `blob`.
  Result<std::vector<float>> Describe(const ModelSpec& model, Loaded& net,
                                      const cv::Mat& blob) const;
  // The weighted concatenation, each part normalised; the whole not yet normalised.
  Result<std::vector<float>> DescribeAll(NetSet& nets, const cv::Mat& bgr) const;
  Result<std::unique_ptr<NetSet>> Borrow() const;
  void Return(std::unique_ptr<NetSet> nets) const;

  const std::string name_ = "cnn";
  EmbedderSpec spec_;
  std::string version_;
  uint32_t dimension_ = 0;
  mutable ObjectPool<NetSet> idle_;
};

}  // namespace alike::embed

#endif  // ALIKE_EMBED_CNN_EMBEDDER_H_
