// `cmake --install` (what scripts/setup.sh --prefix runs): the installed program finds its models
// beside it, from any working directory, without the build tree's paths or $ALIKE_MODELS.
#include <gtest/gtest.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "testing/cli.h"
#include "testing/models.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

// Runs a shell command in `dir` with $ALIKE_MODELS unset; its output goes to dir/out.
test::RunResult Shell(const test::TempDir& dir, const std::string& command) {
  const std::string cmd = "cd " + dir.path() + " && env -u ALIKE_MODELS " + command + " >" +
                          dir.Sub("out") + " 2>&1 </dev/null";
  const int status = std::system(cmd.c_str());
  std::ifstream in(dir.Sub("out"));
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out, ""};
}

TEST(InstallTest, TheInstalledProgramFindsItsModelsFromAnyDirectory) {
  if (!fs::exists(test::InstalledModel(test::kMobileNetV2))) {
    GTEST_SKIP() << test::NotInstalled(test::InstalledModel(test::kMobileNetV2));
  }
  test::TempDir dir;
  const std::string prefix = dir.Sub("prefix");
  const std::string build_dir = fs::path(ALIKE_CLI_PATH).parent_path().string();
  const test::RunResult install = Shell(
      dir, std::string(ALIKE_CMAKE_COMMAND) + " --install " + build_dir + " --prefix " + prefix);
  ASSERT_EQ(install.exit_code, 0) << install.out;
  const std::string alike = prefix + "/bin/alike";
  ASSERT_TRUE(fs::exists(alike)) << install.out;
  EXPECT_TRUE(fs::exists(prefix + "/share/alike/models/" + test::kMobileNetV2)) << install.out;

  const test::RunResult version = Shell(dir, alike + " --version");
  ASSERT_EQ(version.exit_code, 0) << version.out;
  EXPECT_NE(version.out.find("alike " ALIKE_VERSION "\n"), std::string::npos) << version.out;
  EXPECT_NE(version.out.find("models in " + prefix + "/share/alike/models\n"), std::string::npos)
      << version.out;
  EXPECT_NE(version.out.find("  cnn      mobilenet_v2+v1/1 #"), std::string::npos) << version.out;

  // The cnn embeds with the installed weights: a picture finds itself.
  cv::Mat picture(96, 128, CV_8UC3, cv::Scalar(40, 90, 200));
  ASSERT_TRUE(cv::imwrite(dir.Sub("picture.png"), picture));
  const std::string lib = alike + " --db " + dir.Sub("lib");
  ASSERT_EQ(Shell(dir, lib + " init --embedders cnn").exit_code, 0);
  const test::RunResult index = Shell(dir, lib + " index picture.png");
  ASSERT_EQ(index.exit_code, 0) << index.out;
  const test::RunResult search = Shell(dir, lib + " --json search picture.png -k 1");
  ASSERT_EQ(search.exit_code, 0) << search.out;
  EXPECT_NE(search.out.find(dir.Sub("picture.png")), std::string::npos) << search.out;
}

}  // namespace
}  // namespace alike
