// Library crash tests: an `index` run dies while the picture folder changes between runs (new,
// overwritten, deleted and copied files), either SIGKILLed at a random moment or stopped right
// after one chosen durable step of a commit. After each death the library must open, every file
// whose indexing was acknowledged must be there with its vectors, no vector may belong to an
// image the catalog does not know, and no file may claim vectors it lacks. A final
// uninterrupted run must then leave the library exactly matching the folder.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <set>
#include <thread>

#include "alike/library.h"
#include "library/catalog.h"
#include "library/feature_store.h"
#include "library/image_facts.h"
#include "library/library_impl.h"
#include "search/copy_verifier.h"
#include "testing/child_process.h"
#include "testing/library_consistency.h"
#include "testing/temp_dir.h"

namespace alike::library {
namespace {

namespace fs = std::filesystem;

void WritePicture(const std::string& path, uint32_t seed) {
  std::mt19937 rng(seed);
  cv::Mat img(60 + rng() % 40, 80 + rng() % 40, CV_8UC3,
              cv::Scalar(rng() % 256, rng() % 256, rng() % 256));
  for (int i = 0; i < 4; ++i) {
    cv::circle(img, {int(rng() % 80), int(rng() % 60)}, 5 + rng() % 20,
               cv::Scalar(rng() % 256, rng() % 256, rng() % 256), -1);
  }
  ASSERT_TRUE(cv::imwrite(path, img));
}

// With a copy space (pdq), index runs store copy features too (feature_store.h); they take longer,
// so the random kills, which must land after some commits, use colour alone.
LibraryOptions Options(bool copy_space = false) {
  LibraryOptions o{.create_if_missing = true, .embedders = {"color"}};
  if (copy_space) o.embedders.push_back("pdq");
  o.database.checkpoint_log_bytes = 64 << 10;  // kills land inside checkpoints too
  return o;
}

// The child: indexes the folder and writes each acknowledged path to the pipe, then exits 0; or
// exits 9 right after the `crash_nth` time a commit finishes step `crash_step`.
[[noreturn]] void RunIndexer(const std::string& lib_dir, const std::string& photos, int ack_fd,
                             const std::string& crash_step = "", int crash_nth = 0,
                             bool copy_space = false) {
  int seen = 0;
  auto lib = OpenLibrary(lib_dir, Options(copy_space), embed::InstalledEmbedders(""),
                         [&](std::string_view step) {
                           if (step == crash_step && ++seen == crash_nth) _exit(9);
                         });
  if (!lib.ok()) _exit(3);
  std::vector<std::string> roots = {photos};
  auto report = (*lib)->Index(
      roots, {.jobs = 2, .prune = true}, [&](const IndexEvent* e, const IndexProgress&) {
        if (!e ||
            (e->kind != IndexEvent::Kind::kIndexed && e->kind != IndexEvent::Kind::kDuplicate)) {
          return;
        }
        const std::string line = e->path + "\n";
        if (write(ack_fd, line.data(), line.size()) < 0) _exit(4);
      });
  _exit(report.ok() ? 0 : 5);
}

// Adds `count` new pictures, overwrites three, deletes two and copies one.
void ChangeFolder(const std::string& photos, int round, int count, std::mt19937& rng,
                  uint32_t& next_seed) {
  for (int i = 0; i < count; ++i) {
    WritePicture(photos + "/r" + std::to_string(round) + "_" + std::to_string(i) + ".png",
                 next_seed++);
  }
  std::vector<fs::path> existing;
  for (const auto& e : fs::directory_iterator(photos)) existing.push_back(e.path());
  std::sort(existing.begin(), existing.end());
  for (int i = 0; i < 3; ++i) WritePicture(existing[rng() % existing.size()].string(), next_seed++);
  for (int i = 0; i < 2 && existing.size() > 10; ++i) {
    const size_t victim = rng() % existing.size();
    fs::remove(existing[victim]);
    existing.erase(existing.begin() + victim);
  }
  fs::copy_file(existing[rng() % existing.size()],
                photos + "/copy" + std::to_string(round) + ".png",
                fs::copy_options::overwrite_existing);
}

// Reads the acknowledged paths the child wrote.
void ReadAcks(int fd, std::set<std::string>& acked) {
  std::string buffer;
  char chunk[4096];
  for (ssize_t n; (n = read(fd, chunk, sizeof(chunk))) > 0;) buffer.append(chunk, n);
  close(fd);
  for (size_t start = 0, end; (end = buffer.find('\n', start)) != std::string::npos;
       start = end + 1) {
    acked.insert(buffer.substr(start, end - start));
  }
}

// One run to the end: the library then matches the folder exactly.
void CheckFinalRunMatchesFolder(const std::string& lib_dir, const std::string& photos) {
  auto lib = Library::Open(lib_dir, Options());
  ASSERT_TRUE(lib.ok());
  std::vector<std::string> roots = {photos};
  auto report = (*lib)->Index(roots, {.prune = true}, nullptr);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->failed, 0u);
  std::set<std::string> hashes;
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(photos)) {
    ++files;
    auto id = (*lib)->FindPath(e.path().string());
    ASSERT_TRUE(id.ok() && *id) << e.path() << " missing after the final run";
    auto image = (*lib)->GetImage(**id);
    ASSERT_TRUE(image.ok());
    hashes.insert(image->hash);
  }
  auto info = (*lib)->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->files, files);
  EXPECT_EQ(info->images, hashes.size());
  const bool copy_space = std::count(info->embedders.begin(), info->embedders.end(), "pdq") > 0;
  ASSERT_EQ(info->spaces.size(), copy_space ? 2u : 1u);
  EXPECT_EQ(info->spaces[0].embedder, "color");
  EXPECT_EQ(info->spaces[0].vectors, hashes.size());
  if (!copy_space) return;
  // Exactly the pictures' features: those of removed and replaced pictures were compacted away.
  auto features =
      FeatureStore::Open(lib_dir + "/" + kFeatureStoreFile, search::CopyVerifier().Version());
  ASSERT_TRUE(features.ok());
  EXPECT_EQ((*features)->pictures(), hashes.size());
  EXPECT_EQ((*features)->dead_bytes(), 0u);
}

