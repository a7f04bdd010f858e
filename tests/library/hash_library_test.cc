// The perceptual hash embedders (pdq, dct64) in an image library, end to end through
// Library::Open with the installed registry: binary vectors written by the indexer, found by
// Search by file and by indexed image, flat and tiny pictures catalogued without vectors.
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "alike/library.h"
#include "embed/pdq_hash.h"
#include "embed/registry.h"
#include "image/decoder.h"
#include "index/multi_index_hash.h"
#include "library/copies.h"
#include "testing/pdq_data.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

TEST(HashLibraryTest, FindsAResizedRecompressedCopyFirst) {
  const std::vector<std::string> unrelated = test::PdqFiles("reg-test-input/labelme-subset");
  const std::string original = test::PdqData() + "/bridge-mods/aaa-orig.jpg";
  if (unrelated.empty() || !fs::exists(original)) GTEST_SKIP() << test::PdqAbsent();
  test::TempDir tmp;
  const std::string photos = tmp.Sub("photos");
  fs::create_directories(photos);
  for (const std::string& f : unrelated)
    fs::copy_file(f, photos + "/" + fs::path(f).filename().string());
  fs::copy_file(original, photos + "/bridge.jpg");
  // No structure to hash: catalogued, but without pdq or dct64 vectors.
  ASSERT_TRUE(
      cv::imwrite(photos + "/flat.png", cv::Mat(200, 300, CV_8UC3, cv::Scalar(90, 140, 200))));
  ASSERT_TRUE(cv::imwrite(photos + "/tiny.png", cv::Mat(3, 4, CV_8UC3, cv::Scalar(0, 0, 255))));
  // Transparency: composited onto white by the decoder, then hashed like any picture.
  cv::Mat rgba = cv::imread(unrelated.back(), cv::IMREAD_COLOR);
  cv::cvtColor(rgba, rgba, cv::COLOR_BGR2BGRA);
  for (int y = 0; y < rgba.rows; ++y) {
    for (int x = 0; x < rgba.cols; ++x) rgba.at<cv::Vec4b>(y, x)[3] = x < rgba.cols / 2 ? 255 : 0;
  }
  ASSERT_TRUE(cv::imwrite(photos + "/half-transparent.png", rgba));
  // An animated GIF: its first frame is hashed.
  const std::string gif =
      std::string(ALIKE_SHARED_DIR) + "/data/copies/imagededup/tests/data/formats_images/giphy.gif";
  const bool with_gif = fs::exists(gif);
  if (with_gif) fs::copy_file(gif, photos + "/animated.gif");
  const uint64_t pictures = unrelated.size() + 4 + (with_gif ? 1 : 0);

  // The copy: shrunk to 60% and recompressed at JPEG quality 40; not in the library.
  cv::Mat copy = cv::imread(original, cv::IMREAD_COLOR);
  cv::resize(copy, copy, {}, 0.6, 0.6, cv::INTER_AREA);
  const std::string query = tmp.Sub("copy.jpg");
  ASSERT_TRUE(cv::imwrite(query, copy, {cv::IMWRITE_JPEG_QUALITY, 40}));

  auto lib = Library::Open(tmp.Sub(".alike"), {.create_if_missing = true,
                                               .models_dir = tmp.Sub("no-models"),
                                               .embedders = {"pdq", "dct64"}});
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  const std::vector<std::string> roots = {photos};
  auto report = (*lib)->Index(roots, {.jobs = 2}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->indexed, pictures);
  EXPECT_EQ(report->failed, 0u);

  // A new library's hashes are indexed for search within a radius (both are whole 64-bit words).
  for (const char* name : {"image.pdq", "image.dct64"}) {
    auto collection = (*lib)->database().GetCollection(name);
    ASSERT_TRUE(collection.ok()) << name;
    EXPECT_EQ((*collection)->options().index, IndexKind::kMultiHash) << name;
  }

  auto info = (*lib)->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->images, pictures);
  ASSERT_EQ(info->spaces.size(), 2u);
  for (const SpaceInfo& space : info->spaces) {
    // One vector per picture the embedder finds structure in: never flat.png or tiny.png, nor
    // the nearly featureless LabelMe photos.
    const std::unique_ptr<embed::Embedder> embedder = embed::OpenBuiltIn(space.embedder);
    uint64_t hashable = 0;
    for (const auto& file : fs::directory_iterator(photos)) {
      auto img =
          image::DecodeFile(file.path(), {.min_short_side = embedder->preferred_short_side()});
      ASSERT_TRUE(img.ok());
      auto vectors = embedder->Embed(img->bgr);
      ASSERT_TRUE(vectors.ok());
      hashable += vectors->size();
    }
    EXPECT_EQ(space.vectors, hashable) << space.embedder;
    EXPECT_LE(space.vectors, pictures - 2) << space.embedder;
    EXPECT_GE(space.vectors, unrelated.size() - 2) << space.embedder;
  }

  for (const std::string by : {"pdq", "dct64"}) {
    const float bits = by == "pdq" ? 256 : 64;
    auto hits = (*lib)->Search(ImageSource::File(query), {.by = by, .k = 3});
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_EQ(hits->size(), 3u) << by;
    EXPECT_EQ(fs::path((*hits)[0].paths[0]).filename(), "bridge.jpg") << by;
    EXPECT_FLOAT_EQ((*hits)[0].score, 1 - (*hits)[0].distance / bits) << by;
    EXPECT_GT((*hits)[0].score, (*hits)[1].score) << by;
    if (by == "pdq") {
      EXPECT_LE((*hits)[0].distance, embed::kPdqMatchDistance);
    }

    // From the indexed picture itself: the copy is not in the library, and nothing else is near.
    auto id = (*lib)->FindPath(photos + "/bridge.jpg");
    ASSERT_TRUE(id.ok() && id->has_value());
    const float match = 1 - static_cast<float>(embed::kPdqMatchDistance) / 256;
    auto near = (*lib)->Search(ImageQuery::Indexed(**id), {.by = by, .k = 5, .min_score = match});
    ASSERT_TRUE(near.ok()) << near.status().ToString();
    EXPECT_TRUE(near->empty()) << by << ": " << near->front().paths[0];
    auto any = (*lib)->Search(ImageQuery::Indexed(**id), {.by = by, .k = 5});
    ASSERT_TRUE(any.ok());
    EXPECT_EQ(any->size(), 5u);
    for (const ImageHit& h : *any) EXPECT_NE(h.image_id, **id);

    // A flat query has nothing to search with, rather than matching every flat picture.
    auto flat = (*lib)->Search(ImageSource::File(photos + "/flat.png"), {.by = by});
    EXPECT_EQ(flat.status().code(), Status::Code::kInvalidArgument) << flat.status().ToString();
  }
}

