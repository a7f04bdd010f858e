// The image library end to end on synthetic pictures, with a small fake embedder whose version
// the tests control (the real embedders are tested in tests/embed and by the CLI tests).
#include "alike/library.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <thread>

#include "library/library_impl.h"
#include "testing/temp_dir.h"

namespace alike::library {
namespace {

namespace fs = std::filesystem;

// Mean colour and brightness spread: 4-d, enough to tell the synthetic pictures apart. As
// "wide", the same padded with zeros to 4,096 dimensions, for tests that need a large log.
class MeanColorEmbedder : public embed::Embedder {
 public:
  MeanColorEmbedder(std::string version, std::function<void()> on_embed, bool wide = false)
      : name_(wide ? "wide" : "mean"),
        version_(std::move(version)),
        on_embed_(std::move(on_embed)),
        dimension_(wide ? 4096 : 4) {}
  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  uint32_t dimension() const override { return dimension_; }
  Metric metric() const override { return Metric::kCosine; }
  int preferred_short_side() const override { return 64; }
  Result<std::vector<embed::Embedding>> Embed(const cv::Mat& bgr) const override {
    if (on_embed_) on_embed_();
    cv::Scalar mean, stddev;
    cv::Mat grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    cv::meanStdDev(grey, cv::noArray(), stddev);
    mean = cv::mean(bgr);
    std::vector<float> v = {float(mean[0]) + 1, float(mean[1]) + 1, float(mean[2]) + 1,
                            float(stddev[0])};
    embed::L2Normalize(v);
    v.resize(dimension_, 0.0f);
    return std::vector<embed::Embedding>{{.vector = v}};
  }

 private:
  const std::string name_;
  std::string version_;
  std::function<void()> on_embed_;
  uint32_t dimension_;
};

class FakeRegistry : public embed::EmbedderRegistry {
 public:
  explicit FakeRegistry(std::string version, std::function<void()> on_embed = nullptr)
      : version_(std::move(version)), on_embed_(std::move(on_embed)) {}
  std::vector<std::string> Names() const override { return {"mean", "wide"}; }
  Result<std::unique_ptr<embed::Embedder>> Open(const std::string& name) const override {
    ALIKE_RETURN_IF_ERROR(CheckKnown(name));
    return std::unique_ptr<embed::Embedder>(
        std::make_unique<MeanColorEmbedder>(version_, on_embed_, name == "wide"));
  }

