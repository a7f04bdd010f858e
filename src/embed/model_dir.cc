#include "embed/model_dir.h"

#include <cstdlib>
#include <filesystem>

namespace alike::embed {

std::string DefaultModelDir() {
  const char* env = std::getenv("ALIKE_MODELS");
  if (env != nullptr && *env != '\0') return env;
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path program = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path installed =
        (program.parent_path() / ALIKE_INSTALLED_MODELS_FROM_BIN).lexically_normal();
    if (fs::is_directory(installed, error)) return installed.string();
  }
  return ALIKE_DEFAULT_MODEL_DIR;
}

}  // namespace alike::embed