TEST(LibraryCrashTest, KillNineDuringIndexingLosesNothingAcknowledged) {
  test::TempDir dir;
  const std::string photos = dir.Sub("photos"), lib_dir = dir.Sub("lib");
  fs::create_directories(photos);
  std::mt19937 rng(777);
  uint32_t next_seed = 1;
  constexpr int rounds = 12;
  std::set<std::string> acked;
  int kills = 0;
  for (int round = 0; round < rounds; ++round) {
    ChangeFolder(photos, round, 120, rng, next_seed);
    const test::Child child =
        test::ForkWithPipe([&](int ack_fd) { RunIndexer(lib_dir, photos, ack_fd); });
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 600000));
    kill(child.pid, SIGKILL);
    const int status = test::WaitFor(child);
    if (WIFSIGNALED(status)) {
      ++kills;
    } else {
      ASSERT_EQ(WEXITSTATUS(status), 0) << "round " << round << ": the indexer failed";
    }
    ReadAcks(child.read_fd, acked);
    test::CheckLibraryConsistent(lib_dir, Options(), acked, "round " + std::to_string(round));
    if (::testing::Test::HasFatalFailure()) return;
  }

  CheckFinalRunMatchesFolder(lib_dir, photos);
  std::printf("library crash test: %d rounds, %d killed mid-run, %zu files acknowledged\n", rounds,
              kills, acked.size());
  EXPECT_GE(kills, rounds / 4) << "the kills must land inside runs";
  EXPECT_GT(acked.size(), 100u) << "runs must get work done between kills";
}

// Deterministic deaths: the run stops right after each durable step of a commit, in turn, in a
// library with a copy space, so that the copy features are checked too.
TEST(LibraryCrashTest, DyingAfterAnyCommitStepLosesNothingAcknowledged) {
  test::TempDir dir;
  const std::string photos = dir.Sub("photos"), lib_dir = dir.Sub("lib");
  fs::create_directories(photos);
  std::mt19937 rng(99);
  uint32_t next_seed = 1;
  std::set<std::string> acked;
  int round = 0;
  for (const char* step : {"images", "vectors", "features", "files", "orphan-vectors", "orphans"}) {
    for (int nth : {1, 2}) {
      ++round;
      ChangeFolder(photos, round, 10, rng, next_seed);
      const test::Child child = test::ForkWithPipe(
          [&](int ack_fd) { RunIndexer(lib_dir, photos, ack_fd, step, nth, true); });
      const int status = test::WaitFor(child);
      const std::string context = std::string("after step ") + step + " #" + std::to_string(nth);
      ASSERT_TRUE(WIFEXITED(status)) << context;
      // Step 2 of a kind may not come in a small run; the first always does (every round
      // overwrites files, so orphans always appear).
      if (nth == 1) {
        ASSERT_EQ(WEXITSTATUS(status), 9) << context << ": step never reached";
      }
      ReadAcks(child.read_fd, acked);
      test::CheckLibraryConsistent(lib_dir, Options(), acked, context);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  CheckFinalRunMatchesFolder(lib_dir, photos);
}

}  // namespace
}  // namespace alike::library
