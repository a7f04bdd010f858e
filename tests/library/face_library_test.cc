// Face search in a library, on the real deepface photos (../shared/data/faces/deepface) with
// the installed face models: search by a face, persons, names, incremental grouping and
// erasure. The photos are indexed once (about 65 ms per face on the 2-core machine) into a
// template library; each test works on its own snapshot of it. Skips when the models or the
// photos are absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "alike/library.h"
#include "embed/face_embedder.h"
#include "embed/model_dir.h"
#include "testing/built_once.h"
#include "testing/deepface.h"
#include "testing/file_scan.h"
#include "testing/models.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

// Indexed later by the test that checks incremental grouping; a labelled photo whose person
// has several other photos.
constexpr char kLate[] = "img7.jpg";

class FaceLibraryTest : public ::testing::Test {
 protected:
  // The deepface photos but kLate, indexed with faces once for every test process.
  static void SetUpTestSuite() {
    if (!embed::FaceEmbedder::Installed(embed::DefaultModelDir())) return;
    data_ = new test::DeepFace(test::LoadDeepFace());
    if (data_->dir.empty()) return;
    template_ = test::BuiltOnce("deepface-faces", [](const std::string& dir) {
      auto lib = Library::Open(dir + "/lib",
                               {.create_if_missing = true, .embedders = {"color"}, .faces = true});
      EXPECT_TRUE(lib.ok()) << lib.status().ToString();
      if (!lib.ok()) return false;
      std::vector<std::string> paths;
      for (const std::string& f : data_->photos) {
        if (f != kLate) paths.push_back(data_->Path(f));
      }
      auto report = (*lib)->Index(paths, {.jobs = 2}, nullptr);
      EXPECT_TRUE(report.ok()) << report.status().ToString();
      EXPECT_EQ(report.ok() ? report->indexed : 0, paths.size());
      return report.ok() && report->indexed == paths.size();
    });
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }

  void SetUp() override {
    if (!embed::FaceEmbedder::Installed(embed::DefaultModelDir())) {
      GTEST_SKIP() << test::NotInstalled(embed::DefaultModelDir() + "/" +
                                         embed::FaceEmbedder::kRecognitionFile);
    }
    if (data_->dir.empty()) GTEST_SKIP() << test::DeepFaceDir() << " is absent (shared data)";
    ASSERT_FALSE(template_.empty()) << "indexing the deepface photos failed";
    fs::copy(template_ + "/lib", dir_.Sub("lib"), fs::copy_options::recursive);
    auto lib = Library::Open(dir_.Sub("lib"), {});
    ASSERT_TRUE(lib.ok()) << lib.status().ToString();
    lib_ = std::move(*lib);
  }

  std::string FileOf(const std::vector<std::string>& paths) const {
    return fs::path(paths.front()).filename().string();
  }

  // Each photo's largest face's person, from the persons' own listings.
  std::map<std::string, uint64_t> MainPersons(const std::vector<Person>& people) {
    std::map<std::string, std::pair<int, uint64_t>> best;  // file -> (area, person)
    for (const Person& p : people) {
      auto hits = lib_->SearchPerson(std::to_string(p.id), 0);
      EXPECT_TRUE(hits.ok()) << hits.status().ToString();
      if (!hits.ok()) continue;
      for (const FaceHit& h : *hits) {
        const int area = h.box.width * h.box.height;
        auto& b = best[FileOf(h.paths)];
        if (area > b.first) b = {area, p.id};
      }
    }
    std::map<std::string, uint64_t> out;
    for (const auto& [file, b] : best) out[file] = b.second;
    return out;
  }

  // The person of a photo's largest face, after grouping.
  uint64_t PersonOf(const std::string& file) {
    auto people = lib_->People();
    EXPECT_TRUE(people.ok()) << people.status().ToString();
    const auto persons = MainPersons(*people);
    auto it = persons.find(file);
    EXPECT_NE(it, persons.end()) << file << " has no person";
    return it == persons.end() ? 0 : it->second;
  }

  static test::DeepFace* data_;
  // The indexed library's directory (read-only), "" when indexing failed.
  inline static std::string template_;
  test::TempDir dir_;
  std::unique_ptr<Library> lib_;
};

test::DeepFace* FaceLibraryTest::data_ = nullptr;

