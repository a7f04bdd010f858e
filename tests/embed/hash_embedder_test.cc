#include "embed/hash_embedder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "embed/dct_hash.h"
#include "embed/pdq_hash.h"
#include "testing/pdq_data.h"

namespace alike::embed {
namespace {

struct HashCase {
  const char* name;
  std::unique_ptr<Embedder> (*make)();
  uint32_t bits;
  // The hash of a picture, packed, and the score its vector gets.
  std::pair<std::vector<uint8_t>, float> (*hash)(const cv::Mat&);
};

const HashCase kCases[] = {
    {"pdq", &NewPdqEmbedder, kPdqBits,
     [](const cv::Mat& m) {
       const PdqHash h = ComputePdq(m);
       return std::pair{std::vector<uint8_t>(h.bits.begin(), h.bits.end()), h.quality / 100.0f};
     }},
    {"dct64", &NewDctHashEmbedder, kDctHashBits,
     [](const cv::Mat& m) {
       const DctHash h = ComputeDctHash(m);
       return std::pair{std::vector<uint8_t>(h.bits.begin(), h.bits.end()), 1.0f};
     }},
};

class HashEmbedderTest : public ::testing::TestWithParam<HashCase> {};

TEST_P(HashEmbedderTest, GivesTheHashAsOneBinaryVector) {
  const HashCase& c = GetParam();
  const std::string path = test::PdqData() + "/reg-test-input/labelme-subset/q0122.jpg";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << test::PdqAbsent();
  const std::unique_ptr<Embedder> embedder = c.make();
  EXPECT_EQ(embedder->name(), c.name);
  EXPECT_EQ(embedder->dimension(), c.bits);
  EXPECT_EQ(embedder->metric(), Metric::kHamming);
  const cv::Mat image = test::DecodeFull(path);
  auto vectors = embedder->Embed(image);
  ASSERT_TRUE(vectors.ok());
  ASSERT_EQ(vectors->size(), 1u);
  const Embedding& e = vectors->front();
  const auto [bits, score] = c.hash(image);
  EXPECT_TRUE(e.vector.empty());
  EXPECT_EQ(e.binary.size(), c.bits / 8);
  EXPECT_EQ(e.binary, bits);
  EXPECT_FLOAT_EQ(e.score, score);
  EXPECT_FALSE(e.region.has_value());
}

// Nothing to describe, so no vector (the library still catalogues the picture).
TEST_P(HashEmbedderTest, FlatAndTinyPicturesGetNoVector) {
  const std::unique_ptr<Embedder> embedder = GetParam().make();
  cv::Mat noisy(300, 400, CV_8UC3, cv::Scalar(90, 140, 200));
  cv::Mat noise(noisy.size(), CV_8UC3);
  cv::randu(noise, 0, 3);
  noisy += noise;
  for (const cv::Mat& picture : {cv::Mat(200, 300, CV_8UC3, cv::Scalar::all(0)), noisy,
                                 cv::Mat(1, 1, CV_8UC3, cv::Scalar(0, 0, 255))}) {
    auto vectors = embedder->Embed(picture);
    ASSERT_TRUE(vectors.ok());
    EXPECT_TRUE(vectors->empty()) << picture.size();
  }
}

INSTANTIATE_TEST_SUITE_P(Hashes, HashEmbedderTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace alike::embed
