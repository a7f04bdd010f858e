// Where alike looks for model weights and user model specs by default:
//   1. $ALIKE_MODELS, when it is set and not empty;
//   2. the models installed beside the running program: `cmake --install` puts the program in
//      PREFIX/bin and the models in PREFIX/share/alike/models (ALIKE_INSTALLED_MODELS_FROM_BIN,
//      relative to the program's folder), so an installed alike works from any directory and
//      keeps working when the source tree is gone;
//   3. the models/ folder of the source tree, which scripts/setup.sh fills
//      (ALIKE_DEFAULT_MODEL_DIR, fixed at build time: alike is built where it runs).
//
// Thread-safety: reads the environment; safe unless another thread changes it at the same time.
#ifndef ALIKE_EMBED_MODEL_DIR_H_
#define ALIKE_EMBED_MODEL_DIR_H_

#include <string>

namespace alike::embed {

std::string DefaultModelDir();

}  // namespace alike::embed

#endif  // ALIKE_EMBED_MODEL_DIR_H_