TEST_F(FaceLibraryTest, EachFaceIsOneVectorWithBoxLandmarksAndScore) {
  auto faces = lib_->database().GetCollection("image.face");
  ASSERT_TRUE(faces.ok());
  EXPECT_GE((*faces)->Count(), data_->photos.size() - 1) << "every photo shows a face";
  size_t checked = 0;
  ASSERT_TRUE((*faces)
                  ->ForEach([&](const Record& r) {
                    const auto p = nlohmann::json::parse(r.payload);
                    EXPECT_EQ(p.at("image").get<uint64_t>(), r.id >> 12);
                    EXPECT_EQ(p.at("box").size(), 4u);
                    EXPECT_GT(p.at("box")[2].get<int>(), 0);
                    EXPECT_EQ(p.at("landmarks").size(), 5u);
                    EXPECT_GT(p.at("score").get<double>(), 0.0);
                    EXPECT_EQ(r.vector.size(), 128u);
                    ++checked;
                    return true;
                  })
                  .ok());
  EXPECT_EQ(checked, (*faces)->Count());
}

TEST_F(FaceLibraryTest, OnePersonsPhotoFindsTheirOtherPhotosBeforeOtherPeople) {
  size_t queries = 0, found = 0, wanted = 0;
  for (const auto& [file, person] : data_->person) {
    if (file == kLate) continue;
    auto faces = lib_->SearchFaces(ImageSource::File(data_->Path(file)), {.k = 20});
    ASSERT_TRUE(faces.ok()) << file << ": " << faces.status().ToString();
    ASSERT_FALSE(faces->empty());
    // The query's own face is the one whose first hit is the photo itself.
    const QueryFace* own = nullptr;
    for (const QueryFace& f : *faces) {
      if (!f.hits.empty() && FileOf(f.hits[0].paths) == file) own = &f;
    }
    ASSERT_NE(own, nullptr) << file << " does not find itself first";
    EXPECT_LT(own->hits[0].distance, 1e-3);
    const std::set<std::string> different = data_->Different(file);
    std::set<std::string> same;
    for (const std::string& f : data_->SamePerson(file)) {
      if (f != file && f != kLate) same.insert(f);
    }
    // Every labelled photo of the same person that comes back ranks before every photo
    // labelled as somebody else.
    bool other_seen = false;
    for (const FaceHit& h : own->hits) {
      const std::string f = FileOf(h.paths);
      if (different.count(f)) other_seen = true;
      if (same.count(f)) {
        EXPECT_FALSE(other_seen) << file << ": " << f << " ranks after another person";
        ++found;
      }
    }
    wanted += same.size();
    ++queries;
  }
  std::printf("face search: %zu queries found %zu of %zu labelled same-person photos\n", queries,
              found, wanted);
  EXPECT_GE(found, wanted * 9 / 10);
}

TEST_F(FaceLibraryTest, PeopleMatchTheLabels) {
  auto people = lib_->People();
  ASSERT_TRUE(people.ok()) << people.status().ToString();
  ASSERT_FALSE(people->empty());
  const auto persons = MainPersons(*people);
  size_t same_total = 0, same_right = 0, diff_total = 0, diff_right = 0;
  for (const test::DeepFacePair& p : data_->pairs) {
    if (p.a == kLate || p.b == kLate) continue;
    ASSERT_TRUE(persons.count(p.a) && persons.count(p.b)) << p.a << " " << p.b;
    const bool together = persons.at(p.a) == persons.at(p.b);
    (p.same ? same_total : diff_total) += 1;
    (p.same ? same_right : diff_right) += together == p.same;
  }
  // Purity: the share of labelled photos whose person holds mostly photos of their label.
  std::map<uint64_t, std::map<std::string, size_t>> labels;  // person -> label -> photos
  size_t labelled = 0;
  for (const auto& [file, label] : data_->person) {
    if (file == kLate) continue;
    ++labels[persons.at(file)][label];
    ++labelled;
  }
  size_t pure = 0;
  for (const auto& [person, counts] : labels) {
    size_t most = 0;
    for (const auto& [label, n] : counts) most = std::max(most, n);
    pure += most;
  }
  std::printf(
      "people: %zu persons; same-person pairs together %zu/%zu, different-person pairs apart "
      "%zu/%zu, purity %zu/%zu\n",
      people->size(), same_right, same_total, diff_right, diff_total, pure, labelled);
  EXPECT_GE(same_right, same_total * 9 / 10);
  EXPECT_GE(diff_right, diff_total * 98 / 100);
  EXPECT_GE(pure, labelled * 9 / 10);
  for (const Person& p : *people) {
    EXPECT_GE(p.faces, p.images);
    EXPECT_FALSE(p.representative.paths.empty());
  }
}

