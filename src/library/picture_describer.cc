// alike::PictureDescriber and alike::EmbeddingPayload (include/alike/embed.h): the indexer's
// per-picture steps (read, hash, decode once at the embedders' size, facts, embed) for a store
// of the caller's, built from the same functions so the two cannot drift apart.
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "alike/embed.h"
#include "embed/embedder.h"
#include "embed/image_embedder.h"
#include "image/decoder.h"
#include "image/image_file.h"
#include "library/image_facts.h"

namespace alike {
namespace {

class Describer : public PictureDescriber {
 public:
  Describer(std::vector<std::unique_ptr<ImageEmbedder>> embedders, uint64_t max_pixels)
      : embedders_(std::move(embedders)), max_pixels_(max_pixels), decoder_(image::NewDecoder()) {
    for (const auto& e : embedders_) models_.push_back(&embed::ModelOf(*e));
  }

  const std::vector<std::unique_ptr<ImageEmbedder>>& embedders() const override {
    return embedders_;
  }

  Result<PictureDescription> Describe(
      const std::string& path,
      const std::function<bool(const std::string& content_hash)>& skip) const override {
    const image::DecodeOptions decode{.max_pixels = max_pixels_,
                                      .min_short_side = embed::IndexShortSide(models_)};
    auto bytes = image::ReadImageFile(path, decode.max_bytes);
    if (!bytes.ok()) return bytes.status();
    PictureDescription out;
    out.content_hash = library::ContentHash(bytes->bytes);
    if (skip && skip(out.content_hash)) return out;
    auto img = decoder_->Decode(bytes->bytes, decode, path);
    if (!img.ok()) return img.status();
    out.facts = library::FactsPayload(
        library::FactsOf(*img, out.content_hash, static_cast<int64_t>(bytes->file_size)));
    for (const embed::Embedder* model : models_) {
      auto found = model->Embed(img->bgr);
      if (!found.ok())
        return Status::Internal(path + ": " + model->name() + ": " + found.status().message());
      if (found->size() > library::kMaxVectorsPerImage) {
        found->resize(library::kMaxVectorsPerImage);
      }
      std::vector<ImageEmbedding>& list = out.embeddings.emplace_back();
      for (embed::Embedding& e : *found) list.push_back(embed::ToImageEmbedding(std::move(e)));
    }
    return out;
  }

 private:
  const std::vector<std::unique_ptr<ImageEmbedder>> embedders_;
  std::vector<const embed::Embedder*> models_;
  const uint64_t max_pixels_;
  const std::unique_ptr<image::Decoder> decoder_;
};

}  // namespace

std::string EmbeddingPayload(const std::string& picture_payload, const ImageEmbedding& embedding) {
  if (!embedding.box) return picture_payload;
  return library::RegionPayload(picture_payload, *embedding.box, embedding.score,
                                embedding.landmarks);
}

Result<std::unique_ptr<PictureDescriber>> PictureDescriber::Open(
    const std::vector<std::string>& names, const ImageEmbedderOptions& options) {
  if (names.empty()) return Status::InvalidArgument("a picture describer needs an embedder");
  std::set<std::string> seen;
  std::vector<std::unique_ptr<ImageEmbedder>> embedders;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) {
      return Status::InvalidArgument("embedder '" + name + "' given twice");
    }
    auto embedder = ImageEmbedder::Open(name, options);
    if (!embedder.ok()) return embedder.status();
    embedders.push_back(std::move(*embedder));
  }
  return std::unique_ptr<PictureDescriber>(
      std::make_unique<Describer>(std::move(embedders), options.max_pixels));
}

}  // namespace alike
