// `alike faces search / people / name / forget` and `init|index --faces`, run as a user runs
// them, on a few deepface photos (../shared/data/faces/deepface) with the installed face
// models. Skips when either is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>
#include <string>

#include "embed/face_embedder.h"
#include "embed/model_dir.h"
#include "testing/cli.h"
#include "testing/deepface.h"
#include "testing/models.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

using test::RunAlike;

class FacesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!embed::FaceEmbedder::Installed(embed::DefaultModelDir())) {
      GTEST_SKIP() << test::NotInstalled(embed::DefaultModelDir() + "/" +
                                         embed::FaceEmbedder::kRecognitionFile);
    }
    data_ = test::LoadDeepFace();
    if (data_.dir.empty()) GTEST_SKIP() << test::DeepFaceDir() << " is absent (shared data)";
    // The person with the most labelled photos, and one photo of each of two other persons.
    for (const auto& [file, person] : data_.person) {
      if (data_.SamePerson(file).size() > same_.size()) same_ = data_.SamePerson(file);
    }
    same_.resize(std::min<size_t>(same_.size(), 4));
    std::set<std::string> persons = {data_.person.at(same_[0])};
    for (const auto& [file, person] : data_.person) {
      if (others_.size() < 2 && persons.insert(person).second) others_.push_back(file);
    }
  }

  std::string Paths() const {
    std::string out;
    for (const auto* list : {&same_, &others_}) {
      for (const std::string& f : *list) {
        out += ' ';  // not " " + path: GCC 12 warns falsely (-Wrestrict) on that
        out += data_.Path(f);
      }
    }
    return out;
  }

  test::TempDir dir_;
  test::DeepFace data_;
  std::vector<std::string> same_;    // photos of one person
  std::vector<std::string> others_;  // photos of others
};

TEST_F(FacesCliTest, SearchPeopleNameAndForget) {
  auto init = RunAlike(dir_, "--json init --faces --embedders color");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_TRUE(nlohmann::json::parse(init.out).at("faces").get<bool>());
  auto index = RunAlike(dir_, "index -q" + Paths());
  ASSERT_EQ(index.exit_code, 0) << index.err;

  auto people = RunAlike(dir_, "--json faces people");
  ASSERT_EQ(people.exit_code, 0) << people.err;
  const auto persons = nlohmann::json::parse(people.out);
  ASSERT_GE(persons.size(), 3u);
  EXPECT_GE(persons[0].at("faces").get<int>(), 2) << "most faces first";

  // The query photo's own face comes first, with its person.
  const std::string query = data_.Path(same_[0]);
  auto search = RunAlike(dir_, "--json faces search " + query + " -k 5");
  ASSERT_EQ(search.exit_code, 0) << search.err;
  const auto faces = nlohmann::json::parse(search.out);
  ASSERT_GE(faces.size(), 1u);
  nlohmann::json own;
  for (const auto& f : faces) {
    if (!f.at("hits").empty() && f.at("hits")[0].at("path") == query) own = f;
  }
  ASSERT_FALSE(own.is_null()) << search.out;
  EXPECT_EQ(own.at("box").size(), 4u);
  EXPECT_EQ(own.at("landmarks").size(), 5u);
  EXPECT_EQ(own.at("hits")[0].at("box"), own.at("box")) << "the same face, found again";
  const uint64_t person = own.at("hits")[0].at("person").get<uint64_t>();

  auto name = RunAlike(dir_, "faces name " + std::to_string(person) + " Alice");
  ASSERT_EQ(name.exit_code, 0) << name.err;
  EXPECT_NE(name.out.find("Alice"), std::string::npos);
  auto text = RunAlike(dir_, "faces search " + query);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Alice"), std::string::npos) << text.out;

  auto by_person = RunAlike(dir_, "--json faces search --person Alice");
  ASSERT_EQ(by_person.exit_code, 0) << by_person.err;
  std::set<std::string> found;
  for (const auto& h : nlohmann::json::parse(by_person.out)) found.insert(h.at("path"));
  for (const std::string& f : same_) EXPECT_TRUE(found.count(data_.Path(f))) << f;
  for (const std::string& f : others_) EXPECT_FALSE(found.count(data_.Path(f))) << f;

  auto forget = RunAlike(dir_, "--json faces forget --person Alice");
  ASSERT_EQ(forget.exit_code, 0) << forget.err;
  EXPECT_GE(nlohmann::json::parse(forget.out).at("faces").get<size_t>(), same_.size());
  auto gone = RunAlike(dir_, "faces search --person Alice");
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("no person named 'Alice'"), std::string::npos) << gone.err;

  auto all = RunAlike(dir_, "--json faces forget --all");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_FALSE(nlohmann::json::parse(all.out).at("faces_enabled").get<bool>());
  auto off = RunAlike(dir_, "faces people");
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_NE(off.err.find("alike index --faces"), std::string::npos) << off.err;
  auto info = RunAlike(dir_, "--json info");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_FALSE(nlohmann::json::parse(info.out).at("faces").get<bool>());
}

TEST_F(FacesCliTest, ClearErrors) {
  ASSERT_EQ(RunAlike(dir_, "init --embedders color").exit_code, 0);
  ASSERT_EQ(RunAlike(dir_, "index -q " + data_.Path(same_[0])).exit_code, 0);
  auto off = RunAlike(dir_, "faces search " + data_.Path(same_[0]));
  EXPECT_EQ(off.exit_code, 1);
  EXPECT_NE(off.err.find("face indexing is off"), std::string::npos) << off.err;
  EXPECT_NE(off.err.find("alike index --faces"), std::string::npos) << off.err;

  ASSERT_EQ(RunAlike(dir_, "index -q --faces " + data_.Path(same_[0])).exit_code, 0);
  cv::Mat grey(200, 200, CV_8UC1, cv::Scalar(90));
  ASSERT_TRUE(cv::imwrite(dir_.Sub("grey.png"), grey));
  auto faceless = RunAlike(dir_, "faces search " + dir_.Sub("grey.png"));
  EXPECT_EQ(faceless.exit_code, 1);
  EXPECT_NE(faceless.err.find("no face found"), std::string::npos) << faceless.err;
  auto both = RunAlike(dir_, "faces search " + dir_.Sub("grey.png") + " --person Alice");
  EXPECT_EQ(both.exit_code, 1);
  auto neither = RunAlike(dir_, "faces forget");
  EXPECT_EQ(neither.exit_code, 1);
  EXPECT_NE(neither.err.find("--person NAME or --all"), std::string::npos) << neither.err;
}

}  // namespace
}  // namespace alike
