// alike::ImageEmbedder (include/alike/embed.h): a thin adapter over the embedder registry, so that
// the public API carries no OpenCV types and opens embedders exactly as a library does.
#include "embed/image_embedder.h"

#include <string>
#include <utility>
#include <vector>

#include "alike/embed.h"
#include "embed/embedder.h"
#include "embed/model_dir.h"
#include "embed/registry.h"
#include "image/decoder.h"

namespace alike {
namespace {

class RegistryEmbedder : public ImageEmbedder {
 public:
  RegistryEmbedder(std::unique_ptr<embed::Embedder> model, bool faces, uint64_t max_pixels)
      : model_(std::move(model)),
        faces_(faces),
        max_pixels_(max_pixels),
        decoder_(image::NewDecoder()) {}

  const std::string& name() const override { return model_->name(); }
  const std::string& version() const override { return model_->version(); }
  std::string version_name() const override { return embed::VersionName(model_->version()); }
  std::string version_fingerprint() const override {
    return embed::VersionFingerprint(model_->version());
  }
  uint32_t dimension() const override { return model_->dimension(); }
  Metric metric() const override { return model_->metric(); }
  bool faces() const override { return faces_; }
  const embed::Embedder& model() const { return *model_; }

  Result<std::vector<ImageEmbedding>> Embed(const ImageSource& source) const override {
    const embed::Embedder* model = model_.get();
    auto img = decoder_->DecodeSource(
        source, {.max_pixels = max_pixels_, .min_short_side = embed::IndexShortSide({&model, 1})});
    if (!img.ok()) return img.status();
    auto found = model_->Embed(img->bgr);
    if (!found.ok()) return found.status().WithContext(source.name() + ": " + model_->name());
    // Boxes and landmarks are in the decoded pixels; a face embedder asks for full resolution,
    // so they are the caller's pixels too.
    std::vector<ImageEmbedding> out;
    out.reserve(found->size());
    for (embed::Embedding& e : *found) out.push_back(embed::ToImageEmbedding(std::move(e)));
    return out;
  }

 private:
  const std::unique_ptr<embed::Embedder> model_;
  const bool faces_;
  const uint64_t max_pixels_;
  const std::unique_ptr<image::Decoder> decoder_;
};

std::string ModelsDir(const std::string& given) {
  return given.empty() ? embed::DefaultModelDir() : given;
}

}  // namespace

namespace embed {

const Embedder& ModelOf(const ImageEmbedder& embedder) {
  // Open makes every ImageEmbedder there is.
  return static_cast<const RegistryEmbedder&>(embedder).model();
}

ImageEmbedding ToImageEmbedding(Embedding embedding) {
  ImageEmbedding out;
  out.vector = std::move(embedding.vector);
  out.binary = std::move(embedding.binary);
  if (embedding.region) {
    const cv::Rect& r = *embedding.region;
    out.box = PixelBox{r.x, r.y, r.width, r.height};
  }
  for (const cv::Point2f& p : embedding.landmarks) out.landmarks.push_back({p.x, p.y});
  out.score = embedding.score;
  return out;
}

}  // namespace embed

Result<std::unique_ptr<ImageEmbedder>> ImageEmbedder::Open(const std::string& name,
                                                           const ImageEmbedderOptions& options) {
  const std::string dir = ModelsDir(options.models_dir);
  auto entry = embed::FindModel(dir, name);
  if (!entry.ok()) return entry.status();
  auto model = embed::InstalledEmbedders(dir)->Open(name);
  if (!model.ok()) return model.status();
  return std::unique_ptr<ImageEmbedder>(std::make_unique<RegistryEmbedder>(
      std::move(*model), entry->kind == embed::ModelKind::kFace, options.max_pixels));
}

std::vector<std::string> ImageEmbedder::Names(const std::string& models_dir) {
  return embed::InstalledEmbedders(ModelsDir(models_dir))->Names();
}

}  // namespace alike
