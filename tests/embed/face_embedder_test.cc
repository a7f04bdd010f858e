#include "embed/face_embedder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "embed/model_dir.h"
#include "image/decoder.h"
#include "testing/models.h"

namespace alike::embed {
namespace {

namespace fs = std::filesystem;

// The best threshold on the 600 LFW fold-1 pairs is ~0.17 (squared L2, flip-averaged): same
// person below, different people above.
constexpr double kSamePerson = 0.17;

std::string Faces(const std::string& rel) {
  return std::string(ALIKE_SHARED_DIR) + "/data/faces/" + rel;
}

std::string Lfw(const std::string& name, int i) {
  char file[16];
  std::snprintf(file, sizeof(file), "_%04d.jpg", i);
  return Faces("lfw-fold1/images/" + name + "/" + name + file);
}

double SquaredDistance(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

cv::Mat Read(const std::string& path) {
  auto img = image::DecodeFile(path);
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return img.ok() ? img->bgr : cv::Mat();
}

class FaceEmbedderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!FaceEmbedder::Installed(DefaultModelDir())) return;
    auto e = FaceEmbedder::Open(DefaultModelDir());
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    embedder_ = std::move(*e);
  }
  static void TearDownTestSuite() { embedder_.reset(); }

  void SetUp() override {
    if (embedder_ == nullptr) {
      GTEST_SKIP() << test::NotInstalled(DefaultModelDir() + "/" + FaceEmbedder::kRecognitionFile);
    }
    if (!fs::is_directory(Faces("lfw-fold1"))) {
      GTEST_SKIP() << Faces("lfw-fold1") << " is absent (the shared test data)";
    }
  }

  // The faces in a picture; fails the test on an error.
  static std::vector<Embedding> Embed(const cv::Mat& bgr) {
    auto faces = embedder_->Embed(bgr);
    EXPECT_TRUE(faces.ok()) << faces.status().ToString();
    return faces.ok() ? std::move(*faces) : std::vector<Embedding>();
  }

  // The one face of an LFW crop.
  static std::vector<float> One(const cv::Mat& bgr) {
    std::vector<Embedding> faces = Embed(bgr);
    EXPECT_EQ(faces.size(), 1u);
    return faces.empty() ? std::vector<float>(128) : faces[0].vector;
  }

  // Loaded once for the suite: the network takes a while to load.
  inline static std::unique_ptr<FaceEmbedder> embedder_;
};

TEST_F(FaceEmbedderTest, Describes) {
  EXPECT_EQ(embedder_->name(), "face");
  EXPECT_EQ(embedder_->dimension(), 128u);
  EXPECT_EQ(embedder_->metric(), Metric::kL2);
  EXPECT_EQ(embedder_->preferred_short_side(), 0);
  const std::string& v = embedder_->version();
  EXPECT_NE(v.find("dlib_face_recognition_resnet_model_v1.dat"), std::string::npos) << v;
  EXPECT_NE(v.find("22466066"), std::string::npos) << v;  // the network file's size
  EXPECT_NE(v.find("yunet"), std::string::npos) << v;
  EXPECT_NE(v.find("-flip"), std::string::npos) << v;
  EXPECT_FALSE(embedder_->Embed(cv::Mat()).ok());
  EXPECT_FALSE(embedder_->Embed(cv::Mat(100, 100, CV_8UC1)).ok());
}

TEST_F(FaceEmbedderTest, OpenRefusesMissingModels) {
  auto e = FaceEmbedder::Open("/nonexistent");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("/nonexistent/"), std::string::npos);
  EXPECT_FALSE(FaceEmbedder::Installed("/nonexistent"));
}

