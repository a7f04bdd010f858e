#include "embed/hash_embedder.h"

#include <optional>
#include <string>
#include <vector>

#include "embed/dct_hash.h"
#include "embed/pdq_hash.h"

namespace alike::embed {
namespace {

// A hash's bits and score, or nothing for a picture it cannot describe.
using HashFn = std::optional<Embedding> (*)(const cv::Mat& bgr);

class HashEmbedder : public Embedder {
 public:
  HashEmbedder(std::string name, std::string version, uint32_t bits, int short_side, HashFn hash)
      : name_(std::move(name)),
        version_(std::move(version)),
        bits_(bits),
        short_side_(short_side),
        hash_(hash) {}

  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  uint32_t dimension() const override { return bits_; }
  Metric metric() const override { return Metric::kHamming; }
  int preferred_short_side() const override { return short_side_; }

  Result<std::vector<Embedding>> Embed(const cv::Mat& bgr) const override {
    std::vector<Embedding> out;
    if (std::optional<Embedding> e = hash_(bgr)) out.push_back(std::move(*e));
    return out;
  }

 private:
  const std::string name_;
  const std::string version_;  // bump whenever the bits for a given picture change
  const uint32_t bits_;
  const int short_side_;
  const HashFn hash_;
};

std::optional<Embedding> PdqOf(const cv::Mat& bgr) {
  const PdqHash hash = ComputePdq(bgr);
  if (hash.quality < kPdqMinQuality) return std::nullopt;
  Embedding e;
  e.binary.assign(hash.bits.begin(), hash.bits.end());
  e.score = static_cast<float>(hash.quality) / 100.0f;
  return e;
}

std::optional<Embedding> DctHashOf(const cv::Mat& bgr) {
  const DctHash hash = ComputeDctHash(bgr);
  if (hash.strength < kDctHashMinStrength) return std::nullopt;
  Embedding e;
  e.binary.assign(hash.bits.begin(), hash.bits.end());
  return e;
}

}  // namespace

std::unique_ptr<Embedder> NewPdqEmbedder() {
  // A picture decoded with a 512-pixel shorter side covers PDQ's box whatever its aspect.
  return std::make_unique<HashEmbedder>("pdq", "pdq-reference/1", kPdqBits, kPdqFitSide, &PdqOf);
}

std::unique_ptr<Embedder> NewDctHashEmbedder() {
  return std::make_unique<HashEmbedder>("dct64", "dct32x8/1", kDctHashBits, 256, &DctHashOf);
}

}  // namespace alike::embed
