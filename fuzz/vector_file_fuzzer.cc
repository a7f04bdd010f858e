// The vector file readers of `alike vectors upsert` (cli/vector_file.h): the input's first byte
// picks the format (fvecs, bvecs, ivecs, npy, jsonl) and float or binary records, the rest is
// the file. Every read ends in records of the declared dimension or a Status, never a crash or an
// allocation the file's size does not justify.
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "cli/vector_file.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kFormats[] = {"fvecs", "bvecs", "ivecs", "npy", "jsonl"};
  static const std::string path = [] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp != nullptr ? tmp : "/tmp") + "/alike-fuzz-vectors-" +
           std::to_string(getpid());
  }();
  if (size == 0) return 0;
  alike::cli::VectorFileOptions options{
      .format = kFormats[data[0] % 5], .first_id = 100, .binary = (data[0] & 0x80) != 0};
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data + 1), std::streamsize(size - 1));

  auto reader = alike::cli::VectorFileReader::Open(path, options);
  if (!reader.ok()) return 0;
  std::vector<alike::Record> batch;
  for (;;) {
    auto n = (*reader)->ReadBatch(3, &batch);
    if (!n.ok()) {
      Check(batch.empty());
      break;
    }
    if (*n == 0) break;
    const uint32_t dimension = (*reader)->dimension();
    for (const auto& r : batch) {
      if (options.binary) {
        Check(r.binary.size() * 8 == dimension && r.vector.empty());
      } else {
        Check(r.vector.size() == dimension && r.binary.empty());
        for (float x : r.vector) Check(std::isfinite(x));
      }
    }
  }
  return 0;
}