TEST_F(FaceEmbedderTest, SamePersonIsCloserThanOtherPeople) {
  const std::vector<std::pair<std::string, std::vector<int>>> people = {
      {"Abel_Pacheco", {1, 4}}, {"Akhmed_Zakayev", {1, 3}}, {"Amber_Tamblyn", {1, 2}}};
  std::vector<std::vector<std::vector<float>>> v;
  for (const auto& [name, photos] : people) {
    v.emplace_back();
    for (int i : photos) v.back().push_back(One(Read(Lfw(name, i))));
  }
  for (size_t p = 0; p < v.size(); ++p) {
    const double same = SquaredDistance(v[p][0], v[p][1]);
    EXPECT_LT(same, kSamePerson) << people[p].first;
    for (size_t q = 0; q < v.size(); ++q) {
      if (q == p) continue;
      for (const auto& other : v[q]) {
        EXPECT_GT(SquaredDistance(v[p][0], other), kSamePerson)
            << people[p].first << " vs " << people[q].first;
      }
    }
  }
}

TEST_F(FaceEmbedderTest, FaceFieldsAreConsistent) {
  const cv::Mat img = Read(Lfw("Abel_Pacheco", 1));
  const std::vector<Embedding> faces = Embed(img);
  ASSERT_EQ(faces.size(), 1u);
  const Embedding& f = faces[0];
  ASSERT_TRUE(f.region.has_value());
  EXPECT_EQ(*f.region & cv::Rect(0, 0, img.cols, img.rows), *f.region);
  EXPECT_GT(f.region->width, 60);  // LFW crops show the face at about 100 px
  EXPECT_GT(f.score, 0.6f);
  EXPECT_LE(f.score, 1.0f);
  ASSERT_EQ(f.landmarks.size(), 5u);
  for (const cv::Point2f& p : f.landmarks) EXPECT_TRUE(f.region->contains(p)) << p;
  EXPECT_NEAR(cv::norm(f.vector), 1.0, 1e-5);
  // Embedding the detected box again, without detection, gives the same vector.
  auto again = embedder_->EmbedBox(img, *f.region, nullptr);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_LT(SquaredDistance(again->vector, f.vector), 0.01);
}

TEST_F(FaceEmbedderTest, PicturesWithoutFacesGiveNoVectors) {
  EXPECT_TRUE(Embed(cv::Mat(480, 640, CV_8UC3, cv::Scalar(90, 120, 150))).empty());
  const std::string dir = std::string(ALIKE_SHARED_DIR) + "/data/copies/opencv-pairs/";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " is absent";
  // A scene, a cluttered desk, a painted toy, a street, an aerial view, a 3D monkey head.
  for (const char* file : {"box_in_scene.png", "rubberwhale1.png", "ela_original.jpg",
                           "leuvenA.jpg", "aero1.jpg", "Blender_Suzanne1.jpg"}) {
    EXPECT_TRUE(Embed(Read(dir + file)).empty()) << file;
  }
}

TEST_F(FaceEmbedderTest, GreyAnd16BitPicturesEmbedLikeTheColourOne) {
  const std::string path = Lfw("Amber_Tamblyn", 1);
  const cv::Mat colour = Read(path);
  const std::vector<float> reference = One(colour);
  cv::Mat grey, deep;
  cv::cvtColor(colour, grey, cv::COLOR_BGR2GRAY);
  colour.convertTo(deep, CV_16UC3, 257);
  for (const cv::Mat& m : {grey, deep}) {
    std::vector<uint8_t> png;
    ASSERT_TRUE(cv::imencode(".png", m, png));
    auto decoded = image::DecodeMemory(png, {}, "test.png");
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    const std::vector<float> v = One(decoded->bgr);
    EXPECT_LT(SquaredDistance(v, reference), kSamePerson / 2) << "channels " << m.channels();
  }
}

TEST_F(FaceEmbedderTest, MirrorImageIsTheSamePerson) {
  const cv::Mat img = Read(Lfw("Akhmed_Zakayev", 1));
  cv::Mat mirrored;
  cv::flip(img, mirrored, 1);
  // Flip-averaging makes a face and its mirror image almost one vector; only the landmarks,
  // found anew on the mirrored pixels, differ a little.
  EXPECT_LT(SquaredDistance(One(img), One(mirrored)), 0.02);
  // deepface's mirror-image photo of img11, at full size.
  const std::string photo = Faces("deepface/img11.jpg");
  if (!fs::exists(photo)) GTEST_SKIP() << photo << " is absent";
  EXPECT_LT(SquaredDistance(One(Read(photo)), One(Read(Faces("deepface/img11_reflection.jpg")))),
            0.02);
}

