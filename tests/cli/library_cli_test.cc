// `alike init / index / search / info / rm`, run as a user runs them: the real binary in a
// working directory holding a library and a folder of pictures.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string>

#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LibraryCliTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(Photos()); }

  // Runs `alike ARGS` with the test directory as the working directory (no --db: the library
  // is found as ./.alike, the way a user works).
  RunResult Alike(const std::string& args) {
    const std::string out = dir_.Sub("stdout"), err = dir_.Sub("stderr");
    const std::string cmd = "cd " + dir_.path() + " && " + ALIKE_CLI_PATH + " " + args + " >" +
                            out + " 2>" + err + " </dev/null";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
  }

  std::string Photos() const { return dir_.Sub("photos"); }

  // Pictures that differ in colour and layout, so every search has one clear best answer.
  void WritePictures(int n, const std::string& sub = "") {
    fs::create_directories(Photos() + sub);
    for (int i = 0; i < n; ++i) {
      cv::Mat img(120, 160, CV_8UC3, cv::Scalar((i * 67) % 256, (i * 29) % 256, (i * 113) % 256));
      cv::circle(img, {20 + (i * 37) % 120, 60}, 10 + i % 30, cv::Scalar(255, 255 - i, i), -1);
      char name[64];
      std::snprintf(name, sizeof(name), "/pic%03d.png", i);
      ASSERT_TRUE(cv::imwrite(Photos() + sub + name, img));
    }
  }

  test::TempDir dir_;
};

TEST_F(LibraryCliTest, InitIndexSearchInfoRemove) {
  WritePictures(12);
  RunResult init = Alike("init --embedders color");
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_NE(init.out.find(".alike"), std::string::npos);
  EXPECT_EQ(Alike("init --embedders color").exit_code, 1);  // already there

  RunResult index = Alike("index photos");
  ASSERT_EQ(index.exit_code, 0) << index.err;
  EXPECT_NE(index.out.find("indexed 12,"), std::string::npos) << index.out;
  RunResult again = Alike("index photos");
  EXPECT_NE(again.out.find("unchanged 12"), std::string::npos) << again.out;

  RunResult search = Alike("--json search photos/pic005.png --by color -k 3");
  ASSERT_EQ(search.exit_code, 0) << search.err;
  auto hits = nlohmann::json::parse(search.out);
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0]["path"], Photos() + "/pic005.png");
  EXPECT_NEAR(hits[0]["score"].get<double>(), 1.0, 1e-4);
  EXPECT_EQ(hits[0]["payload"]["format"], "png");
  const uint64_t id = hits[0]["id"];

  RunResult by_id = Alike("--json search --by color -k 2 --id " + std::to_string(id));
  ASSERT_EQ(by_id.exit_code, 0) << by_id.err;
  auto id_hits = nlohmann::json::parse(by_id.out);
  ASSERT_EQ(id_hits.size(), 2u);
  EXPECT_NE(id_hits[0]["id"], id);

  RunResult table = Alike("search photos/pic005.png --by color -k 1");
  EXPECT_NE(table.out.find("pic005.png"), std::string::npos) << table.out;

  RunResult info = Alike("--json info");
  ASSERT_EQ(info.exit_code, 0) << info.err;
  auto i = nlohmann::json::parse(info.out);
  EXPECT_EQ(i["images"], 12);
  ASSERT_EQ(i["spaces"].size(), 1u);
  EXPECT_EQ(i["spaces"][0]["embedder"], "color");
  EXPECT_EQ(i["spaces"][0]["vectors"], 12);
  EXPECT_TRUE(i["spaces"][0]["current"].get<bool>());
  // The model in short beside the whole version.
  EXPECT_EQ(i["spaces"][0]["model"], "hsv16x4x2g2/2");
  const std::string fingerprint = i["spaces"][0]["fingerprint"];
  EXPECT_EQ(fingerprint.size(), 8u);
  EXPECT_EQ(i["spaces"][0]["version"], "hsv16x4x2g2-eoh8g2-cld12/2");
  const std::string text = Alike("info").out;
  EXPECT_NE(text.find("12 in 12 files"), std::string::npos) << text;
  EXPECT_NE(text.find(", hsv16x4x2g2/2 #" + fingerprint + "\n"), std::string::npos) << text;

  RunResult tag = Alike("tag photos/pic005.png --add shoes,red");
  ASSERT_EQ(tag.exit_code, 0) << tag.err;
  EXPECT_NE(tag.out.find("red, shoes"), std::string::npos) << tag.out;
  auto shown = nlohmann::json::parse(Alike("--json show --id " + std::to_string(id)).out);
  EXPECT_EQ(shown["paths"][0], Photos() + "/pic005.png");
  EXPECT_EQ(shown["tags"], (std::vector<std::string>{"red", "shoes"}));
  EXPECT_EQ(shown["width"], 160);
  auto tagged = nlohmann::json::parse(
      Alike(R"(--json search photos/pic001.png --by color --filter '{"tags": "shoes"}')").out);
  ASSERT_EQ(tagged.size(), 1u);
  EXPECT_EQ(tagged[0]["id"], id);
  EXPECT_EQ(Alike("show photos/not-indexed.png").exit_code, 1);

  RunResult snapshot = Alike("snapshot snap");
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.err;
  EXPECT_EQ(nlohmann::json::parse(Alike("--db snap --json info").out)["images"], 12);

  RunResult rm = Alike("rm photos/pic000.png photos/pic001.png");
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_NE(rm.out.find("removed 2 files"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(Alike("--json info").out)["images"], 10);

  RunResult no_cnn = Alike("search photos/pic005.png --by cnn");
  EXPECT_EQ(no_cnn.exit_code, 1);
  EXPECT_NE(no_cnn.err.find("nothing is indexed with the 'cnn' embedder"), std::string::npos)
      << no_cnn.err;
}

