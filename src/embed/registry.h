// EmbedderRegistry: the embedders available by name ("cnn", "color"), so that code choosing an
// embedder by name (a library's settings, a command-line flag) need not know how each is built,
// and tests can substitute embedders of their own.
//
// Thread-safety: implementations are immutable; Open may be called concurrently.
#ifndef ALIKE_EMBED_REGISTRY_H_
#define ALIKE_EMBED_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "alike/status.h"
#include "embed/embedder.h"

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

// The embedders built into alike: "cnn" (the default model from `models_dir`) and "color".
std::unique_ptr<EmbedderRegistry> BuiltinEmbedders(const std::string& models_dir);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_REGISTRY_H_