// A library made before the pdq space took the multi-index hash holds it in a flat collection:
// it keeps that collection (no migration), and searches, duplicate groups and indexing go on.
TEST(HashLibraryTest, AnOlderLibraryKeepsItsFlatPdqSpace) {
  const std::vector<std::string> bridges = test::PdqFiles("bridge-mods");
  if (bridges.size() < 4) GTEST_SKIP() << test::PdqAbsent();
  test::TempDir tmp;
  const std::string photos = tmp.Sub("photos");
  fs::create_directories(photos);
  for (size_t i = 0; i + 1 < bridges.size(); ++i)
    fs::copy_file(bridges[i], photos + "/" + fs::path(bridges[i]).filename().string());
  const LibraryOptions options{
      .create_if_missing = true, .models_dir = tmp.Sub("no-models"), .embedders = {"pdq"}};
  const std::vector<std::string> roots = {photos};
  {
    auto lib = Library::Open(tmp.Sub(".alike"), options);
    ASSERT_TRUE(lib.ok()) << lib.status().ToString();
    ASSERT_TRUE((*lib)->Index(roots, {.jobs = 2}, nullptr).ok());
  }
  {  // What an older alike wrote: the same records in a flat collection.
    auto db = Database::Open(tmp.Sub(".alike"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto mih = (*db)->GetCollection("image.pdq");
    ASSERT_TRUE(mih.ok());
    std::vector<Record> records;
    ASSERT_TRUE((*mih)
                    ->ForEach([&](const Record& r) {
                      records.push_back(r);
                      return true;
                    })
                    .ok());
    ASSERT_FALSE(records.empty());
    CollectionOptions flat_options = (*mih)->options();
    flat_options.index = IndexKind::kFlat;
    mih->reset();
    ASSERT_TRUE((*db)->DropCollection("image.pdq").ok());
    auto flat = (*db)->CreateCollection("image.pdq", flat_options);
    ASSERT_TRUE(flat.ok());
    ASSERT_TRUE((*flat)->Upsert(records).ok());
  }
  // The last edit arrives after the change: indexed into the flat space.
  const std::string last = photos + "/" + fs::path(bridges.back()).filename().string();
  fs::copy_file(bridges.back(), last);
  auto lib = Library::Open(tmp.Sub(".alike"), options);
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  auto report = (*lib)->Index(roots, {.jobs = 2}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->indexed, 1u);
  auto collection = (*lib)->database().GetCollection("image.pdq");
  ASSERT_TRUE(collection.ok());
  EXPECT_EQ((*collection)->options().index, IndexKind::kFlat);
  EXPECT_EQ((*collection)->Count(), bridges.size());

  auto hits = (*lib)->Search(ImageSource::File(bridges.back()), {.by = "pdq", .k = 1});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].paths[0], last);
  EXPECT_EQ((*hits)[0].distance, 0);
  auto groups = (*lib)->Duplicates({});
  ASSERT_TRUE(groups.ok()) << groups.status().ToString();
  ASSERT_FALSE(groups->empty());
  EXPECT_GE(groups->front().images.size(), 2u);
}

// Copy search asks the pdq space for candidates within a radius its multi-index hash answers from
// the tables once it has built them (65,536 hashes, the default size rule), not by a scan: so a
// query's candidate search does not grow with the library (96 bits, asked before, was a scan).
TEST(HashLibraryTest, CopySearchAsksPdqWithinARadiusTheTablesAnswer) {
  const index::Space space(Metric::kHamming, 256);
  index::VectorTable table(space.code_size());
  const uint32_t codes = index::MultiIndexHash::kBucketsPerTable;
  table.Reserve(codes);
  std::mt19937 rng(7);
  std::vector<uint8_t> code(space.code_size());
  for (uint32_t slot = 0; slot < codes; ++slot) {
    for (uint8_t& b : code) b = static_cast<uint8_t>(rng());
    table.Set(slot, code.data());
  }
  index::MultiIndexHash mih(space, table);
  for (uint32_t slot = 0; slot < codes; ++slot) mih.Add(slot);
  ASSERT_TRUE(mih.has_tables());
  EXPECT_TRUE(mih.LooksUp(float(library::kPdqCandidateBits)));
}

}  // namespace
}  // namespace alike
