// scripts/run.sh, the one command a new user runs: set-up (already done, so it is a quick check),
// a library for a folder of real photos, indexing, then `alike serve`. Driven as a user would: it
// is started, searched once over HTTP, stopped with Ctrl-C (SIGINT), and started again.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/models.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

constexpr char kFlowers[] = ALIKE_SHARED_DIR "/data/categories/flowers/flowers";

// Set-up's checks (packages, model hashes, a no-op build) and indexing with real weights take a
// few seconds, longer under the sanitizers.
constexpr int kStartTimeoutMs = 300'000;

class RunScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kFlowers)) GTEST_SKIP() << kFlowers << " is absent (../shared)";
    if (!fs::exists(test::InstalledModel(test::kMobileNetV2))) {
      GTEST_SKIP() << test::NotInstalled(test::InstalledModel(test::kMobileNetV2));
    }
    // Three photos of each of two classes.
    for (const char* flower : {"daisy", "rose"}) {
      int copied = 0;
      for (const auto& entry : fs::directory_iterator(std::string(kFlowers) + "/" + flower)) {
        if (copied == 3) break;
        const std::string dest = Photos() + "/" + flower + "-" + entry.path().filename().string();
        fs::copy_file(entry.path(), dest);
        photos_.push_back(dest);
        ++copied;
      }
    }
  }

  std::string Photos() {
    fs::create_directories(dir_.Sub("photos"));
    return dir_.Sub("photos");
  }

  // scripts/run.sh on the photos, with this test's build and a library of its own.
  std::unique_ptr<test::ServerProcess> Run() {
    const std::string build_dir = fs::path(ALIKE_CLI_PATH).parent_path().string();
    return std::make_unique<test::ServerProcess>(
        std::vector<std::string>{ALIKE_SOURCE_DIR "/scripts/run.sh", "--build-dir", build_dir,
                                 "--db", dir_.Sub("library"), "--port", "0", Photos()},
        kStartTimeoutMs);
  }

  test::TempDir dir_;
  std::vector<std::string> photos_;
};

TEST_F(RunScriptTest, IndexesServesSearchesStopsOnCtrlCAndResumes) {
  auto first = Run();
  ASSERT_GT(first->port(), 0) << first->output();
  EXPECT_NE(first->output().find("indexed 6,"), std::string::npos) << first->output();

  auto client = first->Client();
  auto library = client->Get("/v1/library");
  ASSERT_TRUE(library) << httplib::to_string(library.error());
  ASSERT_EQ(library->status, 200) << library->body;
  EXPECT_EQ(nlohmann::json::parse(library->body)["images"], 6);

  // A photo searched by upload finds itself first.
  const std::string query = photos_[4];
  std::ifstream in(query, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  httplib::MultipartFormDataItems form = {{"image", bytes, "query.jpg", "image/jpeg"}};
  auto found = client->Post("/v1/search?k=3", form);
  ASSERT_TRUE(found) << httplib::to_string(found.error());
  ASSERT_EQ(found->status, 200) << found->body;
  const nlohmann::json hits = nlohmann::json::parse(found->body)["results"];
  ASSERT_EQ(hits.size(), 3u) << found->body;
  EXPECT_EQ(hits[0]["paths"][0], query) << found->body;

  EXPECT_EQ(first->StopWith(SIGINT), 0) << first->output();
  EXPECT_NE(first->output().find("alike: stopped"), std::string::npos) << first->output();

  // Again: nothing to re-index (the photos are unchanged), and it serves the same library.
  auto second = Run();
  ASSERT_GT(second->port(), 0) << second->output();
  EXPECT_NE(second->output().find("indexed 0, duplicates 0, unchanged 6,"), std::string::npos)
      << second->output();
  auto again = second->Client()->Get("/v1/library");
  ASSERT_TRUE(again) << httplib::to_string(again.error());
  EXPECT_EQ(nlohmann::json::parse(again->body)["images"], 6);
  EXPECT_EQ(second->StopWith(SIGINT), 0) << second->output();
}

TEST_F(RunScriptTest, ANamedFolderThatDoesNotExistIsRefusedByName) {
  auto run =
      test::ServerProcess(std::vector<std::string>{ALIKE_SOURCE_DIR "/scripts/run.sh", "--db",
                                                   dir_.Sub("library"), dir_.Sub("no-such-folder")},
                          kStartTimeoutMs);
  EXPECT_EQ(run.port(), 0);
  EXPECT_EQ(run.Wait(), 2);
  EXPECT_NE(run.output().find(dir_.Sub("no-such-folder") + ": no such file or folder"),
            std::string::npos)
      << run.output();
  EXPECT_FALSE(fs::exists(dir_.Sub("library")));
}

}  // namespace
}  // namespace alike
