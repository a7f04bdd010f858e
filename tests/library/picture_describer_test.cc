// alike::PictureDescriber (alike/embed.h): a picture described as a library of the same embedders
// indexes it — the same vectors, bit for bit, and the same facts as the library's payloads — and
// bad names and files are errors naming them.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "alike/embed.h"
#include "alike/library.h"
#include "alike/vector_db.h"
#include "embed/model_dir.h"
#include "testing/models.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

const std::string kFlowers = std::string(ALIKE_SHARED_DIR) + "/data/categories/flowers/flowers";

bool CnnInstalled() {
  auto cnn = ImageEmbedder::Open("cnn");
  return cnn.ok();
}

TEST(PictureDescriberTest, VectorsAndFactsEqualALibraryOfTheSameEmbedders) {
  if (!fs::exists(kFlowers)) GTEST_SKIP() << kFlowers << " is absent";
  if (!CnnInstalled()) GTEST_SKIP() << test::NotInstalled(embed::DefaultModelDir());
  test::TempDir dir;
  const fs::path photos = fs::path(dir.path()) / "photos";
  fs::create_directories(photos);
  std::vector<std::string> files;
  for (const char* kind : {"daisy", "rose", "tulip"}) {
    const fs::path first = *fs::directory_iterator(fs::path(kFlowers) / kind);
    files.push_back((photos / first.filename()).string());
    fs::copy_file(first, files.back());
  }
  // cnn beside pdq: the library decodes once at pdq's 512 pixels, so cnn's vectors differ from
  // ImageEmbedder("cnn")'s; the describer's must not.
  const std::vector<std::string> embedders = {"cnn", "pdq"};
  const std::string lib_dir = dir.path() + "/lib";
  {
    auto lib = Library::Open(lib_dir, {.create_if_missing = true, .embedders = embedders});
    ASSERT_TRUE(lib.ok()) << lib.status().ToString();
    const std::vector<std::string> roots = {photos.string()};
    auto report = (*lib)->Index(roots, {.jobs = 1}, nullptr);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
  }
  auto describer = PictureDescriber::Open(embedders);
  ASSERT_TRUE(describer.ok()) << describer.status().ToString();
  ASSERT_EQ((*describer)->embedders().size(), 2u);
  EXPECT_EQ((*describer)->embedders()[1]->name(), "pdq");
  auto db = Database::Open(lib_dir, {});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (const std::string& file : files) {
    auto picture = (*describer)->Describe(file);
    ASSERT_TRUE(picture.ok()) << picture.status().ToString();
    EXPECT_EQ(picture->content_hash.size(), 64u);
    ASSERT_EQ(picture->embeddings.size(), 2u);
    nlohmann::json facts = nlohmann::json::parse(picture->facts);
    EXPECT_FALSE(facts.contains("image")) << facts;
    EXPECT_GT(facts.at("width").get<int>(), 0) << facts;
    for (size_t s = 0; s < embedders.size(); ++s) {
      ASSERT_EQ(picture->embeddings[s].size(), 1u) << file << " " << embedders[s];
      const ImageEmbedding& mine = picture->embeddings[s][0];
      auto space = (*db)->GetCollection("image." + embedders[s]);
      ASSERT_TRUE(space.ok()) << space.status().ToString();
      // The library's record of this picture: the one with these facts.
      int matches = 0;
      ASSERT_TRUE((*space)
                      ->ForEach([&](const Record& r) {
                        nlohmann::json payload = nlohmann::json::parse(r.payload);
                        payload.erase("image");
                        if (payload != facts) return true;
                        ++matches;
                        EXPECT_EQ(r.vector, mine.vector) << file << " " << embedders[s];
                        EXPECT_EQ(r.binary, mine.binary) << file << " " << embedders[s];
                        EXPECT_EQ(EmbeddingPayload(picture->facts, mine), picture->facts);
                        return true;
                      })
                      .ok());
      EXPECT_EQ(matches, 1) << file << " " << embedders[s] << ": " << facts;
    }
  }
}

TEST(PictureDescriberTest, NamesAndFilesThatCannotBeDescribedAreErrorsNamingThem) {
  EXPECT_EQ(PictureDescriber::Open({}).status().code(), Status::Code::kInvalidArgument);
  auto twice = PictureDescriber::Open({"color", "color"});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("color"), std::string::npos);
  auto unknown = PictureDescriber::Open({"color", "no-such-embedder"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("no-such-embedder"), std::string::npos);

  auto describer = PictureDescriber::Open({"color", "pdq"});
  ASSERT_TRUE(describer.ok()) << describer.status().ToString();
  test::TempDir dir;
  const std::string junk = dir.path() + "/junk.jpg";
  std::ofstream(junk) << "not a picture at all";
  for (const std::string& bad : {junk, dir.path() + "/absent.png"}) {
    auto refused = (*describer)->Describe(bad);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.status().message().find(bad), std::string::npos)
        << refused.status().ToString();
  }
}

TEST(EmbeddingPayloadTest, AFaceAddsItsBoxScoreAndLandmarks) {
  ImageEmbedding face{.box = PixelBox{1, 2, 30, 40}, .landmarks = {{5, 6}}, .score = 0.5f};
  const nlohmann::json p = nlohmann::json::parse(EmbeddingPayload(R"({"width": 9})", face));
  EXPECT_EQ(p.at("width"), 9);
  EXPECT_EQ(p.at("box"), nlohmann::json({1, 2, 30, 40}));
  EXPECT_EQ(p.at("score"), 0.5);
  EXPECT_EQ(p.at("landmarks"), nlohmann::json({{5.0, 6.0}}));
}

}  // namespace
}  // namespace alike
