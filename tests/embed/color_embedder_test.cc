#include "embed/color_embedder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "image/decoder.h"

namespace alike::embed {
namespace {

namespace fs = std::filesystem;

std::string Flowers() { return std::string(ALIKE_SHARED_DIR) + "/data/categories/flowers/flowers"; }

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

// A picture with structure: gradients, a disc and stripes.
cv::Mat Synthetic() {
  cv::Mat img(240, 320, CV_8UC3);
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 255 / 320, 60 + y / 2, 200 - x / 3);
    }
  }
  cv::circle(img, {200, 120}, 60, cv::Scalar(20, 200, 240), cv::FILLED);
  for (int x = 10; x < 120; x += 16)
    cv::line(img, {x, 20}, {x + 30, 220}, cv::Scalar(30, 30, 30), 3);
  return img;
}

std::vector<float> Describe(const ColorEmbedder& e, const cv::Mat& img) {
  auto v = e.Embed(img);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? (*v)[0].vector : std::vector<float>{};
}

TEST(ColorEmbedderTest, UnitLengthDeterministicAndDescribed) {
  const ColorEmbedder e;
  EXPECT_EQ(e.name(), "color");
  EXPECT_EQ(e.metric(), Metric::kCosine);
  EXPECT_FALSE(e.version().empty());
  const cv::Mat img = Synthetic();
  const auto a = Describe(e, img), b = Describe(e, img);
  ASSERT_EQ(a.size(), e.dimension());
  EXPECT_EQ(a, b);
  EXPECT_NEAR(Dot(a, a), 1.0, 1e-5);
  for (float x : a) ASSERT_TRUE(std::isfinite(x));
  // Degenerate pictures still give unit vectors.
  for (const cv::Mat& m : {cv::Mat(1, 1, CV_8UC3, cv::Scalar(0, 0, 0)),
                           cv::Mat(3, 500, CV_8UC3, cv::Scalar(255, 255, 255))}) {
    const auto v = Describe(e, m);
    ASSERT_EQ(v.size(), e.dimension());
    EXPECT_NEAR(Dot(v, v), 1.0, 1e-5);
  }
  EXPECT_FALSE(e.Embed(cv::Mat()).ok());
  EXPECT_FALSE(e.Embed(cv::Mat(4, 4, CV_8UC1)).ok());
}

TEST(ColorEmbedderTest, RecolouredFartherThanResized) {
  const ColorEmbedder e;
  const cv::Mat img = Synthetic();
  cv::Mat resized, recoloured;
  cv::resize(img, resized, cv::Size(), 0.8, 0.8, cv::INTER_AREA);
  cv::Mat hsv;
  cv::cvtColor(img, hsv, cv::COLOR_BGR2HSV);
  for (auto it = hsv.begin<cv::Vec3b>(); it != hsv.end<cv::Vec3b>(); ++it) {
    (*it)[0] = static_cast<uint8_t>(((*it)[0] + 60) % 180);  // rotate hue by 120 degrees
  }
  cv::cvtColor(hsv, recoloured, cv::COLOR_HSV2BGR);
  const auto base = Describe(e, img);
  const double to_resized = Dot(base, Describe(e, resized));
  const double to_recoloured = Dot(base, Describe(e, recoloured));
  std::cout << "cosine to resized " << to_resized << ", to recoloured " << to_recoloured << "\n";
  EXPECT_GT(to_resized, 0.95);
  EXPECT_GT(to_resized, to_recoloured + 0.1);
}

// Retrieval quality on real photos: leave-one-out precision@10, same class = relevant.
TEST(ColorEmbedderTest, PrecisionAt10OnFlowers) {
#if defined(__SANITIZE_ADDRESS__)
  constexpr size_t kPerClass = 20;  // sanitizer builds are ~10x slower
#else
  constexpr size_t kPerClass = 60;
#endif
  const std::vector<std::string> classes = {"daisy", "dandelion", "rose", "sunflower", "tulip"};
  std::vector<std::pair<int, std::string>> photos;
  for (size_t c = 0; c < classes.size(); ++c) {
    const fs::path dir = fs::path(Flowers()) / classes[c];
    if (!fs::is_directory(dir)) GTEST_SKIP() << "flowers photos absent under " << Flowers();
    std::vector<std::string> files;
    for (const auto& f : fs::directory_iterator(dir)) {
      if (f.path().extension() == ".jpg") files.push_back(f.path().string());
    }
    std::sort(files.begin(), files.end());
    // Every k-th file: a fixed selection spread over the class.
    const size_t step = std::max<size_t>(1, files.size() / kPerClass);
    for (size_t i = 0, n = 0; i < files.size() && n < kPerClass; i += step, ++n) {
      photos.emplace_back(static_cast<int>(c), files[i]);
    }
  }
  const ColorEmbedder e;
  std::vector<std::vector<float>> vecs;
  std::vector<int> labels;
  double embed_ms = 0;
  for (const auto& [label, path] : photos) {
    auto img = image::DecodeFile(path, {.min_short_side = e.preferred_short_side()});
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    const auto t0 = std::chrono::steady_clock::now();
    vecs.push_back(Describe(e, img->bgr));
    embed_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    labels.push_back(label);
  }
  double precision = 0;
  for (size_t q = 0; q < vecs.size(); ++q) {
    std::vector<std::pair<double, size_t>> scored;
    for (size_t i = 0; i < vecs.size(); ++i) {
      if (i != q) scored.emplace_back(-Dot(vecs[q], vecs[i]), i);
    }
    std::partial_sort(scored.begin(), scored.begin() + 10, scored.end());
    int hits = 0;
    for (int k = 0; k < 10; ++k) hits += labels[scored[k].second] == labels[q];
    precision += hits / 10.0;
  }
  precision /= vecs.size();
  std::cout << "color: precision@10 = " << precision << " on " << vecs.size() << " flowers photos; "
            << embed_ms / vecs.size() << " ms/image (embed only)\n";
  ::testing::Test::RecordProperty("precision_at_10", std::to_string(precision));
  EXPECT_GT(precision, 0.30);
}

}  // namespace
}  // namespace alike::embed