TEST_F(FaceEmbedderTest, JitterIsReproducibleAndKeepsPeopleApart) {
  FaceEmbedderOptions options;
  options.jitter = 4;
  auto jittered = FaceEmbedder::Open(DefaultModelDir(), options);
  ASSERT_TRUE(jittered.ok()) << jittered.status().ToString();
  const std::string& v = (*jittered)->version();
  EXPECT_NE(v.find("-jitter4"), std::string::npos) << v;
  EXPECT_EQ(embedder_->version().find("jitter"), std::string::npos) << embedder_->version();
  auto one = [&](const std::string& path) {
    auto faces = (*jittered)->Embed(Read(path));
    EXPECT_TRUE(faces.ok() && faces->size() == 1u);
    return faces.ok() && !faces->empty() ? faces->front().vector : std::vector<float>(128);
  };
  const std::vector<float> abel = one(Lfw("Abel_Pacheco", 1));
  // The copies are drawn anew for every call, from the face's own pixels: the same vector.
  EXPECT_EQ(one(Lfw("Abel_Pacheco", 1)), abel);
  // The copies move the vector, a little.
  const double moved = SquaredDistance(abel, One(Read(Lfw("Abel_Pacheco", 1))));
  EXPECT_GT(moved, 0);
  EXPECT_LT(moved, 0.02);
  EXPECT_LT(SquaredDistance(abel, one(Lfw("Abel_Pacheco", 4))), kSamePerson);
  EXPECT_LT(SquaredDistance(one(Lfw("Amber_Tamblyn", 1)), one(Lfw("Amber_Tamblyn", 2))),
            kSamePerson);
  EXPECT_GT(SquaredDistance(abel, one(Lfw("Amber_Tamblyn", 1))), kSamePerson);
  EXPECT_FALSE(FaceEmbedder::Open(DefaultModelDir(), {.jitter = -1}).ok());
}

TEST_F(FaceEmbedderTest, FindsTheFacesOfAGroupPhoto) {
  const cv::Mat img = Read(Faces("deepface/selfie-many-people.jpg"));
  const std::vector<Embedding> faces = Embed(img);
  EXPECT_GE(faces.size(), 6u);
  for (size_t i = 0; i < faces.size(); ++i) {
    EXPECT_EQ(faces[i].vector.size(), 128u);
    EXPECT_EQ(*faces[i].region & cv::Rect(0, 0, img.cols, img.rows), *faces[i].region);
    if (i > 0) {
      EXPECT_LE(faces[i].score, faces[i - 1].score);  // best first
    }
  }
}

TEST_F(FaceEmbedderTest, ACrowdIsCappedAtMaxFaces) {
  // 120 faces: LFW crops at 100 px in a 12 x 10 grid.
  cv::Mat crowd(1000, 1200, CV_8UC3);
  const cv::Mat face = Read(Lfw("Abel_Pacheco", 1));
  for (int y = 0; y < 10; ++y) {
    for (int x = 0; x < 12; ++x) {
      cv::resize(face, crowd(cv::Rect(x * 100, y * 100, 100, 100)), {100, 100}, 0, 0,
                 cv::INTER_AREA);
    }
  }
  auto few = FaceEmbedder::Open(DefaultModelDir(), {.flip_average = false, .max_faces = 12});
  ASSERT_TRUE(few.ok()) << few.status().ToString();
  auto faces = (*few)->Embed(crowd);
  ASSERT_TRUE(faces.ok()) << faces.status().ToString();
  EXPECT_EQ(faces->size(), 12u);
}

