// A hostile .tflite model: TfliteModel::FromBytes must verify the flatbuffer and every index and
// buffer extent, and ImportTflite must build a net or fail with a Status. The importer's closing
// forward pass is where shapes that contradict the weights would surface as a crash.
#include <cstdint>
#include <vector>

#include "embed/tflite_importer.h"
#include "embed/tflite_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model =
      alike::tflite::TfliteModel::FromBytes(std::vector<uint8_t>(data, data + size), "fuzz.tflite");
  if (!model.ok()) return 0;
  alike::tflite::TfliteImportInfo info;
  (void)alike::tflite::ImportTflite(*model, &info);
  return 0;
}
