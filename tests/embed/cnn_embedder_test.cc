#include "embed/cnn_embedder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "image/decoder.h"
#include "testing/models.h"

namespace alike::embed {
namespace {

namespace fs = std::filesystem;

std::string Shared(const std::string& rel) { return std::string(ALIKE_SHARED_DIR) + "/" + rel; }

// The first `n` photos (sorted by name) of a flowers class; empty when the data is absent.
std::vector<std::string> ClassPhotos(const std::string& cls, size_t n) {
  const fs::path dir = Shared("data/categories/flowers/flowers/") + cls;
  std::vector<std::string> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".jpg") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > n) files.resize(n);
  return files;
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

class CnnEmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const ModelSpec& m : DefaultCnnSpec(DefaultModelDir()).models) {
      if (!fs::exists(m.file)) GTEST_SKIP() << test::NotInstalled(m.file);
    }
    auto e = CnnEmbedder::OpenDefault(DefaultModelDir());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    embedder_ = std::move(*e);
  }

  std::vector<float> EmbedFile(const std::string& path) {
    auto img = image::DecodeFile(path, {.min_short_side = embedder_->preferred_short_side()});
    EXPECT_TRUE(img.ok()) << img.status().ToString();
    if (!img.ok()) return {};
    auto v = embedder_->Embed(img->bgr);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    if (!v.ok() || v->size() != 1) return {};
    return (*v)[0].vector;
  }

  std::unique_ptr<CnnEmbedder> embedder_;
};

TEST_F(CnnEmbedderTest, Describes) {
  EXPECT_EQ(embedder_->name(), "cnn");
  EXPECT_EQ(embedder_->dimension(), 1280u + 1024u);
  EXPECT_EQ(embedder_->metric(), Metric::kCosine);
  EXPECT_EQ(embedder_->preferred_short_side(), 192);  // both nets run at 192 px
  const std::string& v = embedder_->version();
  std::cout << "version: " << v << "\n";
  EXPECT_EQ(v.rfind("mobilenet_v2+v1-mobilenet_v2-tf2_mobilenet_v2_1.0_224_ptq.tflite-", 0), 0u);
  EXPECT_NE(v.find("-4070174-"), std::string::npos);  // file sizes
  EXPECT_NE(v.find("+mobilenet_v1-mobilenet_v1_1.0_224_quant_embedding_extractor.tflite-"),
            std::string::npos);
  EXPECT_NE(v.find("-3251736-"), std::string::npos);
  EXPECT_NE(v.find("-gem3-noflip-"), std::string::npos);
  EXPECT_NE(v.find("-w1.4"), std::string::npos);
  // Every choice that changes the vectors changes the version.
  EmbedderSpec flip = DefaultCnnSpec(DefaultModelDir());
  flip.models[0].flip_average = true;
  EmbedderSpec reweighted = DefaultCnnSpec(DefaultModelDir());
  reweighted.models[1].weight = 2;
  for (const EmbedderSpec& spec : {flip, reweighted}) {
    auto other = CnnEmbedder::Open(spec);
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    EXPECT_NE((*other)->version(), v);
  }
  EXPECT_FALSE(embedder_->Embed(cv::Mat()).ok());
  EXPECT_FALSE(embedder_->Embed(cv::Mat(10, 10, CV_8UC1)).ok());
}

