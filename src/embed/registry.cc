#include "embed/registry.h"

#include <algorithm>

#include "embed/cnn_embedder.h"
#include "embed/color_embedder.h"
#include "util/text.h"

namespace alike::embed {

Status EmbedderRegistry::CheckKnown(const std::string& name) const {
  const std::vector<std::string> names = Names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return Status::OK();
  return Status::InvalidArgument("unknown embedder '" + name +
                                 "' (known: " + JoinList(names, ", ") + ")");
}

namespace {

class Builtin : public EmbedderRegistry {
 public:
  explicit Builtin(std::string models_dir) : models_dir_(std::move(models_dir)) {}

  std::vector<std::string> Names() const override { return {"cnn", "color"}; }

  Result<std::unique_ptr<Embedder>> Open(const std::string& name) const override {
    ALIKE_RETURN_IF_ERROR(CheckKnown(name));
    if (name == "color") return std::unique_ptr<Embedder>(std::make_unique<ColorEmbedder>());
    auto cnn = CnnEmbedder::OpenDefault(models_dir_);
    if (!cnn.ok()) {
      return Status::FailedPrecondition(
          "the cnn embedder cannot load its model from " + models_dir_ + " (" +
          cnn.status().message() +
          "); run scripts/setup.sh to install it, set ALIKE_MODELS, or use --embedders color");
    }
    return std::unique_ptr<Embedder>(std::move(*cnn));
  }

 private:
  const std::string models_dir_;
};

}  // namespace

std::unique_ptr<EmbedderRegistry> BuiltinEmbedders(const std::string& models_dir) {
  return std::make_unique<Builtin>(models_dir);
}

}  // namespace alike::embed
