#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/imgproc.hpp>

#include "alike/embed.h"
#include "embed/cnn_embedder.h"
#include "embed/face_embedder.h"
#include "embed/model_dir.h"
#include "image/decoder.h"
#include "testing/models.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

// 1536x1152 JPEG of one person, which the decoder reduces while loading (DCT scaling) and then
// shrinks to the cnn's 256-pixel shorter side.
std::string OneFacePhoto() {
  return std::string(ALIKE_SHARED_DIR) + "/data/faces/deepface/img2.jpg";
}

std::string NoFacePhoto() {
  return std::string(ALIKE_SHARED_DIR) + "/data/copies/opencv-pairs/leuvenA.jpg";
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

// `bgr` as the RGB pixels a numpy caller holds.
struct RgbPixels {
  explicit RgbPixels(const cv::Mat& bgr) { cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB); }
  ImageSource Source() const {
    return ImageSource::Pixels(
        {.data = rgb.data, .width = rgb.cols, .height = rgb.rows, .row_bytes = rgb.step});
  }
  cv::Mat rgb;
};

std::unique_ptr<ImageEmbedder> OpenOrFail(const std::string& name) {
  auto e = ImageEmbedder::Open(name);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(*e) : nullptr;
}

// The one embedding of a whole-picture embedder; fails the test otherwise.
ImageEmbedding One(const ImageEmbedder& embedder, const ImageSource& source) {
  auto found = embedder.Embed(source);
  EXPECT_TRUE(found.ok()) << found.status().ToString();
  if (!found.ok() || found->size() != 1) {
    ADD_FAILURE() << source.name() << ": expected one embedding";
    return {};
  }
  return std::move(found->front());
}

class ImageEmbedderCnnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const embed::ModelSpec& m : embed::DefaultCnnSpec(embed::DefaultModelDir()).models) {
      if (!fs::exists(m.file)) GTEST_SKIP() << test::NotInstalled(m.file);
    }
    if (!fs::exists(OneFacePhoto())) GTEST_SKIP() << OneFacePhoto() << " is absent";
  }
};

TEST_F(ImageEmbedderCnnTest, DescribesItselfAsTheInternalEmbedderDoes) {
  auto cnn = OpenOrFail("cnn");
  ASSERT_NE(cnn, nullptr);
  auto internal = embed::CnnEmbedder::OpenDefault(embed::DefaultModelDir());
  ASSERT_TRUE(internal.ok()) << internal.status().ToString();
  EXPECT_EQ(cnn->name(), "cnn");
  EXPECT_EQ(cnn->version(), (*internal)->version());
  EXPECT_EQ(cnn->dimension(), (*internal)->dimension());
  EXPECT_EQ(cnn->metric(), Metric::kCosine);
  EXPECT_FALSE(cnn->faces());
  EXPECT_EQ(cnn->version_name(), embed::VersionName(cnn->version()));
  EXPECT_EQ(cnn->version_fingerprint().size(), 8u);
}

TEST_F(ImageEmbedderCnnTest, FileBytesAndPixelsOfOnePictureGiveOneVector) {
  auto cnn = OpenOrFail("cnn");
  ASSERT_NE(cnn, nullptr);
  const ImageEmbedding by_file = One(*cnn, ImageSource::File(OneFacePhoto()));
  ASSERT_EQ(by_file.vector.size(), cnn->dimension());
  EXPECT_TRUE(by_file.binary.empty());
  EXPECT_FALSE(by_file.box.has_value());
  EXPECT_TRUE(by_file.landmarks.empty());
  EXPECT_NEAR(Dot(by_file.vector, by_file.vector), 1.0, 1e-5);

  // Bytes go through the same decoder as the file: the same vector, bit for bit.
  const std::vector<uint8_t> bytes = ReadBytes(OneFacePhoto());
  EXPECT_EQ(One(*cnn, ImageSource::Bytes(bytes, "img2.jpg")).vector, by_file.vector);

  // The pixels the file decodes to (reduced and shrunk to the embedder's side), handed over as
  // RGB: nothing left to shrink, so the same vector again.
  auto decoded = image::DecodeFile(OneFacePhoto(), {.min_short_side = 256});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(std::min(decoded->bgr.cols, decoded->bgr.rows), 256);
  ASSERT_GT(decoded->reduction, 1);
  EXPECT_EQ(One(*cnn, RgbPixels(decoded->bgr).Source()).vector, by_file.vector);

  // Full-resolution pixels are shrunk in one step where the file was reduced while decoding:
  // slightly different pixels, so only a close vector.
  auto full = image::DecodeFile(OneFacePhoto());
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  const std::vector<float> by_pixels = One(*cnn, RgbPixels(full->bgr).Source()).vector;
  EXPECT_GT(Dot(by_pixels, by_file.vector), 0.97);
}