TEST_F(CnnEmbedderTest, SameClassCloserThanOtherClasses) {
  std::vector<std::vector<std::vector<float>>> classes;
  const auto start = std::chrono::steady_clock::now();
  int count = 0;
  for (const char* cls : {"daisy", "sunflower", "tulip"}) {
    const auto files = ClassPhotos(cls, 5);
    if (files.size() < 5) GTEST_SKIP() << "flowers photos absent under " << Shared("data");
    classes.emplace_back();
    for (const auto& f : files) {
      classes.back().push_back(EmbedFile(f));
      ASSERT_EQ(classes.back().back().size(), embedder_->dimension()) << f;
      EXPECT_NEAR(Dot(classes.back().back(), classes.back().back()), 1.0, 1e-4) << f;
      ++count;
    }
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "cnn: " << ms / count << " ms/image (decode + embed)\n";
  double same = 0, diff = 0;
  int n_same = 0, n_diff = 0;
  for (size_t a = 0; a < classes.size(); ++a) {
    for (size_t i = 0; i < classes[a].size(); ++i) {
      for (size_t b = 0; b < classes.size(); ++b) {
        for (size_t j = 0; j < classes[b].size(); ++j) {
          if (a == b && i == j) continue;
          const double s = Dot(classes[a][i], classes[b][j]);
          (a == b ? same : diff) += s;
          ++(a == b ? n_same : n_diff);
        }
      }
    }
  }
  same /= n_same;
  diff /= n_diff;
  std::cout << "mean cosine: same class " << same << ", different classes " << diff << "\n";
  // GAP features are non-negative (ReLU6), so all cosines are high; the gap is what counts.
  EXPECT_GT(same, diff + 0.03);
}

// With flip averaging (not the default: it doubles the cost and measured no better in the
// concatenation) a picture and its mirror image embed alike.
TEST_F(CnnEmbedderTest, FlipAveragedMirrorImageEmbedsIdentically) {
  const auto files = ClassPhotos("rose", 2);
  if (files.empty()) GTEST_SKIP() << "flowers photos absent under " << Shared("data");
  EmbedderSpec spec = DefaultCnnSpec(DefaultModelDir());
  for (ModelSpec& m : spec.models) m.flip_average = true;
  auto flipped = CnnEmbedder::Open(spec);
  ASSERT_TRUE(flipped.ok()) << flipped.status().ToString();
  for (const auto& f : files) {
    auto img = image::DecodeFile(f, {.min_short_side = 256});
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    cv::Mat mirrored;
    cv::flip(img->bgr, mirrored, 1);
    auto a = (*flipped)->Embed(img->bgr);
    auto b = (*flipped)->Embed(mirrored);
    ASSERT_TRUE(a.ok() && b.ok());
    const auto& va = (*a)[0].vector;
    const auto& vb = (*b)[0].vector;
    double worst = 0;
    for (size_t i = 0; i < va.size(); ++i) worst = std::max(worst, double(std::abs(va[i] - vb[i])));
    EXPECT_LE(worst, 1e-5) << f;
  }
}

// GeM multiplies for whole exponents and calls pow otherwise; both give the same pooling.
TEST_F(CnnEmbedderTest, GemWholeAndFractionalExponentsAgree) {
  ModelSpec whole = DefaultCnnSpec(DefaultModelDir()).models[0];
  ASSERT_EQ(whole.pooling, Pooling::kGem);
  ModelSpec fractional = whole;
  fractional.gem_p = whole.gem_p + 1e-7;
  auto a = CnnEmbedder::Open(whole);
  auto b = CnnEmbedder::Open(fractional);
  ASSERT_TRUE(a.ok() && b.ok());
  cv::Mat img(240, 320, CV_8UC3);
  cv::randu(img, 0, 256);
  auto va = (*a)->Embed(img);
  auto vb = (*b)->Embed(img);
  ASSERT_TRUE(va.ok() && vb.ok());
  EXPECT_NEAR(Dot((*va)[0].vector, (*vb)[0].vector), 1.0, 1e-6);
  EXPECT_NE((*a)->version(), (*b)->version());
}

// Concurrent callers each get their own net; results match the single-threaded ones.
TEST_F(CnnEmbedderTest, ConcurrentEmbedsAgree) {
  cv::Mat img(256, 300, CV_8UC3);
  cv::randu(img, 0, 256);
  auto want = embedder_->Embed(img);
  ASSERT_TRUE(want.ok());
  std::vector<std::vector<float>> got(3);
  std::vector<std::thread> threads;
  for (auto& g : got) {
    threads.emplace_back([&] {
      auto v = embedder_->Embed(img);
      if (v.ok()) g = (*v)[0].vector;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) {
    ASSERT_EQ(g.size(), embedder_->dimension());
    EXPECT_NEAR(Dot(g, (*want)[0].vector), 1.0, 1e-5);
  }
}

// Each model's unit vector is scaled by its weight before concatenation, so the cosine of two
// combined embeddings is the mean of the models' cosines weighted by the squared weights.
TEST_F(CnnEmbedderTest, ConcatenatesWeightedModels) {
  const std::string v1_file = test::InstalledModel(test::kMobileNetV1);
  if (!fs::exists(v1_file)) GTEST_SKIP() << test::NotInstalled(v1_file);
  ModelSpec v2 = DefaultCnnSpec(DefaultModelDir()).models[0];
  v2.flip_average = false;
  ModelSpec v1;
  v1.name = "v1";
  v1.file = v1_file;
  v1.pooling = Pooling::kGem;  // of the last feature map: no output named
  v1.flip_average = false;
  v1.weight = 1.5;
  auto a = CnnEmbedder::Open(v2);
  auto b = CnnEmbedder::Open(v1);
  auto both = CnnEmbedder::Open(EmbedderSpec{.name = "pair", .models = {v2, v1}});
  ASSERT_TRUE(a.ok() && b.ok() && both.ok()) << both.status().ToString();
  EXPECT_EQ((*b)->dimension(), 1024u);
  EXPECT_EQ((*both)->dimension(), 1280u + 1024u);
  const std::string& version = (*both)->version();
  EXPECT_EQ(version.rfind("pair-", 0), 0u) << version;
  EXPECT_NE(version.find("tf2_mobilenet_v2_1.0_224_ptq.tflite"), std::string::npos) << version;
  EXPECT_NE(version.find("+v1-mobilenet_v1_1.0_224_quant"), std::string::npos) << version;
  EXPECT_NE(version.find("-gem3-noflip-"), std::string::npos) << version;
  EXPECT_NE(version.find("-w1.5"), std::string::npos) << version;

  cv::Mat x(256, 300, CV_8UC3), y(300, 256, CV_8UC3);
  cv::randu(x, 0, 256);
  cv::randu(y, 0, 128);
  auto cosine = [](const CnnEmbedder& e, const cv::Mat& p, const cv::Mat& q) {
    auto vp = e.Embed(p);
    auto vq = e.Embed(q);
    EXPECT_TRUE(vp.ok() && vq.ok());
    return vp.ok() && vq.ok() ? Dot((*vp)[0].vector, (*vq)[0].vector) : 0.0;
  };
  const double ca = cosine(**a, x, y), cb = cosine(**b, x, y);
  EXPECT_NEAR(cosine(**both, x, y), (ca + 1.5 * 1.5 * cb) / (1 + 1.5 * 1.5), 1e-5);
}

}  // namespace
}  // namespace alike::embed
