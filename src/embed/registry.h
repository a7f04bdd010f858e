// EmbedderRegistry: the embedders available by name ("cnn", the built-in "color", "pdq" and
// "dct64", "face", and each user model spec in the models directory: cnn specs, and face model
// specs (face_model_spec.h), which open a FaceEmbedder with that model), so that code choosing an
// embedder by name (a library's settings, a command-line flag) need not know how each is built, and
// tests can substitute their own.
//
// Thread-safety: implementations are immutable; Open may be called concurrently.
#ifndef ALIKE_EMBED_REGISTRY_H_
#define ALIKE_EMBED_REGISTRY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alike/status.h"
#include "embed/embedder.h"
#include "embed/face_model_spec.h"
#include "embed/model_spec.h"

namespace alike::embed {

class EmbedderRegistry {
 public:
  virtual ~EmbedderRegistry() = default;
  virtual std::vector<std::string> Names() const = 0;
  // InvalidArgument naming the known embedders when `name` is not one of them; otherwise
  // whatever loading the embedder reports (a missing model file, say).
  virtual Result<std::unique_ptr<Embedder>> Open(const std::string& name) const = 0;

  Status CheckKnown(const std::string& name) const;
};

enum class ModelKind { kCnn, kBuiltIn, kFace };

// The embedders that need no model files (color, pdq, dct64), by name; null for other names.
std::unique_ptr<Embedder> OpenBuiltIn(const std::string& name);

// One embedder a models directory offers, as found (nothing loaded yet).
struct ModelEntry {
  std::string name;
  std::string source;  // "default", "built in" or the user spec file
  ModelKind kind = ModelKind::kCnn;
  std::optional<EmbedderSpec> spec;   // kCnn only
  std::optional<FaceModelSpec> face;  // a user's kFace; none: dlib's
  Status error;                       // a user spec that does not parse
  bool user = false;                  // from a spec file, which its errors then name
};

// cnn, color, pdq, dct64, face (only when its model files are there: FaceEmbedder::Installed), then
// the user specs (*.json) in file-name order, each named by its spec's "name" (a face model spec
// is listed whether or not its weights are there: opening it says what is missing). A spec that
// does not parse stays in the list, named after its file, with its error.
std::vector<ModelEntry> ListModels(const std::string& models_dir);

// The one entry of ListModels named `name`: NotFound listing the names there are, or
// InvalidArgument when several specs share the name.
Result<ModelEntry> FindModel(const std::string& models_dir, const std::string& name);

// The face model named `name` in `models_dir`: dlib's for "face" (or an empty name), else a face
// model spec's; NotFound / InvalidArgument as FindModel, or when `name` is not a face model.
Result<FaceModelSpec> FindFaceModel(const std::string& models_dir, const std::string& name);

// The embedders of ListModels(models_dir). Opening a user spec's name loads its model with
// CnnEmbedder; a name two specs share is refused.
std::unique_ptr<EmbedderRegistry> InstalledEmbedders(const std::string& models_dir);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_REGISTRY_H_