TEST(ImageEmbedderTest, PdqGivesThirtyTwoBytes) {
  if (!fs::exists(NoFacePhoto())) GTEST_SKIP() << NoFacePhoto() << " is absent";
  auto pdq = OpenOrFail("pdq");
  ASSERT_NE(pdq, nullptr);
  EXPECT_EQ(pdq->metric(), Metric::kHamming);
  EXPECT_EQ(pdq->dimension(), 256u);
  const ImageEmbedding hash = One(*pdq, ImageSource::File(NoFacePhoto()));
  EXPECT_EQ(hash.binary.size(), 32u);
  EXPECT_TRUE(hash.vector.empty());
  EXPECT_GT(hash.score, 0);
  EXPECT_LE(hash.score, 1);
}

TEST(ImageEmbedderTest, AFlatPictureHasNoHash) {
  auto pdq = OpenOrFail("pdq");
  ASSERT_NE(pdq, nullptr);
  const cv::Mat grey(300, 400, CV_8UC1, cv::Scalar(128));
  auto found = pdq->Embed(ImageSource::Pixels({.data = grey.data,
                                               .width = grey.cols,
                                               .height = grey.rows,
                                               .layout = PixelView::Layout::kGray}));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->empty());
}

TEST(ImageEmbedderTest, FacesComeWithBoxesLandmarksAndScores) {
  if (!embed::FaceEmbedder::Installed(embed::DefaultModelDir())) {
    GTEST_SKIP() << test::NotInstalled(embed::DefaultModelDir() + "/" +
                                       embed::FaceEmbedder::kRecognitionFile);
  }
  if (!fs::exists(OneFacePhoto()) || !fs::exists(NoFacePhoto())) {
    GTEST_SKIP() << "the shared photos are absent";
  }
  auto face = OpenOrFail("face");
  ASSERT_NE(face, nullptr);
  EXPECT_TRUE(face->faces());
  EXPECT_EQ(face->metric(), Metric::kL2);
  EXPECT_EQ(face->dimension(), 128u);

  auto found = face->Embed(ImageSource::File(OneFacePhoto()));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->size(), 1u);
  const ImageEmbedding& f = found->front();
  ASSERT_EQ(f.vector.size(), 128u);
  EXPECT_NEAR(Dot(f.vector, f.vector), 1.0, 1e-5);
  ASSERT_TRUE(f.box.has_value());
  // In the full picture's pixels (1536x1152), a face of a portrait's size.
  EXPECT_GE(f.box->x, 0);
  EXPECT_GE(f.box->y, 0);
  EXPECT_LE(f.box->x + f.box->width, 1536);
  EXPECT_LE(f.box->y + f.box->height, 1152);
  EXPECT_GT(f.box->width, 100);
  ASSERT_EQ(f.landmarks.size(), 5u);
  for (const PixelPoint& p : f.landmarks) {
    EXPECT_GE(p.x, f.box->x - 0.2f * f.box->width);
    EXPECT_LE(p.x, f.box->x + 1.2f * f.box->width);
    EXPECT_GE(p.y, f.box->y - 0.2f * f.box->height);
    EXPECT_LE(p.y, f.box->y + 1.2f * f.box->height);
  }
  EXPECT_GT(f.score, 0.5f);
  EXPECT_LE(f.score, 1.0f);

  auto none = face->Embed(ImageSource::File(NoFacePhoto()));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

TEST(ImageEmbedderTest, AnUnknownNameIsRefusedWithTheKnownOnes) {
  const std::vector<std::string> names = ImageEmbedder::Names();
  for (const char* known : {"cnn", "color", "pdq", "dct64"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), known), names.end()) << known;
  }
  auto e = ImageEmbedder::Open("resnet9000");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Status::Code::kNotFound);
  const std::string& message = e.status().message();
  EXPECT_NE(message.find("resnet9000"), std::string::npos) << message;
  EXPECT_NE(message.find("cnn, color, pdq, dct64"), std::string::npos) << message;
}

TEST(ImageEmbedderTest, ACorruptFileIsAnErrorNamingIt) {
  test::TempDir dir;
  const std::string path = dir.Sub("broken.jpg");
  {
    std::ofstream out(path, std::ios::binary);
    const unsigned char truncated[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F'};
    out.write(reinterpret_cast<const char*>(truncated), sizeof(truncated));
  }
  auto color = OpenOrFail("color");
  ASSERT_NE(color, nullptr);
  auto found = color->Embed(ImageSource::File(path));
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.status().message().find(path), std::string::npos) << found.status().ToString();
  auto missing = color->Embed(ImageSource::File(dir.Sub("absent.jpg")));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.Sub("absent.jpg")), std::string::npos)
      << missing.status().ToString();
}

TEST(ImageEmbedderTest, PixelsThatDoNotAddUpAreRefusedByName) {
  auto color = OpenOrFail("color");
  ASSERT_NE(color, nullptr);
  const uint8_t data[12] = {};
  auto found = color->Embed(ImageSource::Pixels(
      {.data = data, .width = 4, .height = 1, .row_bytes = 6, .layout = PixelView::Layout::kRgb},
      "frame 7"));
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(found.status().message().find("frame 7"), std::string::npos)
      << found.status().ToString();
}

}  // namespace
}  // namespace alike
