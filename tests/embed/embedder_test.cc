#include "embed/embedder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace alike::embed {
namespace {

// An embedder that only states the shorter side it wants.
class SideOnly : public Embedder {
 public:
  explicit SideOnly(int side) : side_(side) {}
  const std::string& name() const override { return name_; }
  const std::string& version() const override { return name_; }
  uint32_t dimension() const override { return 1; }
  Metric metric() const override { return Metric::kCosine; }
  int preferred_short_side() const override { return side_; }
  Result<std::vector<Embedding>> Embed(const cv::Mat&) const override {
    return std::vector<Embedding>();
  }

 private:
  const std::string name_ = "side-only";
  const int side_;
};

TEST(IndexShortSideTest, TheLargestWantedSideAtLeastTheThumbnailsFullResolutionWins) {
  const SideOnly small(192), thumbnail(256), pdq(512), face(0);
  using List = std::vector<const Embedder*>;
  EXPECT_EQ(IndexShortSide(List{}), kIndexShortSide);
  EXPECT_EQ(IndexShortSide(List{&small}), 256);  // a 192-pixel model still gets 256
  EXPECT_EQ(IndexShortSide(List{&small, &thumbnail}), 256);
  EXPECT_EQ(IndexShortSide(List{&small, &pdq}), 512);
  EXPECT_EQ(IndexShortSide(List{&pdq, &face, &small}), 0);
}

TEST(VersionTest, TheShortNameKeepsTheModelsNameAndRevision) {
  const std::string cnn =
      "mobilenet_v2+v1-mobilenet_v2-tf2_mobilenet_v2_1.0_224_ptq.tflite-ad9af73a-4070174-"
      "embedding-gem3-noflip-pre23b468b8-w1+mobilenet_v1-mobilenet_v1_1.0_224_quant_embedding_"
      "extractor.tflite-a6e0023a-3251736-embedding-gem3-noflip-pre23b468b8-w1.4/1";
  EXPECT_EQ(VersionName(cnn), "mobilenet_v2+v1/1");
  EXPECT_EQ(VersionName("pdq-reference/1"), "pdq/1");
  EXPECT_EQ(VersionName("dct32x8/1"), "dct32x8/1");
  EXPECT_EQ(VersionName("tiny-model"), "tiny");  // no revision
  EXPECT_EQ(VersionName(""), "");
}

TEST(VersionTest, TheFingerprintTellsVariantsOfOneNameApart) {
  const std::string a = VersionFingerprint("cnn-a.tflite-00000001-gem3-flip/1");
  const std::string b = VersionFingerprint("cnn-a.tflite-00000001-gem3-noflip/1");
  EXPECT_EQ(a.size(), 8u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a, b);
  EXPECT_EQ(a, VersionFingerprint("cnn-a.tflite-00000001-gem3-flip/1"));
}

}  // namespace
}  // namespace alike::embed