 private:
  std::string version_;
  std::function<void()> on_embed_;
};

// A picture of one colour with a diagonal stripe whose width depends on `seed`.
void WritePicture(const std::string& path, int seed) {
  cv::Mat img(48 + seed % 5, 64, CV_8UC3,
              cv::Scalar((seed * 53) % 256, (seed * 97) % 256, (seed * 31) % 256));
  cv::line(img, {0, 0}, {63, 47}, cv::Scalar(255 - (seed * 53) % 256, 20, 200), 1 + seed % 7);
  ASSERT_TRUE(cv::imwrite(path, img));
}

// "p7.png". (Built with snprintf: GCC 12 warns falsely on "p" + std::to_string(i) + ".png".)
std::string Numbered(int i) {
  char name[32];
  std::snprintf(name, sizeof(name), "p%d.png", i);
  return name;
}

struct Events {
  std::vector<IndexEvent> all;
  IndexObserver Observer() {
    return [this](const IndexEvent* e, const IndexProgress&) {
      if (e) all.push_back(*e);
    };
  }
  std::vector<std::string> Paths(IndexEvent::Kind kind) const {
    std::vector<std::string> out;
    for (const IndexEvent& e : all) {
      if (e.kind == kind) out.push_back(e.path.empty() ? e.message : e.path);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

class LibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(Photos());
    Open("v1");
  }

  void Open(const std::string& version, std::function<void()> on_embed = nullptr) {
    lib_.reset();
    auto lib = OpenLibrary(dir_.Sub("lib"), {.create_if_missing = true, .embedders = {"mean"}},
                           std::make_shared<FakeRegistry>(version, std::move(on_embed)));
    ASSERT_TRUE(lib.ok()) << lib.status().ToString();
    lib_ = std::move(*lib);
  }

  std::string Photos() const { return dir_.Sub("photos"); }
  std::string Photo(const std::string& name) const { return Photos() + "/" + name; }

  IndexReport Index(Events* events = nullptr, IndexOptions options = {},
                    std::vector<std::string> roots = {}) {
    if (roots.empty()) roots = {Photos()};
    Events local;
    if (!events) events = &local;
    auto report = lib_->Index(roots, options, events->Observer());
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : IndexReport{};
  }

  std::vector<ImageHit> Search(const std::string& path, size_t k = 3,
                               const std::string& filter = "") {
    auto hits = lib_->Search(ImageSource::File(path), {.by = "mean", .k = k, .filter = filter});
    EXPECT_TRUE(hits.ok()) << hits.status().ToString();
    return hits.ok() ? *hits : std::vector<ImageHit>{};
  }

  uint64_t ImageCount() {
    auto info = lib_->Info();
    EXPECT_TRUE(info.ok());
    return info.ok() ? info->images : 0;
  }

  test::TempDir dir_;
  std::unique_ptr<Library> lib_;
};

TEST_F(LibraryTest, IndexesSearchesAndSkipsUnchangedFiles) {
  for (int i = 0; i < 8; ++i) WritePicture(Photo(Numbered(i)), i);
  fs::create_directories(Photos() + "/nested/deeper");
  WritePicture(Photos() + "/nested/deeper/q.jpg", 20);
  IndexReport first = Index();
  EXPECT_EQ(first.indexed, 9u);
  EXPECT_EQ(first.failed, 0u);
  EXPECT_EQ(ImageCount(), 9u);

  auto hits = Search(Photo(Numbered(3)));
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].paths, std::vector<std::string>{Photo(Numbered(3))});
  EXPECT_NEAR(hits[0].score, 1.0, 1e-4);
  auto payload = nlohmann::json::parse(hits[0].payload);
  EXPECT_EQ(payload["format"], "png");
  EXPECT_EQ(payload["width"], 64);

  IndexReport second = Index();
  EXPECT_EQ(second.indexed, 0u);
  EXPECT_EQ(second.unchanged, 9u);

  // Touched but identical: re-hashed, recognised, not re-embedded.
  fs::last_write_time(Photo(Numbered(1)), fs::file_time_type::clock::now());
  IndexReport third = Index();
  EXPECT_EQ(third.indexed, 0u);
  EXPECT_EQ(third.unchanged, 9u);

  auto details = lib_->GetImage(hits[0].image_id);
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->width, 64);
  EXPECT_EQ(details->hash.size(), 64u);
  auto thumb = lib_->Thumbnail(hits[0].image_id);
  ASSERT_TRUE(thumb.ok());
  cv::Mat decoded = cv::imdecode(*thumb, cv::IMREAD_COLOR);
  EXPECT_EQ(decoded.cols, 64);  // small pictures are never enlarged
}

TEST_F(LibraryTest, IdenticalFilesAreStoredOnceWithAllTheirPaths) {
  WritePicture(Photo("a.png"), 1);
  WritePicture(Photo("b.png"), 2);
  fs::copy_file(Photo("a.png"), Photo("a-copy.png"));
  const IndexReport first = Index();
  EXPECT_EQ(first.indexed, 2u);
  EXPECT_EQ(first.duplicates, 1u);  // although both copies were new when they were read
  EXPECT_EQ(ImageCount(), 2u);
  auto hits = Search(Photo("a.png"));
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].paths, (std::vector<std::string>{Photo("a-copy.png"), Photo("a.png")}));

  fs::copy_file(Photo("b.png"), Photo("b-copy.png"));
  Events events;
  IndexReport report = Index(&events);
  EXPECT_EQ(report.duplicates, 1u);
  EXPECT_EQ(report.indexed, 0u);
  EXPECT_EQ(events.Paths(IndexEvent::Kind::kDuplicate),
            std::vector<std::string>{Photo("b-copy.png")});
  EXPECT_EQ(ImageCount(), 2u);
}