TEST_F(LibraryCliTest, BadFilesGetOneLineEachAndADistinctExitCode) {
  WritePictures(3);
  std::ofstream(Photos() + "/broken.jpg") << "not a jpeg";
  std::ofstream(Photos() + "/empty.png").close();
  ASSERT_EQ(Alike("init --embedders color").exit_code, 0);
  RunResult index = Alike("index photos");
  EXPECT_EQ(index.exit_code, 3) << index.err;
  EXPECT_NE(index.out.find("indexed 3,"), std::string::npos) << index.out;
  EXPECT_NE(index.out.find("failed 2"), std::string::npos);
  std::istringstream lines(index.err);
  int count = 0;
  for (std::string line; std::getline(lines, line);) {
    ++count;
    EXPECT_TRUE(line.find("broken.jpg") != std::string::npos ||
                line.find("empty.png") != std::string::npos)
        << line;
  }
  EXPECT_EQ(count, 2);

  RunResult json = Alike("--json index photos");
  int failed = 0;
  std::istringstream events(json.out);
  for (std::string line; std::getline(events, line);) {
    auto e = nlohmann::json::parse(line);
    if (e["event"] == "failed") ++failed;
    if (e["event"] == "done") {
      EXPECT_EQ(e["unchanged"], 3);
    }
  }
  EXPECT_EQ(failed, 2);
}

