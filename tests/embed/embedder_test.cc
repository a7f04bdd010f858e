#include "embed/embedder.h"

#include <gtest/gtest.h>

#include <string>

namespace alike::embed {
namespace {

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