// The window the first fix missed: a worker reads an identical file after the writer catalogued
// the first copy's content but before its vectors were committed, finds the content without
// vectors, and embeds it again. Forced here with one worker: a.png and c.png are identical, and
// b.png's embedding waits until the writer has catalogued a.png, which then waits until c.png
// is embedded.
TEST_F(LibraryTest, ACopyReadWhileTheFirstIsBeingCommittedIsADuplicate) {
  WritePicture(Photo("a.png"), 1);
  WritePicture(Photo("b.png"), 2);
  fs::copy_file(Photo("a.png"), Photo("c.png"));
  std::promise<void> catalogued, copy_embedded;
  std::shared_future<void> catalogued_done = catalogued.get_future().share();
  std::shared_future<void> copy_embedded_done = copy_embedded.get_future().share();
  std::atomic<int> embeds = 0;
  auto on_embed = [&] {
    const int n = ++embeds;
    if (n == 2) catalogued_done.wait_for(std::chrono::seconds(20));  // b.png
    if (n == 3) copy_embedded.set_value();                           // c.png
  };
  bool first_batch = true;
  auto after_step = [&](std::string_view step) {
    if (step != "images" || !first_batch) return;
    first_batch = false;
    catalogued.set_value();
    copy_embedded_done.wait_for(std::chrono::seconds(20));
  };
  lib_.reset();
  auto lib = OpenLibrary(dir_.Sub("lib"), {.create_if_missing = true, .embedders = {"mean"}},
                         std::make_shared<FakeRegistry>("v1", on_embed), after_step);
  ASSERT_TRUE(lib.ok()) << lib.status().ToString();
  lib_ = std::move(*lib);

  Events events;
  const IndexReport report = Index(&events, {.jobs = 1});
  ASSERT_EQ(embeds.load(), 3) << "the copy was not embedded: the window was not reached";
  EXPECT_EQ(report.indexed, 2u);
  EXPECT_EQ(report.duplicates, 1u);
  EXPECT_EQ(events.Paths(IndexEvent::Kind::kDuplicate), std::vector<std::string>{Photo("c.png")});
  auto space = lib_->database().GetCollection("image.mean");
  ASSERT_TRUE(space.ok());
  EXPECT_EQ((*space)->Info().count, 2u);  // one vector per distinct picture
}

TEST_F(LibraryTest, ChangedFilesAreReembeddedAndTheOldContentForgotten) {
  WritePicture(Photo("a.png"), 1);
  WritePicture(Photo("b.png"), 2);
  Index();
  const auto before = Search(Photo("a.png"));
  ASSERT_FALSE(before.empty());
  const uint64_t old_id = before[0].image_id;

  WritePicture(Photo("a.png"), 9);  // new content at the same path
  fs::last_write_time(Photo("a.png"),
                      fs::last_write_time(Photo("a.png")) + std::chrono::seconds(5));
  IndexReport report = Index();
  EXPECT_EQ(report.indexed, 1u);
  EXPECT_EQ(ImageCount(), 2u);
  EXPECT_FALSE(lib_->GetImage(old_id).ok());
  auto hits = Search(Photo("a.png"), 5);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_NE(hits[0].image_id, old_id);
  EXPECT_NEAR(hits[0].score, 1.0, 1e-4);
  for (const ImageHit& h : hits) EXPECT_NE(h.image_id, old_id);
}

