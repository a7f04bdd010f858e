#include "embed/model_dir.h"

#include <cstdlib>

namespace alike::embed {

std::string DefaultModelDir() {
  const char* env = std::getenv("ALIKE_MODELS");
  return env != nullptr && *env != '\0' ? env : ALIKE_DEFAULT_MODEL_DIR;
}

}  // namespace alike::embed