TEST_F(FaceLibraryTest, NamedPersonIsSearchableAndNamesMerge) {
  const std::string file = data_->SamePerson(kLate).front();
  const uint64_t person = PersonOf(file);
  auto named = lib_->NamePerson(person, "Alice");
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(*named, person);
  auto hits = lib_->SearchPerson("Alice", 0);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  std::set<std::string> files;
  for (const FaceHit& h : *hits) {
    files.insert(FileOf(h.paths));
    EXPECT_EQ(h.person, person);
    EXPECT_EQ(h.person_name, "Alice");
  }
  size_t labelled = 0, present = 0;
  for (const std::string& f : data_->SamePerson(file)) {
    if (f == kLate) continue;
    ++labelled;
    present += files.count(f);
  }
  EXPECT_GE(present, labelled - 1) << "at most one of the person's photos missing";
  for (const std::string& f : data_->Different(file)) EXPECT_FALSE(files.count(f)) << f;
  auto limited = lib_->SearchPerson("Alice", 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), std::min<size_t>(2, hits->size()));

  // Giving the name to a second person merges the two.
  auto people = lib_->People();
  ASSERT_TRUE(people.ok());
  const Person* other = nullptr;
  for (const Person& p : *people) {
    if (p.id != person) other = &p;
  }
  ASSERT_NE(other, nullptr);
  const uint64_t other_faces = other->faces;
  const uint64_t other_id = other->id;
  auto merged = lib_->NamePerson(other_id, "Alice");
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(*merged, person);
  auto after = lib_->People();
  ASSERT_TRUE(after.ok());
  for (const Person& p : *after) {
    EXPECT_NE(p.id, other_id) << "the merged person is gone";
    if (p.id == person) {
      EXPECT_GE(p.faces, other_faces + 2);
    }
  }
  EXPECT_EQ(lib_->SearchPerson("Bob", 0).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(lib_->NamePerson(999999, "Carol").status().code(), Status::Code::kNotFound);
}

TEST_F(FaceLibraryTest, ImageAddedLaterJoinsItsPerson) {
  const std::string sibling = data_->SamePerson(kLate).front();
  ASSERT_NE(sibling, kLate);
  const uint64_t person = PersonOf(sibling);
  auto people_before = lib_->People();
  ASSERT_TRUE(people_before.ok());
  std::vector<std::string> late = {data_->Path(kLate)};
  auto report = lib_->Index(late, {}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->indexed, 1u);
  // Grouped by Index itself: the late photo's face already has the person.
  auto hits = lib_->SearchPerson(std::to_string(person), 0);
  ASSERT_TRUE(hits.ok());
  bool joined = false;
  for (const FaceHit& h : *hits) joined |= FileOf(h.paths) == kLate;
  EXPECT_TRUE(joined) << kLate << " did not join the person of " << sibling;
  auto people_after = lib_->People();
  ASSERT_TRUE(people_after.ok());
  EXPECT_EQ(people_after->size(), people_before->size()) << "no new person for a known face";
}

