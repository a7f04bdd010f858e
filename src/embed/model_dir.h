// Where alike looks for model weights and user model specs by default: $ALIKE_MODELS when it is
// set and not empty, else the models/ folder of the source tree, which scripts/setup.sh fills
// (ALIKE_DEFAULT_MODEL_DIR, fixed at build time: alike is built where it runs).
//
// Thread-safety: reads the environment; safe unless another thread changes it at the same time.
#ifndef ALIKE_EMBED_MODEL_DIR_H_
#define ALIKE_EMBED_MODEL_DIR_H_

#include <string>

namespace alike::embed {

std::string DefaultModelDir();

}  // namespace alike::embed

#endif  // ALIKE_EMBED_MODEL_DIR_H_
