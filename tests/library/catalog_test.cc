#include "library/catalog.h"

#include <gtest/gtest.h>

#include "library/sqlite.h"
#include "testing/temp_dir.h"

namespace alike::library {
namespace {

ImageFacts Facts(const std::string& hash) {
  return {.hash = hash, .bytes = 100, .width = 4, .height = 3, .format = "png"};
}

// Built field by field: GCC 12 warns (falsely) on nested aggregate initialisers of these.
IndexedFile Indexed(const std::string& path, int64_t size, uint64_t image_id,
                    std::map<std::string, std::string> embedded = {},
                    std::vector<uint8_t> thumbnail = {}) {
  IndexedFile f;
  f.file.path = path;
  f.file.size = size;
  f.file.mtime_ns = size;
  f.file.image_id = image_id;
  f.embedded = std::move(embedded);
  f.thumbnail = std::move(thumbnail);
  return f;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Catalog::Open(dir_.Sub("catalog.sqlite"));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_ = std::move(*c);
  }
  test::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(CatalogTest, SameContentGetsOneIdAndIdsAreNeverReused) {
  std::vector<ImageFacts> facts = {Facts("aa"), Facts("bb"), Facts("aa")};
  auto ids = catalog_->AddImages(facts);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_EQ((*ids)[0], (*ids)[2]);
  EXPECT_NE((*ids)[0], (*ids)[1]);
  const uint64_t highest = std::max((*ids)[0], (*ids)[1]);
  std::vector<uint64_t> both = {(*ids)[0], (*ids)[1]};
  ASSERT_TRUE(catalog_->DeleteImages(both).ok());
  std::vector<ImageFacts> again = {Facts("aa")};
  auto fresh = catalog_->AddImages(again);
  ASSERT_TRUE(fresh.ok());
  EXPECT_GT((*fresh)[0], highest);  // a stale vector can never name the new image
}

TEST_F(CatalogTest, FilesMoveBetweenImagesAndOrphansAreReported) {
  std::vector<ImageFacts> facts = {Facts("old")};
  auto ids = catalog_->AddImages(facts);
  ASSERT_TRUE(ids.ok());
  const uint64_t old_id = (*ids)[0];
  std::vector<IndexedFile> first = {Indexed("/p/a.png", 10, old_id, {{"cnn", "v1"}}, {1, 2, 3}),
                                    Indexed("/p/b.png", 10, old_id, {{"cnn", "v1"}})};
  auto orphans = catalog_->CommitIndexed(first);
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  EXPECT_TRUE(orphans->empty());
  auto image = catalog_->GetImage(old_id);
  ASSERT_TRUE(image.ok() && *image);
  EXPECT_EQ((*image)->paths, (std::vector<std::string>{"/p/a.png", "/p/b.png"}));
  EXPECT_EQ((*image)->facts.format, "png");
  auto thumb = catalog_->Thumbnail(old_id);
  ASSERT_TRUE(thumb.ok());
  EXPECT_EQ(*thumb, (std::vector<uint8_t>{1, 2, 3}));

  // Both paths now hold new content: the old image is left without files.
  facts = {Facts("new")};
  ids = catalog_->AddImages(facts);
  ASSERT_TRUE(ids.ok());
  const uint64_t new_id = (*ids)[0];
  std::vector<IndexedFile> second = {Indexed("/p/a.png", 11, new_id),
                                     Indexed("/p/b.png", 11, new_id)};
  orphans = catalog_->CommitIndexed(second);
  ASSERT_TRUE(orphans.ok());
  EXPECT_EQ(*orphans, std::vector<uint64_t>{old_id});
  ASSERT_TRUE(catalog_->DeleteImages(*orphans).ok());
  EXPECT_FALSE(catalog_->Thumbnail(old_id).ok());
  auto embedded = catalog_->Embedded();
  ASSERT_TRUE(embedded.ok());
  EXPECT_EQ(embedded->count(old_id), 0u);  // cascaded

  std::vector<std::string> gone = {"/p/a.png"};
  orphans = catalog_->RemoveFiles(gone);
  ASSERT_TRUE(orphans.ok());
  EXPECT_TRUE(orphans->empty());  // b.png still holds it
  gone = {"/p/b.png"};
  orphans = catalog_->RemoveFiles(gone);
  ASSERT_TRUE(orphans.ok());
  EXPECT_EQ(*orphans, std::vector<uint64_t>{new_id});
}

TEST_F(CatalogTest, ImagesWithFilesCannotBeDeleted) {
  std::vector<ImageFacts> facts = {Facts("x")};
  auto ids = catalog_->AddImages(facts);
  ASSERT_TRUE(ids.ok());
  std::vector<IndexedFile> files = {Indexed("/x.png", 1, (*ids)[0])};
  ASSERT_TRUE(catalog_->CommitIndexed(files).ok());
  EXPECT_FALSE(catalog_->DeleteImages(*ids).ok());  // the foreign key guards the invariant
  auto counts = catalog_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->images, 1u);
  EXPECT_EQ(counts->files, 1u);
}

TEST_F(CatalogTest, DroppingASpaceForgetsItsVectorsOnly) {
  std::vector<ImageFacts> facts = {Facts("x")};
  auto ids = catalog_->AddImages(facts);
  ASSERT_TRUE(ids.ok());
  ASSERT_TRUE(catalog_->SetSpace({"cnn", "v1", 8}).ok());
  ASSERT_TRUE(catalog_->SetSpace({"color", "c1", 4}).ok());
  std::vector<IndexedFile> files = {
      Indexed("/x.png", 1, (*ids)[0], {{"cnn", "v1"}, {"color", "c1"}})};
  ASSERT_TRUE(catalog_->CommitIndexed(files).ok());
  ASSERT_TRUE(catalog_->DropSpace("cnn").ok());
  auto spaces = catalog_->Spaces();
  ASSERT_TRUE(spaces.ok());
  EXPECT_EQ(spaces->count("cnn"), 0u);
  EXPECT_EQ(spaces->at("color").version, "c1");
  auto embedded = catalog_->Embedded();
  ASSERT_TRUE(embedded.ok());
  EXPECT_EQ(embedded->at((*ids)[0]), (std::map<std::string, std::string>{{"color", "c1"}}));
}

TEST_F(CatalogTest, SettingsAndTagsPersistAcrossReopen) {
  std::vector<ImageFacts> facts = {Facts("x")};
  auto ids = catalog_->AddImages(facts);
  ASSERT_TRUE(ids.ok());
  ASSERT_TRUE(catalog_->SetSetting("embedders", "cnn,color").ok());
  std::vector<std::string> tags = {"shoes", "red", "shoes"};
  ASSERT_TRUE(catalog_->SetTags((*ids)[0], tags).ok());
  catalog_.reset();
  auto reopened = Catalog::Open(dir_.Sub("catalog.sqlite"));
  ASSERT_TRUE(reopened.ok());
  auto setting = (*reopened)->Setting("embedders");
  ASSERT_TRUE(setting.ok() && *setting);
  EXPECT_EQ(**setting, "cnn,color");
  auto image = (*reopened)->GetImage((*ids)[0]);
  ASSERT_TRUE(image.ok() && *image);
  EXPECT_EQ((*image)->tags, (std::vector<std::string>{"red", "shoes"}));
}

TEST(CatalogOpenTest, RefusesACatalogFromANewerAlikeAndNonDatabases) {
  test::TempDir dir;
  {
    auto db = SqliteDb::Open(dir.Sub("newer.sqlite"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version=99").ok());
  }
  auto newer = Catalog::Open(dir.Sub("newer.sqlite"));
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.status().message().find("newer alike"), std::string::npos);

  FILE* f = std::fopen(dir.Sub("junk.sqlite").c_str(), "w");
  std::fputs("this is not a database, just text long enough to have a header......", f);
  std::fclose(f);
  auto junk = Catalog::Open(dir.Sub("junk.sqlite"));
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("junk.sqlite"), std::string::npos);
}

}  // namespace
}  // namespace alike::library