TEST_F(FaceLibraryTest, ForgettingAPersonLeavesNoByteOfTheirFacesInAnyFile) {
  const std::string file = data_->SamePerson(kLate).front();
  const std::string name = "Alice Forgettable";  // a name found nowhere else in the files
  ASSERT_TRUE(lib_->NamePerson(PersonOf(file), name).ok());
  auto hits = lib_->SearchPerson(name, 0);
  ASSERT_TRUE(hits.ok() && !hits->empty());
  auto faces = lib_->database().GetCollection("image.face");
  ASSERT_TRUE(faces.ok());
  auto face = (*faces)->Get(hits->front().face_id);
  ASSERT_TRUE(face.ok());
  const std::vector<float> doomed = face->vector;
  const uint64_t before = (*faces)->Count();
  // Present before, so the scan can fail: the vector is in the collection's log.
  ASSERT_FALSE(test::FilesContaining(dir_.Sub("lib"), test::BytesOf(doomed)).empty());
  ASSERT_FALSE(test::FilesContaining(dir_.Sub("lib"), name).empty()) << "the catalog's log";

  auto report = lib_->ForgetPerson(name);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->faces, hits->size());
  EXPECT_EQ(report->persons, 1u);
  EXPECT_EQ(test::FilesContaining(dir_.Sub("lib"), test::BytesOf(doomed)),
            std::vector<std::string>{});
  EXPECT_EQ(test::FilesContaining(dir_.Sub("lib"), name), std::vector<std::string>{});
  EXPECT_EQ((*faces)->Count(), before - report->faces);
  EXPECT_EQ(lib_->SearchPerson(name, 0).status().code(), Status::Code::kNotFound);
  // Forgotten faces are not detected again by the next run over the same photos.
  std::vector<std::string> paths = {data_->Path(file)};
  ASSERT_TRUE(lib_->Index(paths, {}, nullptr).ok());
  EXPECT_EQ((*faces)->Count(), before - report->faces);
  // A search with the forgotten person's photo finds none of their faces.
  auto search = lib_->SearchFaces(ImageSource::File(data_->Path(file)), {});
  ASSERT_TRUE(search.ok());
  for (const QueryFace& q : *search) {
    for (const FaceHit& h : q.hits) EXPECT_NE(h.face_id, hits->front().face_id);
  }
}

TEST_F(FaceLibraryTest, ForgettingAllFacesLeavesNoByteAndTurnsFacesOff) {
  auto faces = lib_->database().GetCollection("image.face");
  ASSERT_TRUE(faces.ok());
  std::vector<float> doomed;
  ASSERT_TRUE((*faces)
                  ->ForEach([&](const Record& r) {
                    doomed = r.vector;
                    return false;
                  })
                  .ok());
  ASSERT_FALSE(doomed.empty());
  ASSERT_FALSE(test::FilesContaining(dir_.Sub("lib"), test::BytesOf(doomed)).empty());
  ASSERT_TRUE(lib_->People().ok());  // persons exist, so their rows must go too
  faces->reset();

  auto report = lib_->ForgetAllFaces();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->faces, data_->photos.size() - 1);
  EXPECT_GE(report->persons, 1u);
  EXPECT_EQ(test::FilesContaining(dir_.Sub("lib"), test::BytesOf(doomed)),
            std::vector<std::string>{});
  auto info = lib_->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->faces);
  EXPECT_EQ(info->persons, 0u);
  auto search = lib_->SearchFaces(ImageSource::File(data_->Path(data_->photos[0])), {});
  EXPECT_EQ(search.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(search.status().message().find("--faces"), std::string::npos);
  // Indexing again without --faces detects nothing.
  std::vector<std::string> late = {data_->Path(kLate)};
  ASSERT_TRUE(lib_->Index(late, {}, nullptr).ok());
  EXPECT_FALSE(lib_->database().GetCollection("image.face").ok());
}

TEST_F(FaceLibraryTest, TagsAndRemovalStepOverTheGapAnErasedFaceLeaves) {
  auto faces = lib_->database().GetCollection("image.face");
  ASSERT_TRUE(faces.ok());
  std::map<uint64_t, int> per_image;
  ASSERT_TRUE((*faces)
                  ->ForEach([&](const Record& r) {
                    ++per_image[r.id >> 12];
                    return true;
                  })
                  .ok());
  auto crowd = std::max_element(per_image.begin(), per_image.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; });
  ASSERT_GE(crowd->second, 3) << "the deepface photos include group photos";
  const uint64_t image = crowd->first;
  // Erase the person of the image's first face, leaving a gap before its other faces.
  const uint64_t first = image << 12;
  auto people = lib_->People();
  ASSERT_TRUE(people.ok());
  std::string doomed;
  for (const Person& p : *people) {
    auto hits = lib_->SearchPerson(std::to_string(p.id), 0);
    ASSERT_TRUE(hits.ok());
    for (const FaceHit& h : *hits) {
      if (h.face_id == first) doomed = std::to_string(p.id);
    }
  }
  ASSERT_FALSE(doomed.empty());
  ASSERT_TRUE(lib_->ForgetPerson(doomed).ok());
  ASSERT_FALSE((*faces)->Get(first).ok());

  ASSERT_TRUE(lib_->Tag(image, std::vector<std::string>{"party"}, {}).ok());
  int tagged = 0;
  for (uint32_t i = 1; i < 16; ++i) {
    auto r = (*faces)->Get(first | i);
    if (!r.ok()) continue;
    EXPECT_EQ(nlohmann::json::parse(r->payload).at("tags"), nlohmann::json::array({"party"}));
    ++tagged;
  }
  EXPECT_GE(tagged, 1);

  auto details = lib_->GetImage(image);
  ASSERT_TRUE(details.ok());
  auto removed = lib_->Remove(details->paths);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  for (uint32_t i = 0; i < 16; ++i) EXPECT_FALSE((*faces)->Get(first | i).ok()) << i;
  EXPECT_TRUE(lib_->People().ok());
}