TEST_F(LibraryTest, PruneAndRemoveForgetFilesAndTheirVectors) {
  for (int i = 0; i < 4; ++i) WritePicture(Photo(Numbered(i)), i);
  fs::create_directories(Photos() + "/sub");
  WritePicture(Photos() + "/sub/s.png", 7);
  Index();
  EXPECT_EQ(ImageCount(), 5u);

  fs::remove(Photo(Numbered(0)));
  IndexReport no_prune = Index();
  EXPECT_EQ(no_prune.removed, 0u);
  EXPECT_EQ(ImageCount(), 5u);

  Events events;
  IndexReport pruned = Index(&events, {.prune = true});
  EXPECT_EQ(pruned.removed, 1u);
  EXPECT_EQ(events.Paths(IndexEvent::Kind::kRemoved), std::vector<std::string>{Photo(Numbered(0))});
  EXPECT_EQ(ImageCount(), 4u);

  std::vector<std::string> sub = {Photos() + "/sub"};
  auto removed = lib_->Remove(sub);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  EXPECT_EQ(ImageCount(), 3u);
  auto hits = Search(Photos() + "/sub/s.png", 10);
  EXPECT_EQ(hits.size(), 3u);
  for (const ImageHit& h : hits) EXPECT_NE(h.paths[0], Photos() + "/sub/s.png");
  auto info = lib_->Info();
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->spaces.size(), 1u);
  EXPECT_EQ(info->spaces[0].vectors, 3u);  // the vectors went with the files
}

