// The model weights scripts/setup.sh installs, for tests that load real weights.
#ifndef ALIKE_TESTS_TESTING_MODELS_H_
#define ALIKE_TESTS_TESTING_MODELS_H_

#include <string>

#include "embed/model_dir.h"

namespace alike::test {

inline constexpr char kMobileNetV2[] = "tf2_mobilenet_v2_1.0_224_ptq.tflite";
inline constexpr char kMobileNetV1[] = "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite";

// Where the installed `file` is (it may be absent).
inline std::string InstalledModel(const std::string& file) {
  return embed::DefaultModelDir() + "/" + file;
}

// The skip message for a test whose installed model `path` is absent.
inline std::string NotInstalled(const std::string& path) {
  return path + " is not installed: run scripts/setup.sh (or set ALIKE_MODELS)";
}

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_MODELS_H_
