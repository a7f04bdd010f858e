// Model spec files (embed/model_spec.h): any text parses to a spec or fails with a Status, and a
// parsed spec written back out parses to the same spec.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "embed/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = alike::embed::ParseEmbedderSpec(text, "/models", "fuzz.json");
  if (!spec.ok()) return 0;
  const std::string written = alike::embed::EmbedderSpecToJson(*spec);
  auto again = alike::embed::ParseEmbedderSpec(written, "/models", "written.json");
  if (!again.ok() || alike::embed::EmbedderSpecToJson(*again) != written) std::abort();
  return 0;
}