TEST_F(LibraryTest, BadFilesAreReportedByNameAndTheBatchGoesOn) {
  WritePicture(Photo("good1.png"), 1);
  WritePicture(Photo("good2.jpg"), 2);
  std::ofstream(Photo("empty.jpg")).close();
  std::ofstream(Photo("text.png")) << "this is not a picture";
  {
    std::ifstream in(Photo("good1.png"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(Photo("truncated.png"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  fs::create_directory_symlink(Photos(), Photos() + "/loop");  // a cycle
  fs::create_symlink(Photo("missing.png"), Photo("dangling.png"));
  std::ofstream(Photo("notes.txt")) << "ignored: not an image extension";

  Events events;
  IndexReport report = Index(&events);
  EXPECT_EQ(report.indexed, 2u);
  EXPECT_EQ(report.failed, 4u);
  const auto failed = events.Paths(IndexEvent::Kind::kFailed);
  ASSERT_EQ(failed.size(), 4u);
  for (const std::string name : {"dangling.png", "empty.jpg", "text.png", "truncated.png"}) {
    bool named = false;
    for (const IndexEvent& e : events.all) {
      if (e.kind == IndexEvent::Kind::kFailed && e.message.starts_with(Photo(name))) named = true;
    }
    EXPECT_TRUE(named) << name << " not reported by name";
  }
  EXPECT_EQ(ImageCount(), 2u);
  auto info = lib_->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->files, 2u);  // nothing partial is stored for the failures
  // Failures are not remembered as indexed: a later run tries them again.
  EXPECT_EQ(Index().failed, 4u);
}

TEST_F(LibraryTest, AModelChangeReembedsEveryImageAndSearchRefusesToMixSpaces) {
  fs::create_directories(Photos() + "/a");
  fs::create_directories(Photos() + "/b");
  for (int i = 0; i < 3; ++i) WritePicture(Photos() + "/a/" + Numbered(i), i);
  for (int i = 3; i < 6; ++i) WritePicture(Photos() + "/b/" + Numbered(i), i);
  Index();
  Open("v2");
  auto refused = lib_->Search(ImageSource::File(Photos() + "/a/" + Numbered(0)), {.by = "mean"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("v1"), std::string::npos);

  Events events;
  IndexReport report = Index(&events, {}, {Photos() + "/a"});  // only one folder named
  EXPECT_EQ(report.indexed, 6u);                               // but every image re-embedded
  ASSERT_FALSE(events.Paths(IndexEvent::Kind::kNote).empty());
  auto info = lib_->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->spaces[0].version, "v2");
  EXPECT_EQ(info->spaces[0].vectors, 6u);
  auto hits = Search(Photos() + "/b/" + Numbered(4), 6);
  EXPECT_EQ(hits.size(), 6u);
  EXPECT_EQ(Index().unchanged, 6u);
}

TEST_F(LibraryTest, CancelStopsCleanlyAndTheNextRunResumes) {
  for (int i = 0; i < 40; ++i) WritePicture(Photo(Numbered(i)), i);
  std::atomic<bool> cancel{false};
  std::atomic<int> embedded{0};
  Open("v1", [&] {
    if (++embedded == 5) cancel = true;  // as if Ctrl-C came during the fifth picture
  });
  IndexOptions options{.jobs = 1, .cancel = &cancel};
  auto report = lib_->Index(std::vector<std::string>{Photos()}, options, nullptr);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->cancelled);
  EXPECT_EQ(report->indexed, 5u);  // the picture in hand is finished and committed
  EXPECT_EQ(ImageCount(), 5u);
  IndexReport rest = Index();
  EXPECT_FALSE(rest.cancelled);
  EXPECT_EQ(rest.indexed, 35u);
  EXPECT_EQ(rest.unchanged, 5u);
  EXPECT_EQ(ImageCount(), 40u);
}

// Progress tells how many files there are before the first one is done, also when there are
// more than the queues between the walker, the workers and the writer hold (a few hundred).
TEST_F(LibraryTest, TheTotalIsKnownBeforeTheFirstPictureIsDone) {
  constexpr uint64_t kPictures = 600;
  for (uint64_t i = 0; i < kPictures; ++i) WritePicture(Photo(Numbered(int(i))), int(i));
  std::optional<IndexProgress> at_first_done;
  const IndexObserver observer = [&](const IndexEvent*, const IndexProgress& progress) {
    if (progress.done > 0 && !at_first_done) at_first_done = progress;
  };
  auto report = lib_->Index(std::vector<std::string>{Photos()}, {.jobs = 1}, observer);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->indexed + report->duplicates, kPictures);
  ASSERT_TRUE(at_first_done.has_value());
  EXPECT_EQ(at_first_done->done, 1u);
  EXPECT_TRUE(at_first_done->walk_finished);
  EXPECT_EQ(at_first_done->found, kPictures);
}

// An index run that wrote much ends with a checkpoint, so that later commands load the graph
// instead of rebuilding it from the log; a run that adds a little leaves it in the log.
TEST_F(LibraryTest, ALargeIndexRunIsCheckpointedAndASmallOneIsNot) {
  const std::string space = dir_.Sub("lib") + "/collections/image.wide";
  auto log_bytes = [&] {
    uint64_t bytes = 0;
    for (const auto& e : fs::directory_iterator(space)) {
      if (e.path().extension() == ".log") bytes += e.file_size();
    }
    return bytes;
  };
  for (int i = 0; i < 100; ++i) WritePicture(Photo(Numbered(i)), i);  // 16 KiB a vector
  ASSERT_EQ(Index(nullptr, {.embedders = {"wide"}}).indexed, 100u);
  EXPECT_TRUE(fs::exists(space + "/checkpoint"));
  EXPECT_LT(log_bytes(), 1024u);

  for (int i = 100; i < 103; ++i) WritePicture(Photo(Numbered(i)), i);
  ASSERT_EQ(Index(nullptr, {.embedders = {"wide"}}).indexed, 3u);
  EXPECT_GT(log_bytes(), 3u * 4096 * 4);
  Open("v1");  // both come back
  auto hits = lib_->Search(ImageSource::File(Photo(Numbered(101))), {.by = "wide", .k = 1});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->front().paths.at(0), Photo(Numbered(101)));
}

TEST_F(LibraryTest, SearchesFilterOnImageFactsAndFromIndexedImages) {
  WritePicture(Photo("a.png"), 1);
  WritePicture(Photo("b.jpg"), 1);  // same picture, other format
  WritePicture(Photo("c.png"), 5);
  Index();
  auto pngs = Search(Photo("b.jpg"), 10, R"({"format": "png"})");
  ASSERT_EQ(pngs.size(), 2u);
  for (const ImageHit& h : pngs) EXPECT_TRUE(h.paths[0].ends_with(".png"));

  auto a = lib_->FindPath(Photo("a.png"));
  ASSERT_TRUE(a.ok() && *a);
  auto from_id = lib_->Search(ImageQuery::Indexed(**a), {.by = "mean", .k = 5});
  ASSERT_TRUE(from_id.ok()) << from_id.status().ToString();
  ASSERT_EQ(from_id->size(), 2u);
  for (const ImageHit& h : *from_id) EXPECT_NE(h.image_id, **a);  // not itself
  EXPECT_EQ((*from_id)[0].paths[0], Photo("b.jpg"));

  auto unknown = lib_->Search(ImageSource::File(Photo("a.png")), {.by = "nope"});
  EXPECT_FALSE(unknown.ok());
}

// A caller's decoded pixels are a query like a file: gray and RGBA pictures, and rows further
// apart than the pixels they hold (a crop of a larger buffer, a strided numpy array).
TEST_F(LibraryTest, DecodedPixelsAreSearchedLikeTheirFile) {
  for (int i = 0; i < 5; ++i) WritePicture(Photo(Numbered(i)), i * 3);
  Index();
  const cv::Mat bgr = cv::imread(Photo(Numbered(3)));
  ASSERT_FALSE(bgr.empty());
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  // The RGB rows inside a wider buffer, 7 bytes of padding after each.
  cv::Mat wide(rgb.rows, rgb.cols * 3 + 7, CV_8U, cv::Scalar(0));
  for (int y = 0; y < rgb.rows; ++y) {
    std::memcpy(wide.ptr(y), rgb.ptr(y), size_t(rgb.cols) * 3);
  }
  auto hits = lib_->Search(ImageSource::Pixels({.data = wide.data,
                                                .width = rgb.cols,
                                                .height = rgb.rows,
                                                .row_bytes = wide.step[0],
                                                .layout = PixelView::Layout::kRgb}),
                           {.by = "mean", .k = 2});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].paths.at(0), Photo(Numbered(3)));
  EXPECT_GT((*hits)[0].score, 0.999f);

  // Swapping red and blue (the picture read as BGR but declared RGB) is another picture.
  auto swapped =
      lib_->Search(ImageSource::Pixels({.data = bgr.data, .width = bgr.cols, .height = bgr.rows}),
                   {.by = "mean", .k = 1});
  ASSERT_TRUE(swapped.ok()) << swapped.status().ToString();
  ASSERT_EQ(swapped->size(), 1u);
  EXPECT_NE((*swapped)[0].paths.at(0), Photo(Numbered(3)));
}

