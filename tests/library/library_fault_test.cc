// The library over storage that fails, in the spirit of SQLite's I/O error tests: one workload
// (create a library, index pictures, tag one, index again with new and changed files, forget a
// file, tag another) runs once for every N with the Nth storage call failing, counted across
// both stores (the vector database's file calls and the SQLite catalog's writes, truncations
// and syncs: testing/fault_schedule.h), until a run makes fewer than N calls. Once with a
// transient EIO, once with a full disk from the Nth call on.
//
// Each failed step must say why (the cause, not just "failed"); then, reopened without faults,
// the library must hold every acknowledged effect (indexed files with their vectors, tags,
// forgotten files gone) and be consistent (testing/library_consistency.h), and an index run must
// bring it back to matching the folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "alike/library.h"
#include "embed/registry.h"
#include "library/library_impl.h"
#include "testing/fault_file_system.h"
#include "testing/fault_sqlite_vfs.h"
#include "testing/library_consistency.h"
#include "testing/temp_dir.h"

namespace alike::library {
namespace {

namespace fs = std::filesystem;
using test::FaultFileSystem;
using test::FaultSqliteVfs;
using Mode = test::FaultSchedule::Mode;

LibraryOptions Options() { return {.create_if_missing = true, .embedders = {"color"}}; }

void WritePicture(const std::string& path, int seed) {
  cv::Mat img(40, 56, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  ASSERT_TRUE(cv::imwrite(path, img));
}

// What the workload was told succeeded.
struct Acknowledged {
  std::set<std::string> indexed;
  std::set<std::string> forgotten;
  std::set<std::string> in_doubt;             // a failed removal's: it may have applied, whole
  std::map<std::string, std::string> tagged;  // path -> tag
  std::vector<std::string> errors;            // every failed step's message
};

// Indexes `folder`, adding each file the run acknowledged (indexed or a duplicate) to `acked`.
Status IndexFolder(Library& lib, const std::string& folder, Acknowledged& acked) {
  const std::vector<std::string> roots = {folder};
  auto report = lib.Index(roots, {.jobs = 1}, [&](const IndexEvent* e, const IndexProgress&) {
    if (e && (e->kind == IndexEvent::Kind::kIndexed || e->kind == IndexEvent::Kind::kDuplicate)) {
      acked.indexed.insert(e->path);
    }
  });
  if (!report.ok()) return report.status();
  if (report->failed > 0) return Status::IOError(std::to_string(report->failed) + " files failed");
  return Status::OK();
}

Status TagPath(Library& lib, const std::string& path, const std::string& tag, Acknowledged& acked) {
  auto id = lib.FindPath(path);
  if (!id.ok()) return id.status();
  if (!*id) return Status::OK();  // its indexing failed: nothing to tag
  const std::vector<std::string> add = {tag};
  auto tags = lib.Tag(**id, add, {});
  if (!tags.ok()) return tags.status();
  acked.tagged[path] = tag;
  return Status::OK();
}

// One run of the workload in `dir` with its storage failing as `faults` says.
Acknowledged RunWorkload(const test::TempDir& dir, FaultFileSystem& faults) {
  Acknowledged acked;
  const std::string photos = dir.Sub("photos");
  fs::create_directories(photos);
  for (int i = 0; i < 4; ++i) WritePicture(photos + "/" + std::to_string(i) + ".png", i);
  FaultSqliteVfs vfs("alike-fault-test", faults);
  const auto note = [&](const Status& s) {
    if (!s.ok()) acked.errors.push_back(s.ToString());
  };
  auto lib = OpenLibrary(dir.Sub("lib"), Options(), embed::InstalledEmbedders(""), nullptr,
                         {.file_system = &faults, .catalog_vfs = vfs.name()});
  if (!lib.ok()) {
    note(lib.status());
    return acked;
  }
  note(IndexFolder(**lib, photos, acked));
  note(TagPath(**lib, photos + "/0.png", "first", acked));
  WritePicture(photos + "/4.png", 4);
  WritePicture(photos + "/5.png", 5);
  WritePicture(photos + "/3.png", 33);  // new content at a known path
  note(IndexFolder(**lib, photos, acked));
  const std::vector<std::string> forget = {photos + "/1.png"};
  auto forgotten = (*lib)->Remove(forget);
  note(forgotten.status());
  if (forgotten.ok() && *forgotten == 1) acked.forgotten.insert(forget[0]);
  if (!forgotten.ok()) acked.in_doubt.insert(forget[0]);
  note(TagPath(**lib, photos + "/2.png", "second", acked));
  return acked;
}

// The cause must be named: an errno's text, or SQLite's message for the code it was given.
bool NamesTheCause(const std::string& message) {
  for (const char* cause : {"Input/output error", "No space left on device", "disk I/O error",
                            "database or disk is full"}) {
    if (message.find(cause) != std::string::npos) return true;
  }
  return false;
}

// Storage that never fails, for the checks: its syncs return at once, which keeps hundreds of
// reopens fast (and a sync reaching the disk proves nothing here, see fault_schedule.h).
struct QuietStorage {
  FaultFileSystem file_system{0, Mode::kOnce};
  FaultSqliteVfs vfs{"alike-quiet-test", file_system};
  LibraryStorage storage() { return {.file_system = &file_system, .catalog_vfs = vfs.name()}; }
};

void CheckAfterFault(const test::TempDir& dir, const Acknowledged& acked,
                     const std::string& context) {
  QuietStorage quiet;
  const std::string lib_dir = dir.Sub("lib");
  for (const std::string& error : acked.errors) {
    EXPECT_TRUE(NamesTheCause(error)) << context << ": an error that hides its cause: " << error;
  }
  if (!fs::exists(lib_dir + "/catalog.sqlite")) {
    ASSERT_TRUE(acked.indexed.empty()) << context;
    return;
  }
  std::set<std::string> kept;
  for (const std::string& path : acked.indexed) {
    if (!acked.forgotten.count(path) && !acked.in_doubt.count(path)) kept.insert(path);
  }
  test::CheckLibraryConsistent(lib_dir, Options(), kept, context, quiet.storage());
  if (::testing::Test::HasFatalFailure()) return;
  auto lib =
      OpenLibrary(lib_dir, Options(), embed::InstalledEmbedders(""), nullptr, quiet.storage());
  ASSERT_TRUE(lib.ok()) << context << ": " << lib.status().ToString();
  for (const std::string& path : acked.forgotten) {
    auto id = (*lib)->FindPath(path);
    ASSERT_TRUE(id.ok());
    EXPECT_FALSE(id->has_value()) << context << ": forgotten " << path << " is back";
  }
  for (const auto& [path, tag] : acked.tagged) {
    auto id = (*lib)->FindPath(path);
    ASSERT_TRUE(id.ok() && id->has_value()) << context << ": tagged " << path << " is gone";
    auto image = (*lib)->GetImage(**id);
    ASSERT_TRUE(image.ok());
    EXPECT_NE(std::find(image->tags.begin(), image->tags.end(), tag), image->tags.end())
        << context << ": " << path << " lost its acknowledged tag " << tag;
  }
  // And it recovers: one run brings it back to matching the folder.
  Acknowledged again;
  ASSERT_TRUE(IndexFolder(**lib, dir.Sub("photos"), again).ok()) << context;
  auto info = (*lib)->Info();
  ASSERT_TRUE(info.ok());
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.Sub("photos"))) {
    ++files;
    auto id = (*lib)->FindPath(e.path().string());
    ASSERT_TRUE(id.ok() && id->has_value()) << context << ": " << e.path() << " after recovery";
  }
  EXPECT_EQ(info->files, files) << context;
}

class LibraryFaultTest : public ::testing::TestWithParam<Mode> {};

TEST_P(LibraryFaultTest, EveryStorageCallFailingInTurnLosesNoAcknowledgedEffect) {
  uint64_t calls = 0, sqlite_calls = 0, failed_steps = 0;
  for (uint64_t n = 1;; ++n) {
    ASSERT_LT(n, 5000u) << "the workload never finished";
    test::TempDir dir;
    FaultFileSystem faults(n, GetParam());
    const Acknowledged acked = RunWorkload(dir, faults);
    if (!faults.fired()) {
      EXPECT_TRUE(acked.errors.empty()) << acked.errors.front();
      calls = faults.calls();
      for (const std::string& call : faults.call_log()) sqlite_calls += call.starts_with("sqlite");
      break;
    }
    failed_steps += !acked.errors.empty();
    const std::string context =
        "fault at call " + std::to_string(n) + " (" + faults.call_log().at(n - 1) + ")";
    CheckAfterFault(dir, acked, context);
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::printf(
      "library fault test: %llu storage calls (%llu the catalog's), %llu runs saw a step "
      "fail\n",
      static_cast<unsigned long long>(calls), static_cast<unsigned long long>(sqlite_calls),
      static_cast<unsigned long long>(failed_steps));
  EXPECT_GT(sqlite_calls, 10u) << "the catalog's calls must be among those failed";
  EXPECT_GT(calls - sqlite_calls, 10u) << "so must the vector store's";
}

INSTANTIATE_TEST_SUITE_P(Modes, LibraryFaultTest, ::testing::Values(Mode::kOnce, Mode::kForever),
                         [](const ::testing::TestParamInfo<Mode>& info) {
                           return info.param == Mode::kOnce ? "TransientEio" : "DiskFull";
                         });

}  // namespace
}  // namespace alike::library