TEST_F(LibraryCliTest, CtrlCStopsCleanlyAndTheNextRunResumes) {
  constexpr int kPictures = 400;
  WritePictures(kPictures);
  ASSERT_EQ(Alike("init --embedders color").exit_code, 0);
  // Start indexing, wait for the first committed picture, then interrupt it like Ctrl-C does.
  const std::string script =
      "cd " + dir_.path() + " && (" + ALIKE_CLI_PATH +
      " --json index --jobs 1 photos >events.txt 2>err.txt & pid=$!; "
      "for i in $(seq 1 2000); do grep -q '\"indexed\"' events.txt && break; sleep 0.01; done; "
      "kill -INT $pid; wait $pid; echo $? >rc.txt)";
  ASSERT_EQ(std::system(script.c_str()), 0);
  const int rc = std::stoi(Slurp(dir_.Sub("rc.txt")));
  const std::string events = Slurp(dir_.Sub("events.txt"));
  ASSERT_EQ(rc, 130) << "indexing finished before the interrupt arrived?\n" << events;
  auto done = nlohmann::json::parse(events.substr(events.rfind("{\"")));
  EXPECT_EQ(done["event"], "done");
  EXPECT_TRUE(done["cancelled"].get<bool>());
  const int first = done["indexed"];
  EXPECT_GT(first, 0);
  EXPECT_LT(first, kPictures);

  RunResult rest = Alike("--json index photos");
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  auto finished = nlohmann::json::parse(rest.out.substr(rest.out.rfind("{\"")));
  EXPECT_EQ(finished["unchanged"].get<int>(), first);
  EXPECT_EQ(finished["indexed"].get<int>() + first, kPictures);
  EXPECT_EQ(nlohmann::json::parse(Alike("--json info").out)["images"], kPictures);
}

// On a terminal the bar stays drawn between redraws; it is erased only to print a message above
// it and when the run ends. (It was erased after every indexed file, so nobody ever saw it.)
TEST_F(LibraryCliTest, OnATerminalTheProgressBarStaysVisible) {
  // Large noisy pictures, so that one-at-a-time indexing lasts several redraws (100 ms apart).
  fs::create_directories(Photos());
  cv::RNG rng(7);
  for (int i = 0; i < 40; ++i) {
    cv::Mat noise(900, 1200, CV_8UC3);
    rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
    ASSERT_TRUE(cv::imwrite(Photos() + "/noise" + std::to_string(i) + ".png", noise));
  }
  ASSERT_EQ(Alike("init --embedders color").exit_code, 0);
  std::string command = std::string(ALIKE_CLI_PATH) + " --db " + dir_.Sub(".alike") +
                        " index --jobs 1 " + Photos() + " " + dir_.Sub("missing.png");
  std::vector<char*> argv = {const_cast<char*>("/bin/sh"), const_cast<char*>("-c"), command.data(),
                             nullptr};
  int terminal = -1;
  const pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  std::string screen;
  char buf[4096];
  for (ssize_t n; (n = read(terminal, buf, sizeof buf)) > 0;) screen.append(buf, n);
  close(terminal);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 3) << screen;  // missing.png was skipped

  // Each drawing of the bar, and whether the screen was erased before the next one.
  const std::string draw = "\rindexing [", erase = "\r\033[K";
  int draws = 0, kept = 0;
  for (size_t at = screen.find(draw); at != std::string::npos; ++draws) {
    const size_t next = screen.find(draw, at + 1);
    const size_t erased = screen.find(erase, at);
    if (next != std::string::npos && (erased == std::string::npos || erased > next)) ++kept;
    at = next;
  }
  EXPECT_GE(draws, 2) << screen;
  EXPECT_GE(kept, 1) << screen;
  EXPECT_NE(screen.find("indexed 40,"), std::string::npos) << screen;
  EXPECT_NE(screen.find("skipped " + dir_.Sub("missing.png")), std::string::npos) << screen;
}

TEST_F(LibraryCliTest, ALibraryIsFoundFromSubdirectoriesAndMissingOnesAreExplained) {
  RunResult missing = Alike("info");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("alike init"), std::string::npos) << missing.err;
  WritePictures(2, "/deep/er");
  ASSERT_EQ(Alike("init --embedders color").exit_code, 0);
  const std::string cmd =
      "cd " + Photos() + "/deep/er && " + ALIKE_CLI_PATH + " index . >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(nlohmann::json::parse(Alike("--json info").out)["images"], 2);
}

}  // namespace
}  // namespace alike