TEST_F(LibraryTest, ABadPixelViewIsAnInvalidArgumentNamingIt) {
  WritePicture(Photo("a.png"), 1);
  Index();
  const std::vector<uint8_t> samples(10 * 4 * 3);
  // Rows of 10 bytes cannot hold 4 RGB pixels: refused before memory is read.
  auto short_rows = lib_->Search(
      ImageSource::Pixels({.data = samples.data(), .width = 4, .height = 10, .row_bytes = 10},
                          "frame 7"),
      {.by = "mean"});
  ASSERT_FALSE(short_rows.ok());
  EXPECT_EQ(short_rows.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(short_rows.status().message().find("frame 7"), std::string::npos)
      << short_rows.status().message();
  EXPECT_NE(short_rows.status().message().find("rows of 10 bytes"), std::string::npos)
      << short_rows.status().message();

  auto empty = lib_->Search(ImageSource::Pixels({.data = nullptr, .width = 4, .height = 10}),
                            {.by = "mean"});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("pixels"), std::string::npos) << empty.status().message();

  auto too_large =
      lib_->Search(ImageSource::Pixels({.data = samples.data(), .width = 4, .height = 10}),
                   {.by = "mean", .max_pixels = 39});
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(LibraryTest, TagsAreKeptInTheCatalogAndFilterableAcrossReembedding) {
  WritePicture(Photo("a.png"), 1);
  WritePicture(Photo("b.png"), 2);
  WritePicture(Photo("c.png"), 3);
  Index();
  auto a = lib_->FindPath(Photo("a.png"));
  ASSERT_TRUE(a.ok() && *a);
  std::vector<std::string> add = {"shoes", "red"}, none, remove = {"red"};
  auto tags = lib_->Tag(**a, add, none);
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  EXPECT_EQ(*tags, (std::vector<std::string>{"red", "shoes"}));
  tags = lib_->Tag(**a, none, remove);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, std::vector<std::string>{"shoes"});

  auto shoes = Search(Photo("c.png"), 10, R"({"tags": "shoes"})");
  ASSERT_EQ(shoes.size(), 1u);
  EXPECT_EQ(shoes[0].image_id, **a);
  EXPECT_TRUE(Search(Photo("c.png"), 10, R"({"tags": "red"})").empty());

  Open("v2");  // a new model: every vector is made again, its payload from the catalog
  Index();
  shoes = Search(Photo("c.png"), 10, R"({"tags": "shoes"})");
  ASSERT_EQ(shoes.size(), 1u);
  EXPECT_EQ(shoes[0].image_id, **a);
  auto details = lib_->GetImage(**a);
  ASSERT_TRUE(details.ok());
  EXPECT_EQ(details->tags, std::vector<std::string>{"shoes"});
  std::vector<std::string> empty_tag = {""};
  EXPECT_FALSE(lib_->Tag(**a, empty_tag, none).ok());
  EXPECT_FALSE(lib_->Tag(999999, add, none).ok());
}

