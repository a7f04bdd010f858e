// An image library on a cluster (cluster/image_library.h): its descriptor round-trips and refuses
// malformed text; ids come from content (identical files are one image); a picture's records carry
// its facts, id, path and hash; creating it again with other models, or a worker with other
// models, is refused naming the difference.
#include "cluster/image_library.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "testing/cluster_fixture.h"

namespace alike::cluster {
namespace {

ImageLibrary TwoSpaces(const std::string& name) {
  return {.name = name,
          .spaces = {{.embedder = "cnn",
                      .version = "mobilenet/1",
                      .collection = name + "-cnn",
                      .dimension = 16,
                      .metric = Metric::kCosine},
                     {.embedder = "pdq",
                      .version = "pdq/1",
                      .collection = name + "-pdq",
                      .dimension = 256,
                      .metric = Metric::kHamming}}};
}

TEST(ImageLibraryCodecTest, RoundTripsAndMalformedTextIsCorruption) {
  const ImageLibrary library = TwoSpaces("photos");
  auto decoded = DecodeImageLibrary(EncodeImageLibrary(library));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->name, "photos");
  ASSERT_EQ(decoded->spaces.size(), 2u);
  EXPECT_EQ(decoded->spaces[1].metric, Metric::kHamming);
  EXPECT_EQ(decoded->spaces[1].dimension, 256u);
  EXPECT_EQ(decoded->Space("cnn")->version, "mobilenet/1");
  EXPECT_EQ(decoded->Space("face"), nullptr);
  EXPECT_FALSE(decoded->faces());
  for (const std::string bad : {"", "{}", R"({"name": "x", "spaces": []})",
                                R"({"name": "x", "spaces": [{"embedder": "cnn"}]})"}) {
    EXPECT_EQ(DecodeImageLibrary(bad).status().code(), Status::Code::kCorruption) << bad;
  }
}

TEST(ImageLibraryCodecTest, IdsComeFromContentAndRecordsCarryFactsPathAndHash) {
  const std::string hash = "0123456789abcdef" + std::string(48, '0');
  EXPECT_EQ(ImageIdOfContent(hash), 0x0123456789abcu);
  EXPECT_EQ(ImageIdOfContent("0123456789ABCdef"), 0x0123456789abcu);
  EXPECT_EQ(ImageIdOfContent("01234"), 0u);
  EXPECT_EQ(ImageIdOfContent("0123456789abz"), 0u);

  PictureDescription picture{.content_hash = hash, .facts = R"({"width": 4, "tags": []})"};
  picture.embeddings.push_back({ImageEmbedding{.vector = {1, 0}}});
  picture.embeddings.push_back({ImageEmbedding{.vector = {0, 1}, .box = PixelBox{1, 2, 3, 4}},
                                ImageEmbedding{.vector = {1, 1}, .box = PixelBox{5, 6, 7, 8}}});
  const auto records = PictureRecords(picture, "/photos/a.jpg");
  ASSERT_EQ(records.size(), 2u);
  ASSERT_EQ(records[0].size(), 1u);
  ASSERT_EQ(records[1].size(), 2u);
  EXPECT_EQ(records[0][0].id, uint64_t{0x0123456789abc} << 12);
  EXPECT_EQ(records[1][1].id, (uint64_t{0x0123456789abc} << 12) | 1);
  const nlohmann::json whole = nlohmann::json::parse(records[0][0].payload);
  EXPECT_EQ(whole.at("image"), 0x0123456789abcu);
  EXPECT_EQ(whole.at("path"), "/photos/a.jpg");
  EXPECT_EQ(whole.at("hash"), hash);
  EXPECT_EQ(whole.at("width"), 4);
  EXPECT_FALSE(whole.contains("box"));
  EXPECT_EQ(nlohmann::json::parse(records[1][1].payload).at("box"), nlohmann::json({5, 6, 7, 8}));
}

class ImageLibraryTest : public test::NatsClusterTest {};

TEST_F(ImageLibraryTest, CreatedOnceWithItsCollectionsAndOtherModelsAreRefused) {
  ImageLibrary library = TwoSpaces("imglib");
  library.spaces[1].dimension = 64;  // a small hash keeps the test's streams small
  const ClusterSettings settings = test::TestSettings(2);
  const Status created = CreateImageLibrary(*nats_, library, settings);
  ASSERT_TRUE(created.ok()) << created.ToString();
  auto read = ReadImageLibrary(*nats_, "imglib");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(EncodeImageLibrary(*read), EncodeImageLibrary(library));
  auto cnn = ReadClusterSettings(*nats_, "imglib-cnn");
  ASSERT_TRUE(cnn.ok()) << cnn.status().ToString();
  EXPECT_EQ(cnn->collection.dimension, 16u);
  EXPECT_EQ(cnn->collection.index, IndexKind::kHnsw);
  auto pdq = ReadClusterSettings(*nats_, "imglib-pdq");
  ASSERT_TRUE(pdq.ok()) << pdq.status().ToString();
  EXPECT_EQ(pdq->collection.metric, Metric::kHamming);
  EXPECT_EQ(pdq->collection.index, IndexKind::kMultiHash);
  EXPECT_TRUE(nats_->ExistingKeyValueBucket(PicturesBucketName("imglib")).ok());

  EXPECT_TRUE(CreateImageLibrary(*nats_, library, settings).ok());
  ImageLibrary other = library;
  other.spaces[0].version = "mobilenet/2";
  const Status refused = CreateImageLibrary(*nats_, other, settings);
  EXPECT_EQ(refused.code(), Status::Code::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("mobilenet/1"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("mobilenet/2"), std::string::npos) << refused.message();
  ImageLibrary fewer = library;
  fewer.spaces.pop_back();
  EXPECT_EQ(CreateImageLibrary(*nats_, fewer, settings).code(), Status::Code::kFailedPrecondition);

  auto missing = ReadImageLibrary(*nats_, "neverindexed");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound) << missing.status().ToString();
}

TEST_F(ImageLibraryTest, AWorkerWithOtherModelsIsRefused) {
  auto describer = PictureDescriber::Open({"color", "pdq"});
  ASSERT_TRUE(describer.ok()) << describer.status().ToString();
  const ImageLibrary library = ImageLibraryFor("colors", **describer);
  ASSERT_EQ(library.spaces.size(), 2u);
  EXPECT_EQ(library.spaces[0].collection, "colors-color");
  EXPECT_TRUE(CheckSameModels(library, **describer).ok());
  ImageLibrary changed = library;
  changed.spaces[1].version += "+other";
  const Status refused = CheckSameModels(changed, **describer);
  EXPECT_EQ(refused.code(), Status::Code::kFailedPrecondition) << refused.ToString();
  EXPECT_NE(refused.message().find("pdq"), std::string::npos) << refused.message();
  auto color_only = PictureDescriber::Open({"color"});
  ASSERT_TRUE(color_only.ok());
  EXPECT_EQ(CheckSameModels(library, **color_only).code(), Status::Code::kFailedPrecondition);
}

}  // namespace
}  // namespace alike::cluster