TEST_F(FaceLibraryTest, PicturesWithoutFacesGoThroughAndQueriesWithoutFacesSaySo) {
  cv::Mat grey(300, 400, CV_8UC1, cv::Scalar(128));
  ASSERT_TRUE(cv::imwrite(dir_.Sub("grey.png"), grey));
  cv::Mat noise(240, 320, CV_8UC3);
  cv::randu(noise, cv::Scalar::all(0), cv::Scalar::all(255));
  ASSERT_TRUE(cv::imwrite(dir_.Sub("noise.png"), noise));
  std::vector<std::string> paths = {dir_.Sub("grey.png"), dir_.Sub("noise.png")};
  auto faces = lib_->database().GetCollection("image.face");
  ASSERT_TRUE(faces.ok());
  const uint64_t before = (*faces)->Count();
  auto report = lib_->Index(paths, {}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->indexed, 2u);
  EXPECT_EQ(report->failed, 0u);
  EXPECT_EQ((*faces)->Count(), before);
  auto search = lib_->SearchFaces(ImageSource::File(dir_.Sub("grey.png")), {});
  EXPECT_EQ(search.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(search.status().message().find("no face"), std::string::npos);
  // A threshold no squared distance between unit vectors can be compared with is refused (0
  // asks for the automatic one).
  for (const float threshold : {-1.0f, 4.5f, std::nanf("")}) {
    auto refused =
        lib_->SearchFaces(ImageSource::File(dir_.Sub("noise.png")), {.threshold = threshold});
    EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument) << threshold;
    EXPECT_NE(refused.status().message().find("threshold"), std::string::npos) << threshold;
  }
}

TEST(FaceOptInTest, WithoutFacesNoFaceIsStoredAndFaceCannotBeNamedAsAnEmbedder) {
  if (!embed::FaceEmbedder::Installed(embed::DefaultModelDir())) {
    GTEST_SKIP() << test::NotInstalled(embed::DefaultModelDir() + "/" +
                                       embed::FaceEmbedder::kRecognitionFile);
  }
  const test::DeepFace data = test::LoadDeepFace();
  if (data.dir.empty()) GTEST_SKIP() << test::DeepFaceDir() << " is absent (shared data)";
  test::TempDir dir;
  auto lib = Library::Open(dir.Sub("lib"), {.create_if_missing = true, .embedders = {"color"}});
  ASSERT_TRUE(lib.ok());
  std::vector<std::string> paths = {data.Path(data.person.begin()->first)};
  auto report = (*lib)->Index(paths, {}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->indexed, 1u);
  EXPECT_FALSE((*lib)->database().GetCollection("image.face").ok());
  auto info = (*lib)->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->faces);
  auto named = (*lib)->Index(paths, {.embedders = {"face"}}, nullptr);
  EXPECT_EQ(named.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(named.status().message().find("--faces"), std::string::npos);
  EXPECT_EQ((*lib)->People().status().code(), Status::Code::kFailedPrecondition);
  auto refused =
      Library::Open(dir.Sub("other"), {.create_if_missing = true, .embedders = {"color", "face"}});
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);

  // Turned on by one run, and kept for the next.
  ASSERT_TRUE((*lib)->Index(paths, {.faces = true}, nullptr).ok());
  auto faces = (*lib)->database().GetCollection("image.face");
  ASSERT_TRUE(faces.ok());
  EXPECT_GE((*faces)->Count(), 1u);
  lib->reset();
  auto again = Library::Open(dir.Sub("lib"), {});
  ASSERT_TRUE(again.ok());
  auto info_again = (*again)->Info();
  ASSERT_TRUE(info_again.ok());
  EXPECT_TRUE(info_again->faces);
}

}  // namespace
}  // namespace alike