TEST_F(LibraryTest, SnapshotsHoldTheWholeLibrary) {
  for (int i = 0; i < 6; ++i) WritePicture(Photo(Numbered(i)), i);
  Index();
  ASSERT_TRUE(lib_->Snapshot(dir_.Sub("snap")).ok());
  EXPECT_FALSE(lib_->Snapshot(dir_.Sub("snap")).ok());  // never over an existing directory
  fs::remove(Photo(Numbered(0)));
  Index(nullptr, {.prune = true});  // the original moves on; the snapshot does not
  auto snap = OpenLibrary(dir_.Sub("snap"), {}, std::make_shared<FakeRegistry>("v1"));
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  auto info = (*snap)->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->images, 6u);
  EXPECT_EQ(info->spaces.at(0).vectors, 6u);
  auto hits = (*snap)->Search(ImageSource::File(Photo(Numbered(3))), {.by = "mean", .k = 1});
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ(hits->at(0).paths[0], Photo(Numbered(3)));
  EXPECT_EQ(ImageCount(), 5u);
}

TEST_F(LibraryTest, SearchesRunWhileAnIndexRunCommits) {
  for (int i = 0; i < 10; ++i) WritePicture(Photo(Numbered(i)), i);
  Index();
  for (int i = 10; i < 120; ++i) WritePicture(Photo(Numbered(i)), i);
  std::atomic<bool> done{false};
  std::atomic<int> searches{0}, failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      while (!done) {
        auto hits = lib_->Search(ImageSource::File(Photo(Numbered(t))), {.by = "mean", .k = 5});
        if (!hits.ok() || hits->empty() || hits->front().paths.empty()) ++failures;
        ++searches;
      }
    });
  }
  IndexReport report = Index();
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(report.indexed, 110u);
  EXPECT_EQ(failures, 0);
  EXPECT_GT(searches, 0);
  EXPECT_EQ(ImageCount(), 120u);
}

TEST(LibraryOpenTest, RefusesUnknownEmbeddersAndMissingLibraries) {
  test::TempDir dir;
  auto registry = std::make_shared<FakeRegistry>("v1");
  auto missing = OpenLibrary(dir.Sub("none"), {}, registry);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("alike init"), std::string::npos);
  auto bad =
      OpenLibrary(dir.Sub("lib"), {.create_if_missing = true, .embedders = {"nope"}}, registry);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown embedder 'nope'"), std::string::npos);
}

}  // namespace
}  // namespace alike::library