TEST_F(FaceEmbedderTest, JitteredFacesOfACrowdKeepTheirOwnVectors) {
  // Two people in a 4 x 3 grid of 100-px LFW crops, in a checkerboard. With 5 jittered copies
  // and no mirror, 12 faces are 72 chips: more than one network pass, so a copy credited to the
  // wrong face would blend the two people.
  const cv::Mat people[2] = {Read(Lfw("Abel_Pacheco", 1)), Read(Lfw("Amber_Tamblyn", 1))};
  cv::Mat crowd(300, 400, CV_8UC3);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 4; ++x) {
      cv::resize(people[(x + y) % 2], crowd(cv::Rect(x * 100, y * 100, 100, 100)), {100, 100}, 0, 0,
                 cv::INTER_AREA);
    }
  }
  auto jittered = FaceEmbedder::Open(DefaultModelDir(), {.flip_average = false, .jitter = 5});
  ASSERT_TRUE(jittered.ok()) << jittered.status().ToString();
  std::vector<float> alone[2];
  for (int p = 0; p < 2; ++p) {
    auto faces = (*jittered)->Embed(people[p]);
    ASSERT_TRUE(faces.ok() && faces->size() == 1u);
    alone[p] = faces->front().vector;
  }
  auto faces = (*jittered)->Embed(crowd);
  ASSERT_TRUE(faces.ok()) << faces.status().ToString();
  EXPECT_EQ(faces->size(), 12u);
  for (const Embedding& f : *faces) {
    const cv::Point centre = (f.region->tl() + f.region->br()) / 2;
    const int p = (centre.x / 100 + centre.y / 100) % 2;
    EXPECT_LT(SquaredDistance(f.vector, alone[p]), kSamePerson / 2) << centre;
    EXPECT_GT(SquaredDistance(f.vector, alone[1 - p]), kSamePerson) << centre;
  }
}

TEST_F(FaceEmbedderTest, SmallAndCutFacesDoNotBreakIt) {
  const cv::Mat img = Read(Lfw("Abel_Pacheco", 1));
  cv::Mat tiny;
  cv::resize(img, tiny, {40, 40}, 0, 0, cv::INTER_AREA);  // a face of ~16 px: below min_face
  EXPECT_TRUE(Embed(tiny).empty());
  cv::resize(img, tiny, {4, 3});
  EXPECT_TRUE(Embed(tiny).empty());
  // The face cut by the left border: whatever is found lies inside the picture.
  const cv::Mat cut = img(cv::Rect(110, 0, 140, 250)).clone();
  for (const Embedding& f : Embed(cut)) {
    EXPECT_EQ(*f.region & cv::Rect(0, 0, cut.cols, cut.rows), *f.region);
  }
}

TEST_F(FaceEmbedderTest, ConcurrentCallsAgree) {
  const cv::Mat img = Read(Lfw("Amber_Tamblyn", 2));
  std::vector<std::vector<float>> v(3);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < v.size(); ++i) threads.emplace_back([&, i] { v[i] = One(img); });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(v[0], v[1]);
  EXPECT_EQ(v[0], v[2]);
}

TEST_F(FaceEmbedderTest, HogDetectorFindsTheSameFaces) {
  FaceEmbedderOptions options;
  options.detector.kind = FaceDetectorKind::kHog;
  auto hog = FaceEmbedder::Open(DefaultModelDir(), options);
  ASSERT_TRUE(hog.ok()) << hog.status().ToString();
  EXPECT_NE((*hog)->version(), embedder_->version());
  const cv::Mat img = Read(Lfw("Akhmed_Zakayev", 1));
  auto faces = (*hog)->Embed(img);
  ASSERT_TRUE(faces.ok()) << faces.status().ToString();
  ASSERT_EQ(faces->size(), 1u);
  EXPECT_LT(SquaredDistance((*faces)[0].vector, One(img)), 0.05);
}

TEST(FaceDetectorTest, ParsesNames) {
  for (FaceDetectorKind k :
       {FaceDetectorKind::kYunet, FaceDetectorKind::kHog, FaceDetectorKind::kMmod}) {
    auto parsed = ParseFaceDetector(FaceDetectorName(k));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_FALSE(ParseFaceDetector("viola-jones").ok());
}

TEST(FaceDetectorTest, RefusesBadOptions) {
  EXPECT_FALSE(OpenFaceDetector({.kind = FaceDetectorKind::kHog, .min_face = 0}, "").ok());
  EXPECT_FALSE(OpenFaceDetector({.kind = FaceDetectorKind::kYunet}, "/nonexistent").ok());
}

}  // namespace
}  // namespace alike::embed
